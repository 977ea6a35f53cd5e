"""End-to-end: OTel SDK -> OTLP (gRPC and HTTP) -> real rotel-agent collector -> OTLP sink, compared field by field."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

import grpc
import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcSpanExporter
from opentelemetry.exporter.otlp.proto.http import Compression as HttpCompression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags

from .collector import ReceivedSpan, RotelCollector, attributes_to_dict

pytestmark = pytest.mark.collector

SERVICE_NAME = "otel-agent-trace-roundtrip"
UNICODE_TEXT = "héllo wörld — 日本語テキスト — emoji 🚀🧠 — RTL עברית — combining é"
BIG_JSON = json.dumps(
    {
        "messages": [
            {"role": "user" if i % 2 else "assistant", "content": f'message {i}: {UNICODE_TEXT} "quoted"\n\ttab'}
            for i in range(100)
        ],
        "tools": [{"name": f"tool_{i}", "parameters": {"type": "object", "required": ["q"]}} for i in range(10)],
    },
    ensure_ascii=False,
)
ROOT_ATTRIBUTES: dict[str, Any] = {
    "agent.name": "planner",
    "agent.text.unicode": UNICODE_TEXT,
    "agent.text.empty": "",
    "agent.state.json": BIG_JSON,
    "agent.step.index": 7,
    "agent.int.negative": -42,
    "agent.int.large": 2**62,
    "agent.float": 3.141592653589793,
    "agent.float.negative": -0.000123,
    "agent.bool.true": True,
    "agent.bool.false": False,
    "agent.tools": ["search", "ünïcødé", "🚀 launch", ""],
    "agent.ints": [1, -2, 3],
    "agent.floats": [0.5, 1.25],
    "agent.bools": [True, False],
}
LINKED_CONTEXT = SpanContext(
    trace_id=0x0AF7651916CD43DD8448EB211C80319C,
    span_id=0xB7AD6B7169203331,
    is_remote=True,
    trace_flags=TraceFlags(TraceFlags.SAMPLED),
)


class _RecordingExporter(SpanExporter):
    """Delegates to a real exporter and records each result and how long it took."""

    def __init__(self, delegate: SpanExporter) -> None:
        self.delegate = delegate
        self.results: list[tuple[SpanExportResult, float]] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        started = time.monotonic()
        result = self.delegate.export(spans)
        self.results.append((result, time.monotonic() - started))
        return result

    def shutdown(self) -> None:
        self.delegate.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self.delegate.force_flush(timeout_millis)


def _make_exporter(transport: str, collector: RotelCollector, *, gzip: bool, timeout: float = 10.0) -> SpanExporter:
    if transport == "grpc":
        compression = grpc.Compression.Gzip if gzip else grpc.Compression.NoCompression
        return GrpcSpanExporter(
            endpoint=collector.grpc_endpoint, insecure=True, compression=compression, timeout=timeout
        )
    compression_http = HttpCompression.Gzip if gzip else HttpCompression.NoCompression
    return HttpSpanExporter(endpoint=collector.http_traces_endpoint, compression=compression_http, timeout=timeout)


def _emit_agent_trace(provider: TracerProvider) -> None:
    tracer = provider.get_tracer(
        "otel_agent_trace.tests", "1.2.3", schema_url="https://opentelemetry.io/schemas/1.28.0"
    )
    with tracer.start_as_current_span("invoke_agent planner", kind=SpanKind.SERVER, attributes=ROOT_ATTRIBUTES) as root:
        root.add_event(
            "agent.decision",
            {"decision.outcome": "call_tool", "decision.candidates": ["search", "answer"], "decision.score": 0.87},
        )
        root.add_event("agent.note", {"note": UNICODE_TEXT}, timestamp=1_700_000_000_123_456_789)
        with tracer.start_as_current_span(
            "execute_tool search",
            kind=SpanKind.CLIENT,
            attributes={"tool.name": "search", "tool.call.id": "call_1", "tool.retry": 2},
            links=[Link(LINKED_CONTEXT, {"link.reason": "retry of"})],
            record_exception=False,
            set_status_on_exception=False,
        ) as child:
            try:
                raise TimeoutError("search backend timed out after 30s ⏱")
            except TimeoutError as exc:
                child.record_exception(exc, attributes={"tool.attempt": 2})
                child.set_status(Status(StatusCode.ERROR, "search backend timed out"))
                child.set_attribute("error.type", "TimeoutError")
        root.set_status(Status(StatusCode.OK))


def _otlp_view(span: ReceivedSpan) -> dict[str, Any]:
    s = span.span
    return {
        "trace_id": s.trace_id,
        "span_id": s.span_id,
        "parent_span_id": s.parent_span_id,
        "name": s.name,
        "kind": s.kind,
        "start": s.start_time_unix_nano,
        "end": s.end_time_unix_nano,
        "attributes": span.attributes,
        "status": (s.status.code, s.status.message),
        "events": [(e.name, e.time_unix_nano, attributes_to_dict(e.attributes)) for e in s.events],
        "links": [(link.trace_id, link.span_id, attributes_to_dict(link.attributes)) for link in s.links],
        "scope": (span.scope.name, span.scope.version),
    }


def _sdk_view(span: ReadableSpan) -> dict[str, Any]:
    def ident(value: int, size: int) -> bytes:
        return value.to_bytes(size, "big")

    assert span.context is not None
    return {
        "trace_id": ident(span.context.trace_id, 16),
        "span_id": ident(span.context.span_id, 8),
        "parent_span_id": ident(span.parent.span_id, 8) if span.parent else b"",
        "name": span.name,
        "kind": span.kind.value + 1,  # OTLP reserves 0 for SPAN_KIND_UNSPECIFIED
        "start": span.start_time,
        "end": span.end_time,
        "attributes": dict(span.attributes or {}),
        "status": (span.status.status_code.value, span.status.description or ""),
        "events": [(e.name, e.timestamp, dict(e.attributes or {})) for e in span.events],
        "links": [
            (ident(link.context.trace_id, 16), ident(link.context.span_id, 8), dict(link.attributes or {}))
            for link in span.links
        ],
        "scope": (span.instrumentation_scope.name, span.instrumentation_scope.version),
    }


@pytest.mark.parametrize("gzip", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("transport", ["grpc", "http"])
@pytest.mark.parametrize("processor", [BatchSpanProcessor, SimpleSpanProcessor])
def test_spans_roundtrip_intact(
    rotel_collector: RotelCollector, transport: str, gzip: bool, processor: type[SimpleSpanProcessor]
) -> None:
    sent = InMemorySpanExporter()
    exporter = _RecordingExporter(_make_exporter(transport, rotel_collector, gzip=gzip))
    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME, "deployment.env": "test"}))
    provider.add_span_processor(SimpleSpanProcessor(sent))
    provider.add_span_processor(processor(exporter))

    _emit_agent_trace(provider)
    assert provider.force_flush(10_000)
    provider.shutdown()

    assert exporter.results, "exporter was never called"
    assert all(result is SpanExportResult.SUCCESS for result, _ in exporter.results), exporter.results
    received = {span.name: span for span in rotel_collector.wait_for_spans(2, timeout=10)}
    expected = {span.name: span for span in sent.get_finished_spans()}
    assert sorted(received) == sorted(expected) == ["execute_tool search", "invoke_agent planner"]

    for name, sdk_span in expected.items():
        assert _otlp_view(received[name]) == _sdk_view(sdk_span), name
        resource = received[name].resource_attributes
        assert resource["service.name"] == SERVICE_NAME
        assert resource["deployment.env"] == "test"
        assert resource["telemetry.sdk.language"] == "python"

    root, child = received["invoke_agent planner"], received["execute_tool search"]
    # Spot checks that do not depend on the SDK view being right.
    assert child.span.trace_id == root.span.trace_id
    assert child.span.parent_span_id == root.span.span_id
    assert root.span.parent_span_id == b""
    assert len(root.span.trace_id) == 16
    assert len(root.span.span_id) == 8
    assert root.attributes["agent.text.unicode"] == UNICODE_TEXT
    assert len(root.attributes["agent.state.json"].encode()) >= 10 * 1024
    assert json.loads(root.attributes["agent.state.json"]) == json.loads(BIG_JSON)
    assert root.attributes["agent.int.large"] == 2**62
    assert root.attributes["agent.tools"] == ("search", "ünïcødé", "🚀 launch", "")
    assert root.attributes["agent.bool.false"] is False
    assert root.span.status.code == 1  # STATUS_CODE_OK
    assert child.span.status.code == 2  # STATUS_CODE_ERROR
    assert child.span.status.message == "search backend timed out"
    assert [event.name for event in root.span.events] == ["agent.decision", "agent.note"]
    (exception_event,) = child.span.events
    exception_attributes = attributes_to_dict(exception_event.attributes)
    assert exception_event.name == "exception"
    assert exception_attributes["exception.type"] == "TimeoutError"
    assert exception_attributes["exception.message"] == "search backend timed out after 30s ⏱"
    assert "Traceback" in exception_attributes["exception.stacktrace"]
    assert exception_attributes["tool.attempt"] == 2


@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_collector_down_fails_fast_without_raising(rotel_collector: RotelCollector, transport: str) -> None:
    rotel_collector.stop()  # its receiver ports are now closed: the collector is "down"
    exporter = _RecordingExporter(_make_exporter(transport, rotel_collector, gzip=False, timeout=1.0))
    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    started = time.monotonic()
    _emit_agent_trace(provider)  # no exception may escape into the instrumented code
    provider.shutdown()
    elapsed = time.monotonic() - started

    assert [result for result, _ in exporter.results] == [SpanExportResult.FAILURE] * 2
    assert max(duration for _, duration in exporter.results) < 3.0, exporter.results
    assert elapsed < 8.0
    assert rotel_collector.sink.spans == []

from __future__ import annotations

import json
import logging

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link

from otel_agent_trace._internal.serialize import fit_json
from otel_agent_trace._internal.settings import Settings, compile_patterns
from otel_agent_trace.processor import AgentSpanProcessor
from otel_agent_trace.processor._budget import span_bytes
from otel_agent_trace.processor._transform import SCRUBBED
from otel_agent_trace.semconv import agent as A

_KEY = "sk-proj-" + "Q" * 32


def _pipeline(**settings):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(AgentSpanProcessor(SimpleSpanProcessor(exporter), settings=Settings(**settings)))
    return provider.get_tracer("t"), exporter


def test_secrets_redacted_in_attributes_json_and_events():
    tracer, exporter = _pipeline(redact_patterns=compile_patterns("t", [r"ACME-\d{6}"]))
    with tracer.start_as_current_span("s") as span:
        span.set_attribute("http.request.header.authorization", "Bearer abcdefghijklmnop")
        span.set_attribute("http.request.header.cookie", ("session=1", "x=2"))
        span.set_attribute("note", "key is sk-proj-ABCDEFGHIJKLMNOPQRSTUV and ACME-123456 here")
        span.set_attribute("payload", json.dumps({"api_key": "plain-secret-value", "q": "ok"}))
        span.set_attribute("url.full", "https://x.test/search?q=1&api_key=hunter2")
        span.add_event("e", {"exception.message": "failed with token ghp_" + "a" * 36})
    (out,) = exporter.get_finished_spans()
    attrs = out.attributes
    assert attrs["http.request.header.authorization"] == "[REDACTED]"
    assert attrs["http.request.header.cookie"] == ("[REDACTED]", "[REDACTED]")
    assert "sk-proj" not in attrs["note"]
    assert "ACME-123456" not in attrs["note"]
    assert json.loads(attrs["payload"]) == {"api_key": "[REDACTED]", "q": "ok"}
    assert "hunter2" not in attrs["url.full"]
    assert "ghp_" not in out.events[0].attributes["exception.message"]
    assert attrs[A.REDACTED] >= 6


def test_unchanged_span_passes_through_as_is():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    seen = []

    class Spy(SimpleSpanProcessor):
        def on_end(self, span):
            seen.append(span)
            super().on_end(span)

    provider.add_span_processor(AgentSpanProcessor(Spy(exporter), settings=Settings()))
    tracer = provider.get_tracer("t")
    with tracer.start_as_current_span("plain") as span:
        span.set_attribute("k", "short")
    assert seen[0].attributes["k"] == "short"
    assert A.TRUNCATED not in seen[0].attributes


def test_per_attribute_and_per_span_budget_keep_json_valid():
    tracer, exporter = _pipeline(max_attribute_bytes=2000, max_span_bytes=5000)
    doc = json.dumps({"items": [{"id": i, "text": "é" * 300} for i in range(100)]})
    with tracer.start_as_current_span("big") as span:
        span.set_attribute("doc", doc)
        for i in range(5):
            span.set_attribute(f"text{i}", "y" * 1900)
        span.set_attribute("plain", "z" * 10_000)
    (out,) = exporter.get_finished_spans()
    attrs = out.attributes
    parsed = json.loads(attrs["doc"])
    assert "_truncated" in json.dumps(parsed)
    assert len(attrs["doc"].encode()) <= 2000
    assert attrs["plain"].endswith("bytes]")
    assert "truncated" in attrs["plain"]
    total = sum(len(v.encode()) for v in attrs.values() if isinstance(v, str))
    assert total <= 5000 + 200
    assert set(attrs[A.TRUNCATED]) >= {"doc", "plain"}


@pytest.mark.parametrize("limit", [20, 64, 100, 300, 1000, 5000])
def test_fit_json_always_valid_and_within_limit(limit):
    for text in [
        json.dumps({"a": "x" * 10_000}),
        json.dumps(list(range(5000))),
        json.dumps("s" * 10_000),
        json.dumps({"nested": {"deep": [{"k": "é" * 2000}] * 20}}),
    ]:
        out = fit_json(text, limit)
        assert len(out.encode()) <= limit
        if limit >= 64:
            json.loads(out)


def test_processor_faults_never_reach_the_app(caplog):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    processor = AgentSpanProcessor(SimpleSpanProcessor(exporter), settings=Settings())

    def broken(*args, **kwargs):
        raise RuntimeError("internal bug")

    processor._stamp = broken  # type: ignore[method-assign]
    processor.transformer.transform = broken  # type: ignore[method-assign]
    provider.add_span_processor(processor)
    with (
        caplog.at_level(logging.WARNING, logger="otel_agent_trace"),
        provider.get_tracer("t").start_as_current_span(f"s {_KEY}") as span,
    ):
        span.set_attribute("note", f"key {_KEY}")
        span.set_attribute("n", 3)
    # The transformation failed: the span is still exported, with every text replaced, never as it was.
    (out,) = exporter.get_finished_spans()
    assert _KEY not in out.to_json()
    assert out.name == SCRUBBED
    assert out.attributes["note"] == SCRUBBED
    assert out.attributes["n"] == 3
    assert "internal error" in caplog.text


def test_needs_exactly_one_of_delegate_or_exporter():
    with pytest.raises(ValueError, match="exactly one"):
        AgentSpanProcessor()


def test_small_string_arrays_are_not_marked_truncated():
    tracer, exporter = _pipeline()
    with tracer.start_as_current_span("s") as span:
        span.set_attribute("options", ("a", "b"))
    (out,) = exporter.get_finished_spans()
    assert out.attributes["options"] == ("a", "b")
    assert A.TRUNCATED not in out.attributes


def _batched(resource=None, **settings):
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=resource or Resource.create({}))
    processor = AgentSpanProcessor(exporter=exporter, settings=Settings(**settings), schedule_delay_millis=50)
    provider.add_span_processor(processor)
    return provider.get_tracer("t"), exporter, processor


def test_every_text_of_a_span_is_redacted_on_the_export_thread():
    resource = Resource.create({"service.name": "svc", "deploy.note": f"uses {_KEY}"})
    tracer, exporter, processor = _batched(resource)
    with tracer.start_as_current_span("linked") as other:
        pass

    def fails() -> None:
        links = [Link(other.get_span_context(), {"why": _KEY})]
        with tracer.start_as_current_span(f"call {_KEY}", links=links) as span:
            span.add_event(f"event {_KEY}", {"detail": _KEY})
            raise RuntimeError(f"key {_KEY}")

    with pytest.raises(RuntimeError):
        fails()
    assert processor.force_flush()
    spans = {s.name.split()[0]: s for s in exporter.get_finished_spans()}
    out = spans["call"]
    assert _KEY not in out.to_json()  # name, status, events (exception message and stack trace), links, resource
    assert out.status.description == "RuntimeError: key [REDACTED]"
    assert [e.name for e in out.events] == ["event [REDACTED]", "exception"]
    assert out.links[0].attributes["why"] == "[REDACTED]"
    assert out.resource.attributes["deploy.note"] == "uses [REDACTED]"
    assert out.resource is spans["linked"].resource  # redacted once per resource, not per span
    assert out.attributes[A.REDACTED] >= 6


def test_user_delegate_only_ever_sees_transformed_spans():
    seen: list[ReadableSpan] = []

    class Spy(SpanProcessor):
        def on_end(self, span: ReadableSpan) -> None:
            seen.append(span)

    provider = TracerProvider()
    provider.add_span_processor(AgentSpanProcessor(Spy(), settings=Settings(max_attribute_bytes=1000)))
    with provider.get_tracer("t").start_as_current_span("s") as span:
        span.set_attribute("big", "x" * 5_000_000)
        span.set_attribute("secret", f"token {_KEY}")
    (out,) = seen
    assert out.attributes["big"].endswith("[truncated 5000000 bytes]")
    assert len(out.attributes["big"]) <= 1000
    assert _KEY not in out.attributes["secret"]


def test_huge_values_are_cut_to_the_budget_and_say_their_original_size():
    tracer, exporter, processor = _batched(max_attribute_bytes=2000, max_span_bytes=8000)
    with tracer.start_as_current_span("s") as span:
        span.set_attribute("text", "t" * 10_000_000)
        span.set_attribute("doc", json.dumps({"rows": ["r" * 100] * 100_000}))
        span.set_attribute("many", tuple("i" * 50 for _ in range(100_000)))
        span.add_event("snapshot", {"state": "s" * 3_000_000})
    assert processor.force_flush()
    (out,) = exporter.get_finished_spans()
    assert span_bytes(out) <= 8000
    assert out.attributes["text"].endswith("[truncated 10000000 bytes]")
    doc = json.loads(out.attributes["doc"])
    assert doc["_truncated"] is True
    assert doc["original_bytes"] > 10_000_000
    assert sum(len(i) for i in out.attributes["many"]) <= 2000
    assert out.events[0].attributes["state"].endswith("[truncated 3000000 bytes]")
    assert {"text", "doc", "many", "events[0].state"} <= set(out.attributes[A.TRUNCATED])


def test_unchanged_span_reaches_the_exporter_as_is():
    tracer, exporter, processor = _batched()
    with tracer.start_as_current_span("plain") as span:
        span.set_attribute("k", "short")
    assert processor.force_flush()
    (out,) = exporter.get_finished_spans()
    assert type(out) is ReadableSpan
    assert A.TRUNCATED not in out.attributes

"""GenAI metrics recorded from ended spans: names, units, attributes, bucket advice, error.type, counted once."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Status, StatusCode

from otel_agent_trace.processor import _metrics as metrics_mod
from otel_agent_trace.processor._metrics import (
    DURATION_BUCKETS,
    TOKEN_BUCKETS,
    GenAIMetricsSpanProcessor,
)

CHAT = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
    "server.address": "api.example.com",
    "server.port": 443,
}
CHAT_LABELS = dict(CHAT)


@dataclass
class Point:
    unit: str
    attributes: dict[str, Any]
    count: int
    sum: float
    bounds: tuple[float, ...]


class Meters:
    def __init__(self) -> None:
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])
        self.processor = GenAIMetricsSpanProcessor(self.meter_provider)
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(self.processor)
        self.tracer = self.tracer_provider.get_tracer("test")

    def points(self) -> dict[str, list[Point]]:
        self.processor.force_flush()  # the records are made off the application thread: drain them first
        out: dict[str, list[Point]] = {}
        data = self.reader.get_metrics_data()
        for rm in data.resource_metrics if data is not None else ():
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    for p in metric.data.data_points:
                        assert isinstance(p, HistogramDataPoint)
                        point = Point(
                            metric.unit or "", dict(p.attributes or {}), p.count, p.sum, tuple(p.explicit_bounds)
                        )
                        out.setdefault(metric.name, []).append(point)
        return out

    def span(self, name: str, attributes: dict[str, Any], error: str | None = None, **kwargs: Any) -> None:
        with self.tracer.start_as_current_span(name, attributes=attributes, record_exception=False, **kwargs) as span:
            if error is not None:
                if error:
                    span.set_attribute("error.type", error)
                span.set_status(Status(StatusCode.ERROR, "failed"))


@pytest.fixture
def meters() -> Iterator[Meters]:
    m = Meters()
    yield m
    m.meter_provider.shutdown()


def test_chat_call_records_tokens_and_duration_with_the_spec_attributes_and_buckets(meters: Meters) -> None:
    meters.span("chat gpt-4o-mini", {**CHAT, "gen_ai.usage.input_tokens": 11, "gen_ai.usage.output_tokens": 24})
    points = meters.points()
    tokens = {p.attributes["gen_ai.token.type"]: p for p in points["gen_ai.client.token.usage"]}
    assert set(tokens) == {"input", "output"}
    assert tokens["input"].attributes == {**CHAT_LABELS, "gen_ai.token.type": "input"}
    assert (tokens["input"].count, tokens["input"].sum) == (1, 11)
    assert (tokens["output"].count, tokens["output"].sum) == (1, 24)
    assert tokens["input"].unit == "{token}"
    assert tokens["input"].bounds == TOKEN_BUCKETS
    assert TOKEN_BUCKETS[-1] == 67108864 and len(TOKEN_BUCKETS) == 14
    (duration,) = points["gen_ai.client.operation.duration"]
    assert duration.unit == "s"
    assert duration.attributes == CHAT_LABELS  # no error.type on success
    assert duration.count == 1 and 0 <= duration.sum < 60
    assert duration.bounds == DURATION_BUCKETS
    assert "gen_ai.client.operation.time_to_first_chunk" not in points  # not a stream


def test_failed_call_has_error_type_on_duration_only(meters: Meters) -> None:
    meters.span("chat a", {**CHAT, "gen_ai.usage.input_tokens": 3}, error="RateLimitError")
    meters.span("chat b", {**CHAT, "gen_ai.request.model": "other"}, error="")  # failed, no error.type set
    points = meters.points()
    errors = sorted(p.attributes["error.type"] for p in points["gen_ai.client.operation.duration"])
    assert errors == ["RateLimitError", "_OTHER"]
    (tokens,) = points["gen_ai.client.token.usage"]
    assert "error.type" not in tokens.attributes


def test_framework_span_whose_provider_span_has_the_usage_is_counted_once(meters: Meters) -> None:
    framework = {**CHAT, "gen_ai.provider.name": "openai", "agent_trace.llm.usage_source": "provider"}
    with meters.tracer.start_as_current_span("chat gpt-4o-mini", attributes=framework):
        meters.span("chat gpt-4o-mini", {**CHAT, "gen_ai.usage.input_tokens": 5, "gen_ai.usage.output_tokens": 2})
    points = meters.points()
    (duration,) = points["gen_ai.client.operation.duration"]
    assert duration.count == 1
    assert sorted((p.attributes["gen_ai.token.type"], p.sum) for p in points["gen_ai.client.token.usage"]) == [
        ("input", 5),
        ("output", 2),
    ]


def test_llm_span_with_an_llm_span_inside_is_not_counted(meters: Meters) -> None:
    outer = {**CHAT, "gen_ai.provider.name": "crewai", "gen_ai.usage.input_tokens": 100}
    with (
        meters.tracer.start_as_current_span("chat outer", attributes=outer),
        meters.tracer.start_as_current_span("step between"),
    ):
        meters.span("chat inner", {**CHAT, "gen_ai.usage.input_tokens": 10})
    meters.span("chat alone", {**CHAT, "gen_ai.usage.input_tokens": 1})
    points = meters.points()
    (duration,) = points["gen_ai.client.operation.duration"]
    assert duration.count == 2  # inner and alone; the outer wrapper is not a second call
    (tokens,) = points["gen_ai.client.token.usage"]
    assert (tokens.count, tokens.sum) == (2, 11)
    assert meters.processor._holds_llm == {}  # nothing kept once the spans ended


def test_agent_tool_and_workflow_durations(meters: Meters) -> None:
    meters.span(
        "invoke_agent planner",
        {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "planner", "gen_ai.agent.id": "run-123"},
    )
    tool = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search", "gen_ai.tool.type": "function"}
    meters.span("execute_tool search", {**tool, "gen_ai.tool.call.id": "call_1"})
    meters.span("execute_tool search", tool, error="ValueError")
    meters.span("invoke_workflow trip", {"gen_ai.operation.name": "invoke_workflow", "gen_ai.workflow.name": "trip"})
    points = meters.points()
    (agent,) = points["gen_ai.invoke_agent.duration"]
    assert agent.attributes == {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "planner"}
    assert agent.unit == "s" and agent.bounds == DURATION_BUCKETS
    tools = sorted(points["gen_ai.execute_tool.duration"], key=lambda p: "error.type" in p.attributes)
    assert [p.attributes for p in tools] == [tool, {**tool, "error.type": "ValueError"}]
    (workflow,) = points["gen_ai.workflow.duration"]
    assert workflow.attributes == {"gen_ai.operation.name": "invoke_workflow", "gen_ai.workflow.name": "trip"}
    assert "gen_ai.client.operation.duration" not in points


def test_spans_that_are_no_genai_operation_record_nothing(meters: Meters) -> None:
    meters.span("step plan", {"agent_trace.step.index": 1})
    meters.span("GET", {"http.request.method": "GET"})
    meters.span("odd", {"gen_ai.operation.name": 7})
    assert meters.points() == {}


def test_stream_timings_are_read_from_the_span(meters: Meters) -> None:
    stream = {
        **CHAT,
        "gen_ai.response.time_to_first_chunk": 0.25,
        "agent_trace.response.chunk_count": 5,
        "agent_trace.response.time_per_output_chunk": 0.05,
    }
    meters.span("chat s", stream)
    points = meters.points()
    (first,) = points["gen_ai.client.operation.time_to_first_chunk"]
    (per_chunk,) = points["gen_ai.client.operation.time_per_output_chunk"]
    assert (first.sum, per_chunk.sum) == (0.25, 0.05)
    assert first.attributes == per_chunk.attributes == CHAT_LABELS
    assert first.bounds == per_chunk.bounds == DURATION_BUCKETS


def test_hostile_attribute_values_are_skipped_never_raised(meters: Meters) -> None:
    meters.span(
        "chat x",
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": ["a", "b"],
            "server.port": 1.5,
            "gen_ai.usage.input_tokens": -4,
            "gen_ai.usage.output_tokens": True,
            "gen_ai.response.time_to_first_chunk": "soon",
            "agent_trace.response.time_per_output_chunk": -1.0,
        },
    )
    points = meters.points()
    (duration,) = points["gen_ai.client.operation.duration"]
    assert duration.attributes == {"gen_ai.operation.name": "chat"}
    assert set(points) == {"gen_ai.client.operation.duration"}


def test_open_span_bookkeeping_is_bounded(meters: Meters, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics_mod, "_MAX_OPEN", 4)
    parents = [meters.tracer.start_span(f"parent {i}") for i in range(10)]
    for parent in parents:
        from opentelemetry.trace import set_span_in_context

        meters.tracer.start_span("chat c", context=set_span_in_context(parent), attributes=CHAT).end()
    assert len(meters.processor._holds_llm) == 4
    for parent in parents:
        parent.end()
    assert meters.processor._holds_llm == {}


def test_records_are_made_by_the_worker_without_a_flush(meters: Meters) -> None:
    meters.span("execute_tool t", {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "t"})
    deadline = time.monotonic() + 20  # the worker drains every half second; a generous bound for a loaded machine
    while meters.processor._pending and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not meters.processor._pending
    data = meters.reader.get_metrics_data()  # no force_flush: what the worker recorded
    assert data is not None
    names = {m.name for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics}
    assert names == {"gen_ai.execute_tool.duration"}


def test_a_full_queue_or_a_closed_processor_records_on_the_calling_thread(
    meters: Meters, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(metrics_mod, "_QUEUE_LIMIT", 0)
    meters.span("chat a", CHAT)
    assert not meters.processor._pending
    monkeypatch.setattr(metrics_mod, "_QUEUE_LIMIT", 8192)
    meters.processor.shutdown()
    meters.span("chat b", CHAT)
    assert not meters.processor._pending
    (duration,) = meters.points()["gen_ai.client.operation.duration"]
    assert duration.count == 2  # nothing lost either way


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_records_its_own_spans_only(meters: Meters) -> None:
    meters.processor._pending.append((meters.tracer.start_span("never ended"), True))  # queued in the parent
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its queue starts empty, its worker starts on first use, a flush does not hang
        try:
            os.close(read_end)
            meters.span("chat child", CHAT)
            counts = [p.count for p in meters.points().get("gen_ai.client.operation.duration", [])]
            os.write(write_end, repr(counts).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        child = pipe.read()
    os.waitpid(pid, 0)
    assert child == "[1]"
    meters.processor._pending.clear()


def test_a_peer_that_records_its_own_metrics_is_not_counted_again(meters: Meters) -> None:
    peer = meters.tracer_provider.get_tracer("opentelemetry.instrumentation.openai_v2")
    agent = {"gen_ai.operation.name": "invoke_agent"}
    with (
        meters.tracer.start_as_current_span("invoke_agent a", attributes=agent),
        peer.start_as_current_span("chat gpt-4o-mini", attributes={**CHAT, "gen_ai.usage.input_tokens": 9}),
    ):
        pass
    genai_util = meters.tracer_provider.get_tracer("opentelemetry.util.genai.handler")
    with genai_util.start_as_current_span("chat x", attributes=CHAT):
        pass
    with meters.tracer_provider.get_tracer("openinference.instrumentation.openai").start_as_current_span(
        "chat y", attributes=CHAT
    ):
        pass  # OpenInference records no metrics: its call is counted here
    points = meters.points()
    (duration,) = points["gen_ai.client.operation.duration"]
    assert duration.count == 1
    assert "gen_ai.client.token.usage" not in points
    assert [p.count for p in points["gen_ai.invoke_agent.duration"]] == [1]


def test_exemplars_point_at_the_span_although_recorded_off_its_thread(meters: Meters) -> None:
    with meters.tracer.start_as_current_span("chat e", attributes={**CHAT, "gen_ai.usage.input_tokens": 2}) as span:
        span_id = span.get_span_context().span_id
        trace_id = span.get_span_context().trace_id
    meters.processor.force_flush()
    data = meters.reader.get_metrics_data()
    assert data is not None
    exemplars = [
        e
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
        for p in m.data.data_points
        for e in getattr(p, "exemplars", ())
    ]
    assert len(exemplars) == 2  # duration and input tokens
    assert {(e.span_id, e.trace_id) for e in exemplars} == {(span_id, trace_id)}

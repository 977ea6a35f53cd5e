"""``AgentSpanProcessor.on_start`` stamps the same ids whether or not a session or run was seen (its no-lock path)."""

from __future__ import annotations

import threading

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_agent_trace import agent_run, agent_session
from otel_agent_trace._internal.settings import Settings
from otel_agent_trace.processor import AgentSpanProcessor
from otel_agent_trace.semconv import agent as A


def _pipeline(environment: str | None) -> tuple[TracerProvider, InMemorySpanExporter, AgentSpanProcessor]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    processor = AgentSpanProcessor(SimpleSpanProcessor(exporter), settings=Settings(environment=environment))
    provider.add_span_processor(processor)
    return provider, exporter, processor


def test_no_session_no_run_gets_the_environment_only_and_keeps_its_own() -> None:
    provider, exporter, processor = _pipeline("staging")
    tracer = provider.get_tracer("t")
    tracer.start_span("plain").end()
    tracer.start_span("own", attributes={A.ENVIRONMENT: "mine"}).end()
    plain, own = exporter.get_finished_spans()
    assert dict(plain.attributes or {}) == {A.ENVIRONMENT: "staging"}
    assert dict(own.attributes or {}) == {A.ENVIRONMENT: "mine"}
    assert not processor._trace_correlation and not processor._span_runs  # nothing tracked for such spans


def test_no_environment_no_session_adds_nothing() -> None:
    provider, exporter, _ = _pipeline(None)
    provider.get_tracer("t").start_span("plain", attributes={"k": 1}).end()
    (span,) = exporter.get_finished_spans()
    assert dict(span.attributes or {}) == {"k": 1}


def test_a_thread_without_the_context_still_gets_its_trace_session_after_spans_without_one() -> None:
    provider, exporter, _ = _pipeline(None)
    tracer = provider.get_tracer("t")
    tracer.start_span("before any session").end()
    with agent_session("sess-1"), agent_run("planner"), tracer.start_as_current_span("parent") as parent:
        ctx = parent.get_span_context()

        def child() -> None:  # a new thread: no contextvars of ours, the parent passed explicitly
            from opentelemetry import trace

            tracer.start_span("child", context=trace.set_span_in_context(trace.NonRecordingSpan(ctx))).end()

        worker = threading.Thread(target=child)
        worker.start()
        worker.join()
    by_name = {s.name: dict(s.attributes or {}) for s in exporter.get_finished_spans()}
    assert A.SESSION_ID not in by_name["before any session"]
    assert by_name["child"][A.SESSION_ID] == "sess-1"
    assert by_name["parent"][A.SESSION_ID] == "sess-1"
    assert A.AGENT_RUN_ID in by_name["parent"]

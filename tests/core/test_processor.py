from __future__ import annotations

import json
import logging

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_agent_trace._internal.serialize import fit_json
from otel_agent_trace._internal.settings import Settings, compile_patterns
from otel_agent_trace.processor import AgentSpanProcessor
from otel_agent_trace.semconv import agent as A


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
    processor._rebuild = broken  # type: ignore[method-assign]
    provider.add_span_processor(processor)
    with (
        caplog.at_level(logging.WARNING, logger="otel_agent_trace"),
        provider.get_tracer("t").start_as_current_span("s"),
    ):
        pass
    assert [s.name for s in exporter.get_finished_spans()] == ["s"]
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

"""Spans recorded through `AgentSpanProcessor` (as users export them), for the conformance checks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_agent_trace._internal import settings as settings_mod
from otel_agent_trace._internal.settings import Settings
from otel_agent_trace._internal.tracing import set_default_tracer_provider
from otel_agent_trace.processor import AgentSpanProcessor


class Recorded:
    """The exported spans of one test."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider()
        self.provider.add_span_processor(AgentSpanProcessor(SimpleSpanProcessor(self.exporter)))

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def one(self, name: str) -> ReadableSpan:
        found = [s for s in self.spans() if s.name == name]
        assert len(found) == 1, [s.name for s in self.spans()]
        return found[0]

    def operation(self, operation: str) -> list[ReadableSpan]:
        return [s for s in self.spans() if (s.attributes or {}).get("gen_ai.operation.name") == operation]


@pytest.fixture
def recorded() -> Iterator[Recorded]:
    """Content capture on (settings and manual API included), spans exported through our processor."""
    settings_mod.set_settings(Settings(capture_content=True))
    rec = Recorded()
    set_default_tracer_provider(rec.provider)
    try:
        yield rec
    finally:
        set_default_tracer_provider(None)
        settings_mod.set_settings(None)

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_agent_trace._internal import settings as settings_mod
from otel_agent_trace._internal.settings import Settings
from otel_agent_trace._internal.tracing import set_default_tracer_provider
from otel_agent_trace.processor import AgentSpanProcessor


class Recorder:
    def __init__(self, provider: TracerProvider, exporter: InMemorySpanExporter) -> None:
        self.provider = provider
        self.exporter = exporter

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def by_name(self, name: str) -> ReadableSpan:
        matches = [s for s in self.spans() if s.name == name]
        assert len(matches) == 1, [s.name for s in self.spans()]
        return matches[0]


def make_recorder(settings: Settings) -> Recorder:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(AgentSpanProcessor(SimpleSpanProcessor(exporter), settings=settings))
    set_default_tracer_provider(provider)
    return Recorder(provider, exporter)


@contextmanager
def recording(settings: Settings) -> Iterator[Recorder]:
    """Make ``settings`` the process settings and record the manual API's spans through our processor, then undo."""
    settings_mod.set_settings(settings)
    rec = make_recorder(settings)
    try:
        yield rec
    finally:
        set_default_tracer_provider(None)
        settings_mod.set_settings(None)


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """Spans of the manual API, through our processor, content capture off."""
    with recording(Settings()) as rec:
        yield rec


@pytest.fixture
def content_recorder() -> Iterator[Recorder]:
    """Same as ``recorder`` with content capture on."""
    with recording(Settings(capture_content=True)) as rec:
        yield rec

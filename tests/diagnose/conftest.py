"""A provider whose spans go through our processor (and its diagnose() buffer) to an in-memory exporter."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_agent_trace._internal import settings as settings_mod
from otel_agent_trace._internal.settings import Settings
from otel_agent_trace._internal.tracing import set_default_tracer_provider
from otel_agent_trace.processor import AgentSpanProcessor


@dataclass
class Bench:
    provider: TracerProvider
    exporter: InMemorySpanExporter
    processor: AgentSpanProcessor


@contextmanager
def diagnosing(settings: Settings) -> Iterator[Bench]:
    """Make ``settings`` the process settings; the manual API records through `AgentSpanProcessor`; undo after."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    processor = AgentSpanProcessor(SimpleSpanProcessor(exporter), settings=settings)
    provider.add_span_processor(processor)
    settings_mod.set_settings(settings)
    set_default_tracer_provider(provider)
    try:
        yield Bench(provider, exporter, processor)
    finally:
        provider.shutdown()
        set_default_tracer_provider(None)
        settings_mod.set_settings(None)


@pytest.fixture
def bench() -> Iterator[Bench]:
    """Content capture on, default buffer."""
    with diagnosing(Settings(capture_content=True)) as b:
        yield b

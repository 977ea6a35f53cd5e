"""The fixtures of the ADK tests (imported by ``conftest.py`` in the ADK environment only)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_agent_trace._internal.settings import Settings
from otel_agent_trace.instrumentation.google_genai import GoogleGenAIInstrumentor
from otel_agent_trace.processor import AgentSpanProcessor
from tests.adk_env._mock import ScriptedGemini
from tests.instrumentation._servers import serving

os.environ.setdefault("GOOGLE_API_KEY", "test")  # the client wants a key; the mock ignores it

_EXPORTER = InMemorySpanExporter()
_PROVIDER = TracerProvider()
_PROVIDER.add_span_processor(AgentSpanProcessor(SimpleSpanProcessor(_EXPORTER), settings=Settings()))
trace.set_tracer_provider(_PROVIDER)


@pytest.fixture
def provider() -> TracerProvider:
    """The global provider (ADK's spans and ours go through it)."""
    return _PROVIDER


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    """The finished spans of this test."""
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()


@pytest.fixture
def gemini() -> Iterator[ScriptedGemini]:
    """The scripted mock Gemini API."""
    with serving(ScriptedGemini()) as server:
        yield server


@pytest.fixture
def genai_instrumented(provider: TracerProvider) -> Iterator[GoogleGenAIInstrumentor]:
    """Our google-genai instrumentor on, as the distro would enable it next to ADK (content: the setting)."""
    instrumentor = GoogleGenAIInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        yield instrumentor
    finally:
        instrumentor.uninstrument()

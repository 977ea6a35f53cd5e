"""Fixtures shared by the AutoGen and AG2 Classic side-venv suites: a global test provider, the instrumentors, the mock.

Both frameworks' own spans use the global tracer provider, so the test provider is made global here (once per
process: each suite runs in its own virtualenv). A conftest imports the fixtures and makes ``instrumented`` with
`instrumented_fixture` for its framework's instrumentor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_agent_trace.instrumentation.openai import OpenAIInstrumentor
from tests.autogen_env._mock_llm import MockLLMServer, start_mock
from tests.instrumentation._servers import serving

__all__ = ["capture", "exporter", "instrumented_fixture", "llm", "provider"]

_EXPORTER = InMemorySpanExporter()
_PROVIDER = TracerProvider()
_PROVIDER.add_span_processor(SimpleSpanProcessor(_EXPORTER))
trace.set_tracer_provider(_PROVIDER)


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()


@pytest.fixture
def provider() -> TracerProvider:
    return _PROVIDER


@pytest.fixture(params=[True], ids=["capture"])
def capture(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


def instrumented_fixture(instrumentor: Callable[[], Any]) -> Any:
    """The ``instrumented`` fixture: ``instrumentor()`` and the openai instrumentor on the test provider."""

    @pytest.fixture
    def instrumented(provider: TracerProvider, exporter: InMemorySpanExporter, capture: bool) -> Iterator[None]:
        framework, openai = instrumentor(), OpenAIInstrumentor()
        framework.instrument(tracer_provider=provider, capture_content=capture)
        openai.instrument(tracer_provider=provider, capture_content=capture)
        try:
            yield
        finally:
            framework.uninstrument()
            openai.uninstrument()

    return instrumented


@pytest.fixture
def llm() -> Iterator[MockLLMServer]:
    with serving(start_mock()) as server:
        yield server

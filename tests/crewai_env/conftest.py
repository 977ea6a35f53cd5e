"""Fixtures of the CrewAI tests, which run in their own virtualenv (``tests/instrumentation/crewai`` makes it).

CrewAI pins ``openai<3`` and ``mcp<2``, so it cannot share the project's main environment; the main ``pytest`` run
ignores this directory (``collect_ignore`` in ``tests/conftest.py``) and launches it in ``.venv-crewai`` instead.
"""

from __future__ import annotations

import os

# CrewAI's own telemetry and trace upload stay off (OTEL_SDK_DISABLED would also turn off the SDK we test).
os.environ.setdefault("CREWAI_DISABLE_TELEMETRY", "true")
os.environ.setdefault("CREWAI_DISABLE_TRACKING", "true")
os.environ.setdefault("CREWAI_TRACING_ENABLED", "false")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("OPENAI_API_KEY", "x")

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_agent_trace.instrumentation.crewai import CrewAIInstrumentor
from tests.crewai_env._mock_llm import MockLLMServer, start_mock
from tests.instrumentation._servers import serving


@pytest.fixture(autouse=True)
def _crewai_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """CrewAI writes its storage under the user's data dir: keep it in a temporary directory."""
    home = tmp_path_factory.mktemp("crewai_home")
    monkeypatch.setenv("CREWAI_STORAGE_DIR", str(home))


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> TracerProvider:
    tp = TracerProvider()
    tp.add_span_processor(SimpleSpanProcessor(exporter))
    return tp


@pytest.fixture
def instrumentor(provider: TracerProvider) -> Iterator[CrewAIInstrumentor]:
    inst = CrewAIInstrumentor()
    inst.instrument(tracer_provider=provider, capture_content=True)
    try:
        yield inst
    finally:
        inst.uninstrument()


@pytest.fixture
def mock_llm() -> Iterator[MockLLMServer]:
    with serving(start_mock()) as server:
        yield server

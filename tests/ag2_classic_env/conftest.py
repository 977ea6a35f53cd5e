"""Fixtures of the AG2 Classic tests, run in their own virtualenv (``tests/instrumentation/ag2_classic`` makes it).

The classic framework (``import autogen``) needs ``openai<3``; the main environment has openai 3, so the main
``pytest`` run skips this directory when ``autogen`` is not the classic framework and launches it in
``.venv-ag2-classic`` instead. The test provider is also the global one (AG2's own spans, when a test turns them on,
use the provider it is given).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest

if importlib.util.find_spec("autogen") is None or importlib.util.find_spec("autogen.agentchat") is None:
    collect_ignore_glob = ["test_*.py"]
else:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from otel_agent_trace.instrumentation.ag2_classic import AG2ClassicInstrumentor
    from otel_agent_trace.instrumentation.openai import OpenAIInstrumentor
    from tests.autogen_env._mock_llm import MockLLMServer, start_mock
    from tests.instrumentation._servers import serving

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

    @pytest.fixture
    def instrumented(provider: TracerProvider, exporter: InMemorySpanExporter, capture: bool) -> Iterator[None]:
        ag2, openai = AG2ClassicInstrumentor(), OpenAIInstrumentor()
        ag2.instrument(tracer_provider=provider, capture_content=capture)
        openai.instrument(tracer_provider=provider, capture_content=capture)
        try:
            yield
        finally:
            ag2.uninstrument()
            openai.uninstrument()

    @pytest.fixture
    def llm() -> Iterator[MockLLMServer]:
        with serving(start_mock()) as server:
            yield server

"""Fixtures of the AutoGen tests, which run in their own virtualenv (``tests/instrumentation/autogen`` makes it).

autogen-core 0.7 pins ``protobuf~=5.29``, so AutoGen cannot share the project's main environment; the main ``pytest``
run skips this directory when AutoGen is not importable and launches it in ``.venv-autogen`` instead.

The test provider is also the global one: AutoGen's own spans (``invoke_agent``, ``create_agent``, runtime spans)
use the global provider, and the tests check there is no duplicate of ours among them.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest

if importlib.util.find_spec("autogen_agentchat") is None:  # the main environment: ``test_autogen_env`` runs us
    collect_ignore_glob = ["test_*.py"]
else:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from otel_agent_trace.instrumentation.autogen import AutoGenInstrumentor
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
        autogen, openai = AutoGenInstrumentor(), OpenAIInstrumentor()
        autogen.instrument(tracer_provider=provider, capture_content=capture)
        openai.instrument(tracer_provider=provider, capture_content=capture)
        try:
            yield
        finally:
            autogen.uninstrument()
            openai.uninstrument()

    @pytest.fixture
    def llm() -> Iterator[MockLLMServer]:
        with serving(start_mock()) as server:
            yield server

"""AG2 pointed at a local Chat Completions mock; the openai instrumentor makes the LLM spans, ours the rest."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider

from otel_agent_trace.instrumentation.ag2 import AG2Instrumentor
from otel_agent_trace.instrumentation.openai import OpenAIInstrumentor

from .mock_server import MockChat, serve


@pytest.fixture(scope="session")
def mock_server() -> Iterator[MockChat]:
    with serve() as server:
        yield server


@pytest.fixture
def chat(mock_server: MockChat) -> Iterator[MockChat]:
    """The mock with an empty script and request log."""
    mock_server.reset()
    yield mock_server
    mock_server.reset()


@pytest.fixture(params=[True], ids=["content"])
def instrumented(request: pytest.FixtureRequest, provider: TracerProvider, chat: MockChat) -> Iterator[MockChat]:
    """Our AG2 and openai instrumentors on the test provider (``capture_content`` from the param)."""
    capture = bool(request.param)
    openai_inst = OpenAIInstrumentor()
    ag2_inst = AG2Instrumentor()
    openai_inst.instrument(tracer_provider=provider, capture_content=capture)
    ag2_inst.instrument(tracer_provider=provider, capture_content=capture)
    yield chat
    ag2_inst.uninstrument()
    openai_inst.uninstrument()

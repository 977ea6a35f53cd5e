"""The Agents SDK pointed at a local Responses API mock, with only our tracing processor registered."""

from __future__ import annotations

from collections.abc import Iterator

import agents
import pytest
from openai import AsyncOpenAI
from opentelemetry.sdk.trace import TracerProvider

from otel_agent_trace.instrumentation.openai_agents import OpenAIAgentsInstrumentor

from .mock_server import MockResponses, serve


@pytest.fixture(scope="session")
def mock() -> Iterator[MockResponses]:
    """The mock server; the SDK's default exporter (to api.openai.com) is removed for the whole session."""
    agents.set_trace_processors([])
    agents.set_tracing_disabled(False)
    agents.set_tracing_export_api_key("x")
    with serve() as state:
        agents.set_default_openai_api("responses")
        yield state


def fresh_client(mock: MockResponses) -> None:
    """Point the SDK at the mock with a new client (an async client's connections belong to one event loop)."""
    agents.set_default_openai_client(AsyncOpenAI(base_url=mock.base_url, api_key="x"), use_for_tracing=False)


@pytest.fixture
def responses(mock: MockResponses) -> Iterator[MockResponses]:
    """The mock, with an empty script and request log."""
    mock.clear()
    fresh_client(mock)
    yield mock
    mock.clear()


@pytest.fixture
def instrumentor(provider: TracerProvider, responses: MockResponses) -> Iterator[OpenAIAgentsInstrumentor]:
    inst = OpenAIAgentsInstrumentor()
    inst.instrument(tracer_provider=provider, capture_content=True)
    yield inst
    inst.uninstrument()

"""The Agents SDK pointed at a local Responses API mock, with only our tracing processor registered."""

from __future__ import annotations

from collections.abc import Iterator

import agents
import pytest
from agents.tracing.processors import BackendSpanExporter, BatchTraceProcessor
from openai import AsyncOpenAI
from opentelemetry.sdk.trace import TracerProvider

from otel_agent_trace.instrumentation.httpx2 import HTTPX2Instrumentor
from otel_agent_trace.instrumentation.openai import OpenAIInstrumentor
from otel_agent_trace.instrumentation.openai_agents import OpenAIAgentsInstrumentor

from ._example_tree import closed_port_url
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


@pytest.fixture
def backend(request: pytest.FixtureRequest, responses: MockResponses) -> Iterator[BatchTraceProcessor]:
    """The SDK's own exporter and batch processor, as by default, uploading to a closed port (the hosted backend
    unreachable), or to the mock with ``indirect`` parameter ``"local"``."""
    where = getattr(request, "param", "unreachable")
    url = f"{responses.base_url}/traces/ingest" if where == "local" else closed_port_url()
    exporter = BackendSpanExporter(api_key="sk-test", endpoint=url, max_retries=1, base_delay=0.01, max_delay=0.01)
    processor = BatchTraceProcessor(exporter, schedule_delay=60.0)
    agents.set_trace_processors([processor])
    yield processor
    processor.shutdown(timeout=5.0)
    agents.set_trace_processors([])


@pytest.fixture
def traced(provider: TracerProvider, backend: BatchTraceProcessor) -> Iterator[BatchTraceProcessor]:
    """Our Agents SDK, openai and httpx2 instrumentors, content capture on, beside the SDK's own exporter."""
    instrumentors = [OpenAIAgentsInstrumentor(), OpenAIInstrumentor(), HTTPX2Instrumentor()]
    for inst in instrumentors:
        inst.instrument(tracer_provider=provider, capture_content=True)
    yield backend
    for inst in instrumentors:
        inst.uninstrument()

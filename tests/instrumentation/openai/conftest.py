from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest
from opentelemetry.sdk.trace import TracerProvider

from otel_agent_trace.instrumentation.openai import OpenAIInstrumentor

from .mock_server import MockOpenAIServer, running_server


@pytest.fixture(scope="session")
def server() -> Iterator[MockOpenAIServer]:
    with running_server() as srv:
        yield srv


@pytest.fixture
def instrument_options() -> dict[str, object]:
    """Extra keyword arguments for ``instrument()``; tests override it with ``pytest.mark.parametrize``."""
    return {"capture_content": False}


@pytest.fixture
def instrumentor(provider: TracerProvider, instrument_options: dict[str, object]) -> Iterator[OpenAIInstrumentor]:
    inst = OpenAIInstrumentor()
    inst.instrument(tracer_provider=provider, **instrument_options)
    try:
        yield inst
    finally:
        inst.uninstrument()


@pytest.fixture
def client(server: MockOpenAIServer, instrumentor: OpenAIInstrumentor) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(api_key="sk-test", base_url=server.base_url, max_retries=0) as c:
        yield c


@pytest.fixture
async def async_client(server: MockOpenAIServer, instrumentor: OpenAIInstrumentor) -> openai.AsyncOpenAI:
    c = openai.AsyncOpenAI(api_key="sk-test", base_url=server.base_url, max_retries=0)
    yield c  # type: ignore[misc]
    await c.close()

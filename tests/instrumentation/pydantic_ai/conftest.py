"""Pydantic AI against the local mock OpenAI server, recorded through `AgentSpanProcessor` (the enrichers run)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

pytest.importorskip("pydantic_ai")

from pydantic_ai import Agent
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider

from otel_agent_trace._internal.settings import Settings
from otel_agent_trace.instrumentation.openai import OpenAIInstrumentor
from otel_agent_trace.instrumentation.pydantic_ai import PydanticAIInstrumentor
from otel_agent_trace.processor import AgentSpanProcessor
from tests.instrumentation._servers import JSONHandler, serving
from tests.instrumentation.openai.mock_server import chat_chunks
from tests.instrumentation.smolagents.conftest import ScriptedServer, text_reply, tool_call_reply

__all__ = ["ScriptedServer", "model_of", "text_reply", "tool_call_reply"]

PYDANTIC_AI = "pydantic-ai"
OURS_OPENAI = "otel_agent_trace.OpenAIInstrumentor"


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> TracerProvider:
    """A provider whose spans go through our processor (enrichers inline, as with a user-given delegate)."""
    tp = TracerProvider()
    tp.add_span_processor(AgentSpanProcessor(SimpleSpanProcessor(exporter), settings=Settings()))
    return tp


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    """The scripted mock OpenAI server."""
    with serving(ScriptedServer()) as srv:
        yield srv


@pytest.fixture
def openai_instrumented(provider: TracerProvider) -> Iterator[None]:
    """Our openai instrumentor on (content capture on), as the distro would enable it next to Pydantic AI."""
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=provider, capture_content=True)
    try:
        yield
    finally:
        instrumentor.uninstrument()


@pytest.fixture
def instrumented(provider: TracerProvider, openai_instrumented: None) -> Iterator[PydanticAIInstrumentor]:
    """Pydantic AI instrumented zero-code (content capture on), our openai instrumentor too."""
    instrumentor = PydanticAIInstrumentor()
    instrumentor.instrument(tracer_provider=provider, capture_content=True)
    try:
        yield instrumentor
    finally:
        instrumentor.uninstrument()
        Agent.instrument_all(False)


def model_of(server: ScriptedServer) -> OpenAIChatModel:
    """A Pydantic AI OpenAI model reaching the mock server."""
    return OpenAIChatModel("gpt-mock", provider=OpenAIProvider(base_url=server.base_url, api_key="test"))


def named(spans: Any, prefix: str) -> list[ReadableSpan]:
    """The spans whose name starts with ``prefix``, in start order."""
    return sorted((s for s in spans if s.name.startswith(prefix)), key=lambda s: s.start_time or 0)


class StreamingServer(ScriptedServer):
    """Answers a streamed ``POST /chat/completions`` with the openai mock's text chunks (usage in the last)."""


class _StreamingHandler(JSONHandler):
    server: StreamingServer

    def do_POST(self) -> None:
        body = self.read_json()
        self.server.requests.append(body)
        chunks = chat_chunks("gpt-mock", tools=False, include_usage=True)
        self.send_sse([f"data: {json.dumps(chunk)}\n\n".encode() for chunk in chunks] + [b"data: [DONE]\n\n"])


@pytest.fixture
def streaming_server() -> Iterator[StreamingServer]:
    """A mock OpenAI server that streams every answer."""
    srv = StreamingServer()
    srv.RequestHandlerClass = _StreamingHandler
    with serving(srv) as running:
        yield running

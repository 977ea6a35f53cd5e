"""google-genai spans against the GenAI span definitions of the conformance suite (``tests/conformance``).

Real SDK calls against the local mock, through our instrumentor and `AgentSpanProcessor`, content capture on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from google.genai import types

from otel_agent_trace._internal import settings as settings_mod
from otel_agent_trace._internal.settings import Settings
from otel_agent_trace.instrumentation.google_genai import GoogleGenAIInstrumentor
from tests.conformance._check import conformance_problems
from tests.conformance._spec import EMBEDDINGS, EXECUTE_TOOL, INFERENCE, Fact
from tests.conformance.conftest import Recorded

from .conftest import MockServer, afc_tool, make_client


@pytest.fixture
def recorded() -> Iterator[Recorded]:
    settings_mod.set_settings(Settings(capture_content=True))
    rec = Recorded()
    instrumentor = GoogleGenAIInstrumentor()
    instrumentor.instrument(tracer_provider=rec.provider)
    try:
        yield rec
    finally:
        instrumentor.uninstrument()
        settings_mod.set_settings(None)


def test_generate_content_with_tools_conforms(mock_server: MockServer, recorded: Recorded) -> None:
    @afc_tool
    def get_weather(city: str) -> str:
        """Weather of a city."""
        return "18C"

    config: Any = types.GenerateContentConfig(system_instruction="Be brief.", tools=[get_weather], top_k=20, seed=3)
    client = make_client(mock_server)
    client.models.generate_content(model="gemini-tool", contents="Weather in Paris?", config=config)

    first, second = recorded.operation("generate_content")
    facts = {
        Fact.MODEL, Fact.SERVER_ADDRESS, Fact.CONTENT, Fact.MESSAGES, Fact.OUTPUT, Fact.SYSTEM_INSTRUCTIONS,
        Fact.TOOLS, Fact.TOP_K, Fact.SEED,
    }  # fmt: skip
    assert conformance_problems(first, INFERENCE, facts) == []
    assert conformance_problems(second, INFERENCE, facts) == []
    (tool,) = recorded.operation("execute_tool")
    assert conformance_problems(tool, EXECUTE_TOOL, {Fact.TOOL_DESCRIPTION, Fact.CONTENT, Fact.TOOL_RESULT}) == []


def test_stream_conforms(mock_server: MockServer, recorded: Recorded) -> None:
    client = make_client(mock_server)
    list(client.models.generate_content_stream(model="gemini-2.5-flash", contents="hi"))

    (span,) = recorded.operation("generate_content")
    facts = {Fact.MODEL, Fact.SERVER_ADDRESS, Fact.STREAM, Fact.CONTENT, Fact.MESSAGES, Fact.OUTPUT}
    assert conformance_problems(span, INFERENCE, facts) == []


def test_error_and_embeddings_conform(mock_server: MockServer, recorded: Recorded) -> None:
    client = make_client(mock_server)
    with pytest.raises(Exception, match="RESOURCE_EXHAUSTED"):
        client.models.generate_content(model="gemini-quota", contents="hi")
    client.models.embed_content(model="text-embedding-004", contents="hi")

    (failed,) = recorded.operation("generate_content")
    facts = {Fact.MODEL, Fact.SERVER_ADDRESS, Fact.ERROR, Fact.CONTENT, Fact.MESSAGES}
    assert conformance_problems(failed, INFERENCE, facts) == []
    (embedding,) = recorded.operation("embeddings")
    assert conformance_problems(embedding, EMBEDDINGS, {Fact.MODEL, Fact.SERVER_ADDRESS}) == []

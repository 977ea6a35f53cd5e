"""Bedrock spans against the GenAI span definitions of the conformance suite (``tests/conformance``).

Real boto3 calls against the local mock, through our instrumentor and `AgentSpanProcessor`, content capture on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from otel_agent_trace._internal import settings as settings_mod
from otel_agent_trace._internal.settings import Settings
from otel_agent_trace.instrumentation.bedrock import BedrockInstrumentor
from tests.conformance._check import conformance_problems
from tests.conformance._spec import EMBEDDINGS, INFERENCE, Fact
from tests.conformance.conftest import Recorded

from .conftest import MockServer, make_client

MESSAGES = [{"role": "user", "content": [{"text": "Weather in Paris?"}]}]
TOOLS = {"tools": [{"toolSpec": {"name": "get_weather", "description": "Weather", "inputSchema": {"json": {}}}}]}
FACTS = {Fact.MODEL, Fact.SERVER_ADDRESS, Fact.CONTENT, Fact.MESSAGES}


@pytest.fixture
def recorded() -> Iterator[Recorded]:
    settings_mod.set_settings(Settings(capture_content=True))
    rec = Recorded()
    instrumentor = BedrockInstrumentor()
    instrumentor.instrument(tracer_provider=rec.provider)
    try:
        yield rec
    finally:
        instrumentor.uninstrument()
        settings_mod.set_settings(None)


@pytest.mark.parametrize("stream", [False, True])
def test_converse_conforms(mock_server: MockServer, recorded: Recorded, stream: bool) -> None:
    client = make_client(mock_server)
    kwargs = {
        "modelId": "anthropic.claude-tool",
        "messages": MESSAGES,
        "system": [{"text": "Brief."}],
        "toolConfig": TOOLS,
    }
    if stream:
        list(client.converse_stream(**kwargs)["stream"])
    else:
        client.converse(**kwargs)

    (span,) = recorded.operation("chat")
    facts = FACTS | {Fact.OUTPUT, Fact.SYSTEM_INSTRUCTIONS, Fact.TOOLS} | ({Fact.STREAM} if stream else set())
    assert conformance_problems(span, INFERENCE, facts) == []


def test_invoke_model_bodies_conform(mock_server: MockServer, recorded: Recorded) -> None:
    client = make_client(mock_server)
    body = {"max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
    client.invoke_model(modelId="anthropic.claude-3", body=json.dumps(body))["body"].read()
    client.invoke_model(modelId="meta.llama3-8b-instruct-v1:0", body=json.dumps({"prompt": "hi"}))["body"].read()
    client.invoke_model(modelId="amazon.titan-embed-text-v2:0", body=json.dumps({"inputText": "hi"}))["body"].read()

    (chat,) = recorded.operation("chat")
    assert conformance_problems(chat, INFERENCE, FACTS | {Fact.OUTPUT}) == []
    (completion,) = recorded.operation("text_completion")
    assert conformance_problems(completion, INFERENCE, FACTS | {Fact.OUTPUT}) == []
    (embedding,) = recorded.operation("embeddings")
    assert conformance_problems(embedding, EMBEDDINGS, {Fact.MODEL, Fact.SERVER_ADDRESS}) == []


def test_error_conforms(mock_server: MockServer, recorded: Recorded) -> None:
    with pytest.raises(ClientError):
        make_client(mock_server).converse(modelId="throttled", messages=MESSAGES)

    (span,) = recorded.operation("chat")
    assert conformance_problems(span, INFERENCE, FACTS | {Fact.ERROR}) == []

"""anthropic and litellm chat spans against the GenAI inference span definition.

Real SDK calls against the instrumentor tests' local mock servers, through our instrumentors and
`AgentSpanProcessor`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import pytest

from otel_agent_trace.instrumentation.anthropic import AnthropicInstrumentor
from tests.conformance._check import conformance_problems
from tests.conformance._spec import INFERENCE, Fact
from tests.conformance.conftest import Recorded
from tests.instrumentation._servers import serving
from tests.instrumentation.anthropic.conftest import MockServer as AnthropicServer

litellm = pytest.importorskip("litellm")
from otel_agent_trace.instrumentation.litellm import LiteLLMInstrumentor  # noqa: E402
from tests.instrumentation.litellm.conftest import MockServer as LiteLLMServer  # noqa: E402

SCHEMA: Any = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
ANTHROPIC_TOOLS: Any = [
    {"name": "get_weather", "description": "Weather of a city.", "input_schema": SCHEMA},
    {"type": "web_search_20250305", "name": "web_search", "max_uses": 5},
]
OPENAI_FORMAT_TOOLS: Any = [
    {"type": "function", "function": {"name": "get_weather", "description": "Weather of a city.", "parameters": SCHEMA}}
]
MESSAGES: Any = [{"role": "user", "content": "Weather in Paris?"}]
CALLED = {Fact.MODEL, Fact.SERVER_ADDRESS}


@pytest.fixture(scope="module")
def anthropic_server() -> Iterator[AnthropicServer]:
    with serving(AnthropicServer()) as server:
        yield server


@pytest.fixture(scope="module")
def litellm_server() -> Iterator[LiteLLMServer]:
    with serving(LiteLLMServer()) as server:
        yield server


def _anthropic(server: AnthropicServer) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key="sk-ant-test", base_url=server.base_url, max_retries=0, open_telemetry=False)


@pytest.mark.parametrize("stream", [False, True])
def test_anthropic_messages(anthropic_server: AnthropicServer, recorded: Recorded, stream: bool) -> None:
    instrumentor = AnthropicInstrumentor()
    instrumentor.instrument(tracer_provider=recorded.provider, capture_content=not stream)
    try:
        with _anthropic(anthropic_server) as client:
            kwargs: Any = {"model": "claude-tool", "max_tokens": 64, "system": "Be brief.", "messages": MESSAGES}
            if stream:
                with client.messages.stream(**kwargs, tools=ANTHROPIC_TOOLS) as events:
                    for _ in events:
                        pass
            else:
                client.messages.create(**kwargs, tools=ANTHROPIC_TOOLS, extra_body={"top_k": 5})
    finally:
        instrumentor.uninstrument()
    (span,) = recorded.operation("chat")
    facts = CALLED | ({Fact.STREAM} if stream else {Fact.TOP_K, Fact.CONTENT, Fact.MESSAGES, Fact.OUTPUT})
    facts |= {Fact.SYSTEM_INSTRUCTIONS, Fact.TOOLS}
    assert conformance_problems(span, INFERENCE, facts) == []
    attributes = span.attributes or {}
    assert attributes["gen_ai.provider.name"] == "anthropic"
    assert not any(key.startswith("openai.") for key in attributes)  # provider-specific attributes stay apart
    if not stream:
        assert json.loads(str(attributes["gen_ai.tool.definitions"])) == [
            {"type": "function", "name": "get_weather", "description": "Weather of a city.", "parameters": SCHEMA},
            {"type": "web_search_20250305", "name": "web_search"},
        ]


@pytest.mark.parametrize("stream", [False, True])
def test_litellm_completion(litellm_server: LiteLLMServer, recorded: Recorded, stream: bool) -> None:
    instrumentor = LiteLLMInstrumentor()
    instrumentor.instrument(tracer_provider=recorded.provider, capture_content=not stream)
    try:
        response = litellm.completion(
            model="openai/gpt-tool",
            messages=MESSAGES,
            tools=OPENAI_FORMAT_TOOLS,
            seed=3,
            response_format={"type": "json_object"},
            api_base=litellm_server.api_base,
            api_key="sk-test",
            max_retries=0,
            num_retries=0,
            stream=stream,
        )
        if stream:
            for _ in response:
                pass
    finally:
        instrumentor.uninstrument()
    (span,) = recorded.operation("chat")
    facts = CALLED | {Fact.SEED, Fact.OUTPUT_TYPE, Fact.TOOLS, Fact.MESSAGES, Fact.OUTPUT}
    facts |= {Fact.STREAM} if stream else {Fact.CONTENT}
    assert conformance_problems(span, INFERENCE, facts) == []
    attributes = span.attributes or {}
    assert attributes["gen_ai.provider.name"] == "openai"
    assert attributes["gen_ai.output.type"] == "json"
    if not stream:
        assert json.loads(str(attributes["gen_ai.tool.definitions"])) == [
            {"type": "function", "name": "get_weather", "description": "Weather of a city.", "parameters": SCHEMA}
        ]

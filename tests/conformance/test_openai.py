"""openai chat completions, Responses API and embeddings spans against the OpenAI and GenAI span definitions.

Real ``openai`` client calls against the instrumentor tests' local mock (with the ``service_tier`` the real API
returns), through `OpenAIInstrumentor` and `AgentSpanProcessor`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import openai
import pytest

from otel_agent_trace.instrumentation.openai import OpenAIInstrumentor
from tests.conformance._check import conformance_problems
from tests.conformance._openai_server import TierServer, running_server
from tests.conformance._spec import EMBEDDINGS, OPENAI_INFERENCE, Fact
from tests.conformance.conftest import Recorded

MODEL = "gpt-4o-mini"
WEATHER_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather of a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
MESSAGES: Any = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Weather in Paris?"}]
SERVED = {Fact.MODEL, Fact.SERVER_ADDRESS, Fact.RESPONSE_SERVICE_TIER}
"""True of every successful call below: a model named, a base URL, and the mock's ``service_tier``."""


@pytest.fixture(scope="module")
def server() -> Iterator[TierServer]:
    with running_server() as srv:
        yield srv


@contextmanager
def client(server: TierServer, recorded: Recorded, *, capture: bool) -> Iterator[openai.OpenAI]:
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=recorded.provider, capture_content=capture)
    try:
        with openai.OpenAI(api_key="sk-test", base_url=server.base_url, max_retries=0) as c:
            yield c
    finally:
        instrumentor.uninstrument()


def test_chat_completion_with_tools_seed_tier_and_format(server: TierServer, recorded: Recorded) -> None:
    with client(server, recorded, capture=True) as c:
        c.chat.completions.create(
            model=MODEL,
            messages=MESSAGES,
            tools=[WEATHER_TOOL],
            seed=7,
            n=2,
            service_tier="default",
            response_format={"type": "json_object"},
        )
    span = recorded.one(f"chat {MODEL}")
    facts = SERVED | {Fact.SEED, Fact.CHOICE_COUNT, Fact.OUTPUT_TYPE, Fact.REQUEST_SERVICE_TIER}
    facts |= {Fact.SYSTEM_FINGERPRINT, Fact.CONTENT, Fact.MESSAGES, Fact.TOOLS, Fact.OUTPUT}
    assert conformance_problems(span, OPENAI_INFERENCE, facts) == []
    attributes = span.attributes or {}
    assert attributes["openai.api.type"] == "chat_completions"
    assert attributes["openai.request.service_tier"] == "default"
    assert attributes["openai.response.service_tier"] == "default"
    assert attributes["openai.response.system_fingerprint"] == "fp_test"
    assert attributes["gen_ai.output.type"] == "json"
    assert attributes["gen_ai.request.choice.count"] == 2
    assert json.loads(str(attributes["gen_ai.tool.definitions"])) == [
        {
            "type": "function",
            "name": "get_weather",
            "description": "Weather of a city.",
            "parameters": WEATHER_TOOL["function"]["parameters"],
        }
    ]


def test_streamed_chat_takes_tier_and_fingerprint_from_the_chunks(server: TierServer, recorded: Recorded) -> None:
    with client(server, recorded, capture=False) as c:
        stream = c.chat.completions.create(
            model=MODEL,
            messages=MESSAGES,
            tools=[WEATHER_TOOL],
            stream=True,
            stream_options={"include_usage": True},
            service_tier="auto",
        )
        for _ in stream:
            pass
    span = recorded.one(f"chat {MODEL}")
    # Content capture off: the opt-in attributes (messages, tool definitions, output) must not be there.
    assert conformance_problems(span, OPENAI_INFERENCE, SERVED | {Fact.STREAM, Fact.SYSTEM_FINGERPRINT}) == []
    attributes = span.attributes or {}
    assert attributes["openai.response.service_tier"] == "default"
    assert attributes["openai.response.system_fingerprint"] == "fp_test"
    assert "openai.request.service_tier" not in attributes  # "auto" is not recorded
    assert "gen_ai.tool.definitions" not in attributes


def test_responses_call_with_tools_and_instructions(server: TierServer, recorded: Recorded) -> None:
    lookup: Any = {
        "type": "function",
        "name": "lookup",
        "description": "Search the docs.",
        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
        "strict": False,
    }
    with client(server, recorded, capture=True) as c:
        c.responses.create(
            model=MODEL,
            instructions="Be brief.",
            input="What is OTel?",
            tools=[lookup, {"type": "web_search_preview"}],
            text={"format": {"type": "text"}},
        )
    span = recorded.one(f"chat {MODEL}")
    facts = SERVED | {Fact.OUTPUT_TYPE, Fact.CONTENT, Fact.MESSAGES, Fact.SYSTEM_INSTRUCTIONS, Fact.TOOLS, Fact.OUTPUT}
    assert conformance_problems(span, OPENAI_INFERENCE, facts) == []
    attributes = span.attributes or {}
    assert attributes["openai.api.type"] == "responses"
    assert attributes["gen_ai.output.type"] == "text"
    assert attributes["gen_ai.usage.reasoning.output_tokens"] == 0  # usage.output_tokens_details.reasoning_tokens
    definitions = json.loads(str(attributes["gen_ai.tool.definitions"]))
    assert definitions == [
        {
            "type": "function",
            "name": "lookup",
            "description": "Search the docs.",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
        },
        {"type": "web_search_preview", "name": "web_search_preview"},  # a built-in tool, named after its type
    ]


def test_streamed_responses_call(server: TierServer, recorded: Recorded) -> None:
    with client(server, recorded, capture=True) as c:
        for _ in c.responses.create(model=MODEL, input="Hi", stream=True):
            pass
    span = recorded.one(f"chat {MODEL}")
    facts = SERVED | {Fact.STREAM, Fact.CONTENT, Fact.MESSAGES, Fact.OUTPUT}
    assert conformance_problems(span, OPENAI_INFERENCE, facts) == []
    assert (span.attributes or {})["openai.response.service_tier"] == "default"


def test_failed_chat_completion(server: TierServer, recorded: Recorded) -> None:
    with client(server, recorded, capture=False) as c, pytest.raises(openai.RateLimitError):
        c.chat.completions.create(model="error-429", messages=MESSAGES)
    span = recorded.one("chat error-429")
    facts = {Fact.MODEL, Fact.SERVER_ADDRESS, Fact.ERROR}
    assert conformance_problems(span, OPENAI_INFERENCE, facts) == []
    assert (span.attributes or {})["error.type"] == "openai.RateLimitError"


def test_embeddings(server: TierServer, recorded: Recorded) -> None:
    with client(server, recorded, capture=True) as c:
        c.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    span = recorded.one("embeddings text-embedding-3-small")
    assert conformance_problems(span, EMBEDDINGS, {Fact.MODEL, Fact.SERVER_ADDRESS}) == []

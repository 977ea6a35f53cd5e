"""A real ``langchain-openai`` ChatOpenAI against a local mock server: token usage is counted once."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import pytest
from langgraph.graph import START, MessagesState, StateGraph
from opentelemetry.sdk.trace import TracerProvider

from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import gen_ai as G
from tests.instrumentation._servers import JSONHandler, serving

langchain_openai = pytest.importorskip("langchain_openai")
openai_instrumentation = pytest.importorskip("otel_agent_trace.instrumentation.openai")

pytestmark = pytest.mark.usefixtures("instrumentor")

COMPLETION = {
    "id": "chatcmpl-lc1",
    "object": "chat.completion",
    "created": 1_700_000_000,
    "model": "gpt-4o-mini-2024-07-18",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Paris.", "refusal": None},
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 12, "completion_tokens": 2, "total_tokens": 14},
}


class _Handler(JSONHandler):
    def do_POST(self) -> None:
        self.read_json()
        self.send_json(200, COMPLETION)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), _Handler)) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"


def _graph(base_url: str) -> Any:
    model = langchain_openai.ChatOpenAI(model="gpt-4o-mini", api_key="sk-test", base_url=base_url, max_retries=0)

    def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    g = StateGraph(MessagesState)
    g.add_node("agent", agent)
    g.add_edge(START, "agent")
    return g.compile(name="openai_agent")


def test_framework_span_records_usage_without_provider_instrumentor(base_url: str, tree: Any) -> None:
    result = _graph(base_url).invoke({"messages": [("user", "Capital of France?")]})
    assert result["messages"][-1].content == "Paris."
    chat = tree().one("chat gpt-4o-mini")
    assert chat.attributes[G.GEN_AI_PROVIDER_NAME] == "openai"
    assert chat.attributes[G.GEN_AI_REQUEST_MODEL] == "gpt-4o-mini"
    assert chat.attributes[G.GEN_AI_RESPONSE_MODEL] == "gpt-4o-mini-2024-07-18"
    assert chat.attributes[G.GEN_AI_RESPONSE_ID] == "chatcmpl-lc1"
    assert list(chat.attributes[G.GEN_AI_RESPONSE_FINISH_REASONS]) == ["stop"]
    assert chat.attributes[A.LLM_USAGE_SOURCE] == "framework"
    assert chat.attributes[G.GEN_AI_USAGE_INPUT_TOKENS] == 12
    assert chat.attributes[G.GEN_AI_USAGE_OUTPUT_TOKENS] == 2


def test_tokens_counted_once_with_provider_span(base_url: str, provider: TracerProvider, tree: Any) -> None:
    inst = openai_instrumentation.OpenAIInstrumentor()
    inst.instrument(tracer_provider=provider, capture_content=False)
    try:
        _graph(base_url).invoke({"messages": [("user", "Capital of France?")]})
    finally:
        inst.uninstrument()
    t = tree()
    chats = t.named("chat gpt-4o-mini")
    assert len(chats) == 2
    framework = next(s for s in chats if A.LLM_USAGE_SOURCE in s.attributes)
    provider_span = next(s for s in chats if s is not framework)
    assert t.parent(provider_span) is framework  # the provider span nests under the framework span
    assert t.parent(framework) is t.one("step agent")
    # langchain-openai reads raw responses; our openai instrumentor records them, so the framework span defers
    assert openai_instrumentation.OpenAIInstrumentor.handles_raw_response is True
    assert framework.attributes[A.LLM_USAGE_SOURCE] == "provider"
    assert G.GEN_AI_USAGE_INPUT_TOKENS not in framework.attributes
    assert provider_span.attributes[G.GEN_AI_USAGE_INPUT_TOKENS] == 12
    assert provider_span.attributes[G.GEN_AI_RESPONSE_ID] == "chatcmpl-lc1"
    total = sum(int(s.attributes.get(G.GEN_AI_USAGE_INPUT_TOKENS, 0)) for s in t.spans)
    assert total == 12  # counted once either way


def test_provider_usage_rule_defers_to_an_instrumentor_that_handles_raw_responses(
    base_url: str, provider: TracerProvider, tree: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(openai_instrumentation.OpenAIInstrumentor, "handles_raw_response", True, raising=False)
    inst = openai_instrumentation.OpenAIInstrumentor()
    inst.instrument(tracer_provider=provider, capture_content=False)
    try:
        _graph(base_url).invoke({"messages": [("user", "Capital of France?")]})
    finally:
        inst.uninstrument()
    framework = next(s for s in tree().named("chat gpt-4o-mini") if A.LLM_USAGE_SOURCE in s.attributes)
    assert framework.attributes[A.LLM_USAGE_SOURCE] == "provider"
    assert G.GEN_AI_USAGE_INPUT_TOKENS not in framework.attributes

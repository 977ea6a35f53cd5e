"""Overriding an LLM span's output: recorded responses rewritten, then parsed by the real SDKs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from otel_agent_trace.replay._llm_override import UnknownShape, rewrite
from tests.instrumentation.openai.mock_server import chat_chunks, chat_completion

httpx2 = pytest.importorskip("httpx2")


def _client(sdk: Any, body: str, stream: bool) -> Any:
    kind = "text/event-stream" if stream else "application/json"

    def answer(request: Any) -> Any:
        return httpx2.Response(200, headers={"content-type": kind}, content=body.encode())

    return sdk(
        api_key="sk-test",
        base_url="http://mock.invalid/v1",
        http_client=httpx2.Client(transport=httpx2.MockTransport(answer)),
    )


def _sse(chunks: list[Any]) -> str:
    return "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"


def test_openai_chat_completion_json_and_stream():
    openai = pytest.importorskip("openai")
    body = rewrite(json.dumps(chat_completion("gpt-4o-mini", tools=True)), "Bonjour")
    reply = _client(openai.OpenAI, body, False).chat.completions.create(model="gpt-4o-mini", messages=[])
    assert reply.choices[0].message.content == "Bonjour"
    assert reply.choices[0].message.tool_calls is None
    assert reply.choices[0].finish_reason == "stop"
    assert reply.id == "chatcmpl-abc123"  # the rest of the recorded answer is kept
    streamed = rewrite(_sse(chat_chunks("gpt-4o-mini", tools=True, include_usage=True)), "Bonjour")
    client = _client(openai.OpenAI, streamed, True)
    chunks = list(client.chat.completions.create(model="gpt-4o-mini", messages=[], stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Bonjour"
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens == 35


def test_anthropic_message_json_and_stream():
    anthropic = pytest.importorskip("anthropic")
    from tests.instrumentation.anthropic.conftest import TOOL_MESSAGE, text_stream_events

    body = rewrite(json.dumps(TOOL_MESSAGE), "Bonjour")
    reply = _client(anthropic.Anthropic, body, False).messages.create(model="m", max_tokens=10, messages=[])
    assert [(b.type, b.text) for b in reply.content] == [("text", "Bonjour")]
    assert reply.stop_reason == "end_turn"
    streamed = rewrite(b"".join(text_stream_events()).decode(), "Bonjour")
    client = _client(anthropic.Anthropic, streamed, True)
    events = list(client.messages.create(model="m", max_tokens=10, messages=[], stream=True))
    assert "".join(e.delta.text for e in events if e.type == "content_block_delta") == "Bonjour"
    assert events[0].type == "message_start"
    assert events[-1].type == "message_stop"


@pytest.mark.parametrize("body", ["", "plain text", '{"object": "list", "data": []}', "data: {not json}\n\n"])
def test_unknown_shapes_are_refused(body: str):
    with pytest.raises(UnknownShape):
        rewrite(body, "x")

"""A local mock OpenAI-compatible server that ``OpenAIServerModel`` reaches through ``api_base``, scripted per test."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider

pytest.importorskip("smolagents")

from otel_agent_trace.instrumentation.smolagents import SmolagentsInstrumentor
from tests.instrumentation._servers import JSONHandler, serving

MODEL = "gpt-mock"


def tool_call_reply(name: str, arguments: dict[str, Any], call_id: str, tokens: tuple[int, int] = (20, 5)) -> Any:
    """A chat completion asking for one tool call."""
    return {
        "id": f"chatcmpl-{call_id}",
        "object": "chat.completion",
        "created": 1700000000,
        "model": f"{MODEL}-2024-01-01",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": call_id,
                            "type": "function",
                            "function": {"name": name, "arguments": json.dumps(arguments)},
                        }
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {"prompt_tokens": tokens[0], "completion_tokens": tokens[1], "total_tokens": sum(tokens)},
    }


def text_reply(text: str, reply_id: str = "chatcmpl-text", tokens: tuple[int, int] = (30, 7)) -> Any:
    """A chat completion answering with text."""
    return {
        "id": reply_id,
        "object": "chat.completion",
        "created": 1700000000,
        "model": f"{MODEL}-2024-01-01",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": tokens[0], "completion_tokens": tokens[1], "total_tokens": sum(tokens)},
    }


class ScriptedServer(ThreadingHTTPServer):
    """Answers each ``POST /chat/completions`` with the next scripted reply (status, body)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script: list[tuple[int, Any]] = []
        self.requests: list[Any] = []
        self.lock = threading.Lock()

    @property
    def base_url(self) -> str:
        """``api_base`` of the server."""
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def reply(self, *bodies: Any, status: int = 200) -> None:
        """Queue replies."""
        self.script.extend((status, body) for body in bodies)


class _Handler(JSONHandler):
    server: ScriptedServer

    def do_POST(self) -> None:
        body = self.read_json()
        with self.server.lock:
            self.server.requests.append(body)
            status, reply = self.server.script.pop(0) if self.server.script else (500, {"error": "no reply"})
        self.send_json(status, reply)


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    """The scripted mock server, running for the test."""
    with serving(ScriptedServer()) as srv:
        yield srv


@pytest.fixture
def instrumented(provider: TracerProvider) -> Iterator[SmolagentsInstrumentor]:
    """smolagents instrumented (content capture on) for the test."""
    instrumentor = SmolagentsInstrumentor()
    instrumentor.instrument(tracer_provider=provider, capture_content=True)
    try:
        yield instrumentor
    finally:
        instrumentor.uninstrument()


def by_name(spans: tuple[ReadableSpan, ...] | list[ReadableSpan], name: str) -> list[ReadableSpan]:
    """The spans called ``name``, in end order."""
    return [span for span in spans if span.name == name]


def one(spans: tuple[ReadableSpan, ...] | list[ReadableSpan], name: str) -> ReadableSpan:
    """The one span called ``name``."""
    found = by_name(spans, name)
    assert len(found) == 1, [span.name for span in spans]
    return found[0]


def parent_of(span: ReadableSpan, spans: tuple[ReadableSpan, ...] | list[ReadableSpan]) -> ReadableSpan | None:
    """The span's parent among ``spans``."""
    if span.parent is None:
        return None
    return next((s for s in spans if s.context is not None and s.context.span_id == span.parent.span_id), None)

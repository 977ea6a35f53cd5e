"""A local mock OpenAI-compatible server (reached by litellm through ``api_base``) and an instrumented provider."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any

# litellm fetches its model cost map from the internet at import time unless told not to.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

litellm = pytest.importorskip("litellm")
litellm.telemetry = False

from otel_agent_trace.instrumentation.litellm import LiteLLMInstrumentor  # noqa: E402
from tests.instrumentation._servers import JSONHandler, serving  # noqa: E402

TEXT_COMPLETION: dict[str, Any] = {
    "id": "chatcmpl-text-1",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "gpt-mock-2024-01-01",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Paris."}, "finish_reason": "stop"}],
    "usage": {
        "prompt_tokens": 20,
        "completion_tokens": 3,
        "total_tokens": 23,
        "prompt_tokens_details": {"cached_tokens": 8},
    },
}

TOOL_COMPLETION: dict[str, Any] = {
    "id": "chatcmpl-tool-1",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "gpt-mock-2024-01-01",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                    },
                    {"id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": "{}"}},
                ],
            },
            "finish_reason": "tool_calls",
        }
    ],
    "usage": {"prompt_tokens": 40, "completion_tokens": 12, "total_tokens": 52},
}

RATE_LIMITED = {"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}
BAD_REQUEST = {"error": {"message": "bad max_tokens", "type": "invalid_request_error", "code": None}}


def _chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
    body = {
        "id": "chatcmpl-stream-1",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "gpt-mock-2024-01-01",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }
    return f"data: {json.dumps(body)}\n\n".encode()


def _final_base() -> dict[str, Any]:
    return {
        "id": "chatcmpl-stream-1",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "gpt-mock-2024-01-01",
    }


def text_chunks() -> list[bytes]:
    usage = {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13}
    return [
        _chunk({"role": "assistant", "content": ""}),
        _chunk({"content": "Hello"}),
        _chunk({"content": ", world"}),
        _chunk({}, "stop"),
        b"data: " + json.dumps({**_final_base(), "choices": [], "usage": usage}).encode() + b"\n\n",
        b"data: [DONE]\n\n",
    ]


def tool_chunks() -> list[bytes]:
    first = {"index": 0, "id": "call_s1", "type": "function", "function": {"name": "search", "arguments": ""}}
    return [
        _chunk({"role": "assistant", "content": None, "tool_calls": [first]}),
        _chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"q": '}}]}),
        _chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"otel"}'}}]}),
        _chunk({}, "tool_calls"),
        b"data: [DONE]\n\n",
    ]


class _Handler(JSONHandler):
    def do_POST(self) -> None:
        body = self.read_json()
        self.server.requests.append(body)  # type: ignore[attr-defined]
        model = body.get("model", "")
        if "ratelimited" in model:
            self.send_json(429, RATE_LIMITED)
        elif "bad" in model:
            self.send_json(400, BAD_REQUEST)
        elif body.get("stream"):
            self.send_sse(tool_chunks() if "tool" in model else text_chunks())
        elif "tool" in model:
            self.send_json(200, TOOL_COMPLETION)
        else:
            self.send_json(200, TEXT_COMPLETION)


class MockServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict[str, Any]] = []

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


@pytest.fixture(scope="session")
def mock_server() -> Iterator[MockServer]:
    with serving(MockServer()) as server:
        yield server


@pytest.fixture
def instrument_kwargs() -> dict[str, Any]:
    return {"capture_content": False}


@pytest.fixture
def instrumentor(provider: TracerProvider, instrument_kwargs: dict[str, Any]) -> Iterator[LiteLLMInstrumentor]:
    inst = LiteLLMInstrumentor()
    inst.instrument(tracer_provider=provider, **instrument_kwargs)
    yield inst
    inst.uninstrument()


def finished(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return list(exporter.get_finished_spans())


def only_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    spans = finished(exporter)
    assert len(spans) == 1, [s.name for s in spans]
    return spans[0]

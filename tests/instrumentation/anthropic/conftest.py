"""A local mock of the Anthropic Messages API and an instrumented tracer provider."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any, ClassVar

import anthropic
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_agent_trace.instrumentation.anthropic import AnthropicInstrumentor
from tests.instrumentation._servers import JSONHandler, serving

TEXT_MESSAGE: dict[str, Any] = {
    "id": "msg_text_01",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-5-20250929",
    "content": [{"type": "text", "text": "Paris is the capital of France."}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {
        "input_tokens": 12,
        "output_tokens": 8,
        "cache_read_input_tokens": 100,
        "cache_creation_input_tokens": 5,
    },
}

TOOL_MESSAGE: dict[str, Any] = {
    "id": "msg_tool_01",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-5-20250929",
    "content": [
        {"type": "text", "text": "Let me look that up."},
        {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}},
        {"type": "tool_use", "id": "toolu_02", "name": "get_time", "input": {"tz": "CET"}},
    ],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "usage": {"input_tokens": 30, "output_tokens": 40},
}

OVERLOADED = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
BAD_REQUEST = {"type": "error", "error": {"type": "invalid_request_error", "message": "max_tokens: too large"}}


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def text_stream_events(message_id: str = "msg_stream_01") -> list[bytes]:
    start = {
        "type": "message_start",
        "message": {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5-20250929",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 25, "output_tokens": 1, "cache_read_input_tokens": 10},
        },
    }
    events = [_sse("message_start", start), _sse("ping", {"type": "ping"})]
    events.append(
        _sse(
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        )
    )
    for piece in ("Hello", ", ", "world", "!"):
        events.append(
            _sse(
                "content_block_delta",
                {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}},
            )
        )
    events.append(_sse("content_block_stop", {"type": "content_block_stop", "index": 0}))
    events.append(
        _sse(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": 15},
            },
        )
    )
    events.append(_sse("message_stop", {"type": "message_stop"}))
    return events


def tool_stream_events() -> list[bytes]:
    start = {
        "type": "message_start",
        "message": {
            "id": "msg_stream_tool",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5-20250929",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 50, "output_tokens": 1},
        },
    }
    tool_block = {"type": "tool_use", "id": "toolu_s1", "name": "search", "input": {}}
    return [
        _sse("message_start", start),
        _sse(
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        ),
        _sse(
            "content_block_delta",
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Searching."}},
        ),
        _sse("content_block_stop", {"type": "content_block_stop", "index": 0}),
        _sse("content_block_start", {"type": "content_block_start", "index": 1, "content_block": tool_block}),
        _sse(
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 1,
                "delta": {"type": "input_json_delta", "partial_json": '{"query": '},
            },
        ),
        _sse(
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 1,
                "delta": {"type": "input_json_delta", "partial_json": '"otel"}'},
            },
        ),
        _sse("content_block_stop", {"type": "content_block_stop", "index": 1}),
        _sse(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                "usage": {"output_tokens": 22},
            },
        ),
        _sse("message_stop", {"type": "message_stop"}),
    ]


def error_stream_events() -> list[bytes]:
    return [*text_stream_events()[:4], _sse("error", OVERLOADED)]


class _Handler(JSONHandler):
    json_headers: ClassVar[dict[str, str]] = {"request-id": "req_mock_1"}

    def do_POST(self) -> None:
        body = self.read_json()
        self.server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})  # type: ignore[attr-defined]
        model = body.get("model", "")
        if self.path.endswith("/count_tokens"):
            self.send_json(200, {"input_tokens": 12})
        elif "overloaded" in model:
            self.send_json(529, OVERLOADED)
        elif "bad" in model:
            self.send_json(400, BAD_REQUEST)
        elif body.get("stream"):
            if "tool" in model:
                self.send_sse(tool_stream_events())
            elif "midfail" in model:
                self.send_sse(error_stream_events())
            else:
                self.send_sse(text_stream_events())
        elif "tool" in model:
            self.send_json(200, TOOL_MESSAGE)
        else:
            self.send_json(200, TEXT_MESSAGE)


class MockServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict[str, Any]] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture(scope="session")
def mock_server() -> Iterator[MockServer]:
    with serving(MockServer()) as server:
        yield server


@pytest.fixture
def instrument_kwargs() -> dict[str, Any]:
    return {"capture_content": False}


@pytest.fixture
def instrumentor(provider: TracerProvider, instrument_kwargs: dict[str, Any]) -> Iterator[AnthropicInstrumentor]:
    inst = AnthropicInstrumentor()
    inst.instrument(tracer_provider=provider, **instrument_kwargs)
    yield inst
    inst.uninstrument()


@pytest.fixture
def client(mock_server: MockServer, instrumentor: AnthropicInstrumentor) -> Iterator[anthropic.Anthropic]:
    c = anthropic.Anthropic(api_key="sk-ant-test", base_url=mock_server.base_url, max_retries=0, open_telemetry=False)
    yield c
    c.close()


@pytest.fixture
async def aclient(mock_server: MockServer, instrumentor: AnthropicInstrumentor) -> Any:
    c = anthropic.AsyncAnthropic(
        api_key="sk-ant-test", base_url=mock_server.base_url, max_retries=0, open_telemetry=False
    )
    yield c
    await c.close()


def finished(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return list(exporter.get_finished_spans())


def only_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    spans = finished(exporter)
    assert len(spans) == 1, [s.name for s in spans]
    return spans[0]

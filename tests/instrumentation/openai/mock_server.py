"""A local stand-in for the OpenAI HTTP API: realistic JSON and SSE bodies, chosen by the request.

Scenarios are picked by the request's ``model``:
``error-429`` answers 429 with an OpenAI error body, ``error-500`` answers 500, anything else succeeds.
Chat completions answer with tool calls when the request offers ``tools``.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.instrumentation._servers import serving

CREATED = 1_700_000_000


def chat_completion(model: str, tools: bool) -> dict[str, Any]:
    if tools:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": None,
            "refusal": None,
            "tool_calls": [
                {
                    "id": "call_weather_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                },
                {
                    "id": "call_time_2",
                    "type": "function",
                    "function": {"name": "get_time", "arguments": '{"tz": "CET"}'},
                },
            ],
        }
        finish = "tool_calls"
    else:
        message = {"role": "assistant", "content": "Hello there!", "refusal": None}
        finish = "stop"
    return {
        "id": "chatcmpl-abc123",
        "object": "chat.completion",
        "created": CREATED,
        "model": f"{model}-2024-07-18",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": 19,
            "completion_tokens": 10,
            "total_tokens": 29,
            "prompt_tokens_details": {"cached_tokens": 3, "audio_tokens": 0},
        },
        "system_fingerprint": "fp_test",
        "service_tier": "default",
    }


def _chunk(model: str, choices: list[dict[str, Any]], usage: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "chatcmpl-stream1",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": f"{model}-2024-07-18",
        "system_fingerprint": "fp_test",
        "choices": choices,
    }
    if usage is not None:
        body["usage"] = usage
    return body


def chat_chunks(model: str, tools: bool, include_usage: bool) -> list[dict[str, Any]]:
    chunks = [_chunk(model, [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}])]
    if tools:
        chunks.append(
            _chunk(
                model,
                [
                    {
                        "index": 0,
                        "delta": {
                            "tool_calls": [
                                {
                                    "index": 0,
                                    "id": "call_weather_1",
                                    "type": "function",
                                    "function": {"name": "get_weather", "arguments": ""},
                                }
                            ]
                        },
                        "finish_reason": None,
                    }
                ],
            )
        )
        for piece in ('{"city"', ': "Paris"}'):
            delta = {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}
            chunks.append(_chunk(model, [{"index": 0, "delta": delta, "finish_reason": None}]))
        finish = "tool_calls"
    else:
        for piece in ["Hel", "lo", " there", "!"] + [" more"] * 20:
            chunks.append(_chunk(model, [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]))
        finish = "stop"
    chunks.append(_chunk(model, [{"index": 0, "delta": {}, "finish_reason": finish}]))
    if include_usage:
        chunks.append(_chunk(model, [], {"prompt_tokens": 11, "completion_tokens": 24, "total_tokens": 35}))
    return chunks


def response_object(model: str, tools: bool, status: str = "completed") -> dict[str, Any]:
    if tools:
        output: list[dict[str, Any]] = [
            {
                "type": "function_call",
                "id": "fc_1",
                "call_id": "call_lookup_1",
                "name": "lookup",
                "arguments": '{"q": "otel"}',
                "status": "completed",
            }
        ]
    else:
        output = [
            {
                "type": "message",
                "id": "msg_1",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Hi from responses", "annotations": []}],
            }
        ]
    return {
        "id": "resp_abc123",
        "object": "response",
        "created_at": CREATED,
        "status": status,
        "model": f"{model}-2024-07-18",
        "output": output if status == "completed" else [],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "metadata": {},
        "temperature": 1.0,
        "top_p": 1.0,
        "usage": {
            "input_tokens": 12,
            "output_tokens": 5,
            "total_tokens": 17,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens_details": {"reasoning_tokens": 0},
        }
        if status == "completed"
        else None,
    }


def response_events(model: str) -> list[dict[str, Any]]:
    created = response_object(model, False, status="in_progress")
    done = response_object(model, False)
    events: list[dict[str, Any]] = [
        {"type": "response.created", "sequence_number": 0, "response": created},
        {"type": "response.in_progress", "sequence_number": 1, "response": created},
        {
            "type": "response.output_item.added",
            "sequence_number": 2,
            "output_index": 0,
            "item": {"type": "message", "id": "msg_1", "status": "in_progress", "role": "assistant", "content": []},
        },
        {
            "type": "response.content_part.added",
            "sequence_number": 3,
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "part": {"type": "output_text", "text": "", "annotations": []},
        },
    ]
    for i, piece in enumerate(["Hi", " from", " responses"]):
        events.append(
            {
                "type": "response.output_text.delta",
                "sequence_number": 4 + i,
                "item_id": "msg_1",
                "output_index": 0,
                "content_index": 0,
                "delta": piece,
                "logprobs": [],
            }
        )
    events.append({"type": "response.completed", "sequence_number": 10, "response": done})
    return events


def embeddings(model: str, count: int) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [{"object": "embedding", "index": i, "embedding": [0.1, 0.2, 0.3, 0.4]} for i in range(count)],
        "model": model,
        "usage": {"prompt_tokens": 7, "total_tokens": 7},
    }


ERROR_429 = {
    "error": {
        "message": "Rate limit reached for gpt-4o-mini.",
        "type": "requests",
        "param": None,
        "code": "rate_limit_exceeded",
    }
}
ERROR_500 = {"error": {"message": "The server had an error.", "type": "server_error", "param": None, "code": None}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: MockOpenAIServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-request-id", "req_test")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _sse(self, events: list[dict[str, Any]], named: bool) -> None:
        lines = []
        for event in events:
            if named:
                lines.append(f"event: {event['type']}\n")
            lines.append(f"data: {json.dumps(event)}\n\n")
        if not named:
            lines.append("data: [DONE]\n\n")
        self._send(200, "".join(lines).encode(), "text/event-stream")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        self.server.requests.append((self.path, dict(self.headers), body))
        model = str(body.get("model", ""))
        if model == "error-429":
            self._json(429, ERROR_429)
            return
        if model == "error-500":
            self._json(500, ERROR_500)
            return
        tools = bool(body.get("tools"))
        stream = bool(body.get("stream"))
        if self.path.endswith("/chat/completions"):
            if stream:
                usage = bool((body.get("stream_options") or {}).get("include_usage"))
                self._sse(chat_chunks(model, tools, usage), named=False)
            else:
                self._json(200, chat_completion(model, tools))
        elif self.path.endswith("/responses"):
            if stream:
                self._sse(response_events(model), named=True)
            else:
                self._json(200, response_object(model, tools))
        elif self.path.endswith("/embeddings"):
            inputs = body.get("input")
            self._json(200, embeddings(model, len(inputs) if isinstance(inputs, list) else 1))
        else:
            self._json(404, {"error": {"message": "not found", "type": "invalid_request_error", "code": None}})


class MockOpenAIServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: list[tuple[str, dict[str, str], dict[str, Any]]] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


def running_server() -> AbstractContextManager[MockOpenAIServer]:
    """The mock server, running for the duration of a ``with`` block."""
    return serving(MockOpenAIServer())

"""A stateless local mock of the OpenAI API for the benchmarks (stdlib ``ThreadingHTTPServer``, keep-alive, Nagle off).

- ``POST .../chat/completions``: when the request offers ``tools`` and its last message is not a ``tool`` result, the
  answer asks for one ``add(a=1, b=2)`` call; otherwise it is a short assistant text.
- ``POST .../responses`` (OpenAI Agents SDK): a ``function_call`` to ``add`` until the input holds a
  ``function_call_output``, then a short assistant message. The bodies are built by
  ``tests/instrumentation/openai_agents/mock_server.py`` when that module is importable (same shapes as the tests).

Stateless, so a benchmark can make any number of calls in any order, from any number of worker processes.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_USAGE = {
    "prompt_tokens": 19,
    "completion_tokens": 9,
    "total_tokens": 28,
    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0},
}


def _completion(message: dict[str, Any], finish_reason: str) -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
            "usage": _USAGE,
            "system_fingerprint": "fp_bench",
        }
    ).encode()


CHAT_TEXT = _completion({"role": "assistant", "content": "Hello! How can I help you today?", "refusal": None}, "stop")
CHAT_TOOL_CALL = _completion(
    {
        "role": "assistant",
        "content": None,
        "refusal": None,
        "tool_calls": [
            {
                "id": "call_bench_1",
                "type": "function",
                "function": {"name": "add", "arguments": json.dumps({"a": 1, "b": 2})},
            }
        ],
    },
    "tool_calls",
)
CHAT_ANSWER = _completion({"role": "assistant", "content": "1 + 2 = 3.", "refusal": None}, "stop")


def _responses_bodies() -> tuple[bytes, bytes]:
    try:
        from tests.instrumentation.openai_agents.mock_server import text, tool_call
    except ImportError:  # run from outside the repository: the same shapes, built here
        usage = {
            "input_tokens": 11,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 7,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 18,
        }

        def response(output: list[dict[str, Any]], rid: str) -> dict[str, Any]:
            return {
                "id": rid, "object": "response", "created_at": 1_700_000_000, "status": "completed",
                "model": "gpt-4o-mini", "output": output, "parallel_tool_calls": True, "tool_choice": "auto",
                "tools": [], "usage": usage,
            }  # fmt: skip

        call = {
            "type": "function_call", "id": "fc_bench", "call_id": "call_bench_1", "name": "add",
            "arguments": json.dumps({"a": 1, "b": 2}), "status": "completed",
        }  # fmt: skip
        message = {
            "type": "message", "id": "msg_bench", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": "1 + 2 = 3.", "annotations": []}],
        }  # fmt: skip
        return json.dumps(response([call], "resp_call")).encode(), json.dumps(response([message], "resp_text")).encode()
    call_body = tool_call("resp_call", "add", {"a": 1, "b": 2}, "call_bench_1")
    return json.dumps(call_body).encode(), json.dumps(text("resp_text", "1 + 2 = 3.")).encode()


RESPONSES_TOOL_CALL, RESPONSES_TEXT = _responses_bodies()


def answer(path: str, request: dict[str, Any]) -> bytes | None:
    """The body the mock sends for a request to ``path`` (``None``: not found)."""
    route = path.rstrip("/")
    if route.endswith("/chat/completions"):
        messages = request.get("messages") or [{}]
        last = messages[-1] if isinstance(messages[-1], dict) else {}
        if last.get("role") == "tool":
            return CHAT_ANSWER
        return CHAT_TOOL_CALL if request.get("tools") else CHAT_TEXT
    if route.endswith("/responses"):
        items = request.get("input")
        done = isinstance(items, list) and any(
            isinstance(i, dict) and i.get("type") == "function_call_output" for i in items
        )
        return RESPONSES_TEXT if done else RESPONSES_TOOL_CALL
    return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            request = json.loads(raw) if raw else {}
        except ValueError:
            request = {}
        body = answer(self.path, request if isinstance(request, dict) else {})
        status = 200 if body is not None else 404
        body = body if body is not None else b'{"error": {"message": "not found", "type": "not_found"}}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def serving() -> Iterator[int]:
    """Run the mock on 127.0.0.1 (a free port) for the block; yields the port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()

"""A local fake of the OpenAI chat completions endpoint, for the offline demo."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _completion(message: dict[str, Any], finish_reason: str, call: int) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-demo-{call}",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "demo-model",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 42 + call, "completion_tokens": 7, "total_tokens": 49 + call},
    }


class _Handler(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the demo's output clean."""

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        request = json.loads(self.rfile.read(length) or b"{}")
        server: FakeLLM = self.server.owner  # type: ignore[attr-defined]
        body = json.dumps(server.reply(request)).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class FakeLLM:
    """Plans with a tool call when the conversation has no tool result yet, else writes the answer."""

    def __init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.owner = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._calls = 0
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def reply(self, request: dict[str, Any]) -> dict[str, Any]:
        """The canned completion for ``request``."""
        with self._lock:
            self._calls += 1
            call = self._calls
        messages = request.get("messages", [])
        if not any(m.get("role") == "tool" for m in messages):
            tool_call = {
                "id": f"call_rate_{call}",
                "type": "function",
                "function": {"name": "get_exchange_rate", "arguments": json.dumps({"base": "EUR", "quote": "USD"})},
            }
            return _completion({"role": "assistant", "content": None, "tool_calls": [tool_call]}, "tool_calls", call)
        last = messages[-1].get("content", "")
        return _completion({"role": "assistant", "content": f"Here are your options: {last}"}, "stop", call)

    def __enter__(self) -> FakeLLM:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

"""A local mock of the OpenAI Responses API serving scripted responses, one per request, in order."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.instrumentation._servers import serving

_USAGE = {
    "input_tokens": 11,
    "input_tokens_details": {"cached_tokens": 0},
    "output_tokens": 7,
    "output_tokens_details": {"reasoning_tokens": 0},
    "total_tokens": 18,
}


def response(output: list[dict[str, Any]], *, rid: str, model: str = "gpt-4o-mini") -> dict[str, Any]:
    """A completed Responses API object with ``output``."""
    return {
        "id": rid,
        "object": "response",
        "created_at": 1_700_000_000,
        "status": "completed",
        "model": model,
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": _USAGE,
    }


def text(rid: str, content: str) -> dict[str, Any]:
    """A response whose output is one assistant message."""
    message = {
        "type": "message",
        "id": f"msg_{rid}",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": content, "annotations": []}],
    }
    return response([message], rid=rid)


def tool_call(rid: str, name: str, arguments: dict[str, Any], call_id: str) -> dict[str, Any]:
    """A response asking for one function call."""
    call = {
        "type": "function_call",
        "id": f"fc_{rid}",
        "call_id": call_id,
        "name": name,
        "arguments": json.dumps(arguments),
        "status": "completed",
    }
    return response([call], rid=rid)


class MockResponses:
    """The scripted responses and the request bodies received."""

    def __init__(self) -> None:
        self.script: deque[dict[str, Any]] = deque()
        self.requests: list[dict[str, Any]] = []
        self.base_url = ""


def _handler(state: MockResponses) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            state.requests.append(json.loads(self.rfile.read(length) or b"{}"))
            if self.path.rstrip("/").endswith("/responses") and state.script:
                status, body = 200, state.script.popleft()
            else:
                status, body = 404, {"error": {"message": f"unexpected {self.path}", "type": "not_found"}}
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def serve() -> Iterator[MockResponses]:
    """Run the mock on 127.0.0.1 (a free port) for the duration of the block."""
    state = MockResponses()
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))) as server:
        state.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        yield state

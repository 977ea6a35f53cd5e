"""A local OpenAI Chat Completions mock for the AG2 tests: answers from a script, records every request."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from typing import Any

from tests.instrumentation._servers import JSONHandler, serving


def text_reply(text: str) -> dict[str, Any]:
    """A scripted answer: the model says ``text``."""
    return {"content": text}


def tool_reply(*calls: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """A scripted answer: the model calls these tools (name, arguments)."""
    return {"tool_calls": list(calls)}


def error_reply(status: int) -> dict[str, Any]:
    """A scripted answer: the API fails with ``status``."""
    return {"status": status}


class MockChat(ThreadingHTTPServer):
    """``POST /v1/chat/completions``: the next scripted answer (a plain "done" when the script is empty)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.counter = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def reset(self, *answers: dict[str, Any]) -> None:
        with self.lock:
            self.script = list(answers)
            self.requests = []

    def next_answer(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.requests.append(body)
            self.counter += 1
            return self.script.pop(0) if self.script else text_reply("done")


class _Handler(JSONHandler):
    server: MockChat

    def do_POST(self) -> None:
        body = self.read_json()
        answer = self.server.next_answer(body)
        if "status" in answer:
            self.send_json(answer["status"], {"error": {"message": "mock failure", "type": "server_error"}})
            return
        n = self.server.counter
        message: dict[str, Any] = {"role": "assistant", "content": answer.get("content")}
        finish = "stop"
        if answer.get("tool_calls"):
            message["tool_calls"] = [
                {"id": f"call_{n}_{i}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
                for i, (name, args) in enumerate(answer["tool_calls"])
            ]
            finish = "tool_calls"
        self.send_json(
            200,
            {
                "id": f"chatcmpl-{n}",
                "object": "chat.completion",
                "created": 1,
                "model": body.get("model", "gpt-4o-mini"),
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
            },
        )


@contextmanager
def serve() -> Iterator[MockChat]:
    """The mock, running in a thread for the block."""
    with serving(MockChat()) as server:
        yield server

"""A scripted local mock of the Gemini API ``generateContent`` for the ADK tests: each request gets the next reply."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from typing import Any

from tests.instrumentation._servers import JSONHandler

MODEL_VERSION = "gemini-2.5-flash-001"


def function_call(name: str, args: dict[str, Any], call_id: str, tokens: tuple[int, int] = (30, 5)) -> dict[str, Any]:
    """A reply asking for one function call."""
    return {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"functionCall": {"id": call_id, "name": name, "args": args}}]},
                "finishReason": "STOP",
            }
        ],
        "usageMetadata": {"promptTokenCount": tokens[0], "candidatesTokenCount": tokens[1]},
        "modelVersion": MODEL_VERSION,
        "responseId": f"resp_{call_id}",
    }


def text(answer: str, tokens: tuple[int, int] = (40, 9)) -> dict[str, Any]:
    """A reply answering in text."""
    return {
        "candidates": [{"content": {"role": "model", "parts": [{"text": answer}]}, "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": tokens[0], "candidatesTokenCount": tokens[1]},
        "modelVersion": MODEL_VERSION,
        "responseId": "resp_text",
    }


class ScriptedGemini(ThreadingHTTPServer):
    """Answers each ``POST .../models/{m}:generateContent`` with the next scripted reply (500 when none is left)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script: list[dict[str, Any]] = []
        self.requests: list[Any] = []
        self.lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def reply(self, *bodies: dict[str, Any]) -> None:
        """Queue replies."""
        self.script.extend(bodies)


class _Handler(JSONHandler):
    server: ScriptedGemini

    def do_POST(self) -> None:
        body = self.read_json()
        with self.server.lock:
            self.server.requests.append({"path": self.path, "body": body})
            reply = self.server.script.pop(0) if self.server.script else None
        if reply is None:
            self.send_json(500, {"error": {"code": 500, "message": "no scripted reply", "status": "INTERNAL"}})
        else:
            self.send_json(200, reply)

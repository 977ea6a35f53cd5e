"""A local mock of the OpenAI Responses API serving scripted responses, as JSON or as server-sent events.

A request takes the next response of the first route whose key occurs in its ``instructions`` (so agents running
concurrently, like a guardrail agent beside the main one, each get their own answers), else the next one of
``script``. A request with ``"stream": true`` gets the response as the event stream the real API sends
(``response.created``, the output items with text deltas, ``response.completed``). ``POST .../traces/ingest``
(the SDK's trace upload, when pointed here) is recorded and answered 200. ``POST .../chat/completions`` answers
the same script as a Chat Completions object (not streamed; routes match its system message). ``GET`` answers a
small weather JSON (for tools calling out). Any other POST is a 404.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from typing import Any

from tests.instrumentation._servers import JSONHandler, serving

RESPONSE_MODEL = "gpt-4o-mini-2024-07-18"
"""The dated model name the mock answers with (the agents request ``gpt-4o-mini``)."""

_USAGE = {
    "input_tokens": 11,
    "input_tokens_details": {"cached_tokens": 0},
    "output_tokens": 7,
    "output_tokens_details": {"reasoning_tokens": 0},
    "total_tokens": 18,
}


def response(output: list[dict[str, Any]], *, rid: str, model: str = RESPONSE_MODEL) -> dict[str, Any]:
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


def message(rid: str, content: str) -> dict[str, Any]:
    """An assistant message output item."""
    return {
        "type": "message",
        "id": f"msg_{rid}",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": content, "annotations": []}],
    }


def text(rid: str, content: str) -> dict[str, Any]:
    """A response whose output is one assistant message."""
    return response([message(rid, content)], rid=rid)


def function_call(name: str, arguments: dict[str, Any], call_id: str) -> dict[str, Any]:
    """A function call output item."""
    return {
        "type": "function_call",
        "id": f"fc_{call_id}",
        "call_id": call_id,
        "name": name,
        "arguments": json.dumps(arguments),
        "status": "completed",
    }


def tool_call(rid: str, name: str, arguments: dict[str, Any], call_id: str) -> dict[str, Any]:
    """A response asking for one function call."""
    return response([function_call(name, arguments, call_id)], rid=rid)


def tool_calls(rid: str, *calls: tuple[str, dict[str, Any], str]) -> dict[str, Any]:
    """A response asking for several function calls (``(name, arguments, call_id)`` each)."""
    return response([function_call(*call) for call in calls], rid=rid)


def sse_events(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The Responses API stream events of a completed response ``body``, in order."""
    events: list[dict[str, Any]] = [{"type": "response.created", "response": {**body, "status": "in_progress"}}]
    for index, item in enumerate(body["output"]):
        events.append({"type": "response.output_item.added", "output_index": index, "item": item})
        if item["type"] == "message":
            part = item["content"][0]
            for delta in (part["text"][: len(part["text"]) // 2], part["text"][len(part["text"]) // 2 :]):
                events.append(
                    {
                        "type": "response.output_text.delta",
                        "item_id": item["id"],
                        "output_index": index,
                        "content_index": 0,
                        "delta": delta,
                        "logprobs": [],
                    }
                )
            events.append(
                {
                    "type": "response.content_part.done",
                    "item_id": item["id"],
                    "output_index": index,
                    "content_index": 0,
                    "part": part,
                }
            )
        events.append({"type": "response.output_item.done", "output_index": index, "item": item})
    events.append({"type": "response.completed", "response": body})
    for number, event in enumerate(events):
        event["sequence_number"] = number
    return events


def chat_completion(body: dict[str, Any]) -> dict[str, Any]:
    """The Chat Completions answer carrying the same output as the Responses API ``body``."""
    message: dict[str, Any] = {"role": "assistant", "content": None}
    texts = [item["content"][0]["text"] for item in body["output"] if item["type"] == "message"]
    calls = [item for item in body["output"] if item["type"] == "function_call"]
    if texts:
        message["content"] = texts[0]
    if calls:
        message["tool_calls"] = [
            {"id": c["call_id"], "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}}
            for c in calls
        ]
    return {
        "id": f"chatcmpl-{body['id']}",
        "object": "chat.completion",
        "created": body["created_at"],
        "model": body["model"],
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop"}],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
    }


class MockResponses:
    """The scripted responses, the routes and the request bodies received."""

    def __init__(self) -> None:
        self.script: deque[dict[str, Any]] = deque()
        self.routes: dict[str, deque[dict[str, Any]]] = {}
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.ingested: list[dict[str, Any]] = []
        """The bodies the SDK's trace exporter uploaded to ``{base_url}/traces/ingest``."""
        self.base_url = ""
        self._lock = threading.Lock()

    def route(self, instructions_part: str, *bodies: dict[str, Any]) -> None:
        """Answer requests whose instructions contain ``instructions_part`` with ``bodies``, in order."""
        self.routes.setdefault(instructions_part, deque()).extend(bodies)

    def clear(self) -> None:
        """Forget the script, the routes and the requests."""
        with self._lock:
            self.script.clear()
            self.routes.clear()
            self.requests.clear()
            self.paths.clear()
            self.ingested.clear()

    def next_body(self, request: dict[str, Any]) -> dict[str, Any] | None:
        """The scripted answer to ``request``, if any is left."""
        with self._lock:
            system = [m.get("content") for m in request.get("messages") or () if m.get("role") == "system"]
            instructions = str(request.get("instructions") or (system[0] if system else ""))
            for key, queue in self.routes.items():
                if key in instructions:
                    return queue.popleft() if queue else None
            return self.script.popleft() if self.script else None


def _handler(state: MockResponses) -> type[JSONHandler]:
    class Handler(JSONHandler):
        def do_GET(self) -> None:  # a weather service for tools that make their own HTTP calls
            self.send_json(200, {"path": self.path, "temperature_range": "14-20C", "conditions": "Sunny with wind."})

        def do_POST(self) -> None:
            request = self.read_json()
            if self.path.rstrip("/").endswith("/traces/ingest"):  # the SDK's own trace upload
                with state._lock:
                    state.ingested.append(request)
                self.send_json(200, {})
                return
            with state._lock:
                state.requests.append(request)
                state.paths.append(self.path)
            path = self.path.rstrip("/")
            chat = path.endswith("/chat/completions")
            body = state.next_body(request) if path.endswith("/responses") or chat else None
            if body is not None and chat and not request.get("stream"):
                self.send_json(200, chat_completion(body))
            elif body is None or chat:
                self.send_json(404, {"error": {"message": f"unexpected {self.path}", "type": "not_found"}})
            elif request.get("stream"):
                events = sse_events(body)
                self.send_sse([f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events])
            else:
                self.send_json(200, body)

    return Handler


@contextmanager
def serve() -> Iterator[MockResponses]:
    """Run the mock on 127.0.0.1 (a free port) for the duration of the block."""
    state = MockResponses()
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))) as server:
        state.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        yield state

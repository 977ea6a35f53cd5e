"""A scripted OpenAI chat-completions server for CrewAI agents.

Each agent (found by the ``You are {role}.`` system prompt) has a script: one answer per turn, the turn being the
number of assistant messages already in the conversation. An answer is a tool call, a text, or an HTTP error. Requests
with ``tools`` get native ``tool_calls``; requests without (ReAct agents) get ``Action:`` / ``Final Answer:`` text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from typing import Any

from tests.instrumentation._servers import JSONHandler


@dataclass(frozen=True)
class Call:
    """Ask for a tool call."""

    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Answer:
    """Answer with text (the final answer)."""

    text: str


@dataclass(frozen=True)
class Fail:
    """Answer with an HTTP error."""

    status: int
    message: str = "scripted failure"


Step = Call | Answer | Fail


class MockLLMServer(ThreadingHTTPServer):
    """The server; ``script`` maps an agent role to its answers; ``requests`` keeps every request body."""

    script: dict[str, list[Step]]
    requests: list[dict[str, Any]]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


_ROLE = re.compile(r"You are (.+?)\.")


def _role(messages: list[dict[str, Any]]) -> str:
    for message in messages:
        if message.get("role") == "system":
            found = _ROLE.search(str(message.get("content")))
            if found:
                return found.group(1)
    return ""


def _turn(messages: list[dict[str, Any]]) -> int:
    return sum(1 for m in messages if m.get("role") == "assistant")


class _Handler(JSONHandler):
    server: MockLLMServer

    def do_POST(self) -> None:
        body = self.read_json()
        self.server.requests.append(body)
        messages = body.get("messages") or []
        script = self.server.script.get(_role(messages), [Answer("no script")])
        step = script[min(_turn(messages), len(script) - 1)]
        if isinstance(step, Fail):
            self.send_json(step.status, {"error": {"message": step.message, "type": "invalid_request_error"}})
            return
        native = bool(body.get("tools"))
        if isinstance(step, Call) and native:
            call = {
                "id": f"call_{len(self.server.requests)}",
                "type": "function",
                "function": {"name": step.name, "arguments": json.dumps(step.arguments)},
            }
            message: dict[str, Any] = {"role": "assistant", "content": None, "tool_calls": [call]}
            reason = "tool_calls"
        elif isinstance(step, Call):
            text = f"Thought: I use a tool\nAction: {step.name}\nAction Input: {json.dumps(step.arguments)}"
            message, reason = {"role": "assistant", "content": text}, "stop"
        else:
            text = step.text if native else f"Thought: I know the answer\nFinal Answer: {step.text}"
            message, reason = {"role": "assistant", "content": text}, "stop"
        self.send_json(
            200,
            {
                "id": f"chatcmpl-{len(self.server.requests)}",
                "object": "chat.completion",
                "created": 1,
                "model": body.get("model", "test-model"),
                "choices": [{"index": 0, "message": message, "finish_reason": reason}],
                "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
            },
        )


def start_mock() -> MockLLMServer:
    """A mock server on a free port of 127.0.0.1 (serve it with ``serving``)."""
    server = MockLLMServer(("127.0.0.1", 0), _Handler)
    server.script = {}
    server.requests = []
    return server

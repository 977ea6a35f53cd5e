"""A scripted OpenAI chat-completions server for AutoGen agents (no network).

Each agent is found by the ``[agent:NAME]`` marker its system message carries; the speaker selector by AutoGen's
selector prompt (``select the next role``); MagenticOne's orchestrator (which sends no system message) by the prompt
of its last user message: facts, plan, progress ledger or final answer (`MAGENTIC_FACTS`...). Each has a script: its
answers in order, one per request (the last one repeats). An answer is a tool call, a text, or an HTTP error.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from typing import Any

from tests.instrumentation._servers import JSONHandler

SELECTOR = "selector"
"""Script key of SelectorGroupChat's speaker-selection requests."""
MAGENTIC_FACTS = "magentic-facts"
MAGENTIC_PLAN = "magentic-plan"
MAGENTIC_LEDGER = "magentic-ledger"
MAGENTIC_FINAL = "magentic-final"
"""Script keys of MagenticOne's orchestrator requests: the fact sheet, the plan, each progress ledger, the answer."""
_MAGENTIC_PROMPTS = (
    ("please answer the following pre-survey", MAGENTIC_FACTS),
    ("rewrite the following fact sheet", MAGENTIC_FACTS),
    ("devise a short bullet-point plan", MAGENTIC_PLAN),
    ("come up with a new plan", MAGENTIC_PLAN),
    ("Recall we are working on the following request", MAGENTIC_LEDGER),
    ("We have completed the task.", MAGENTIC_FINAL),
)


@dataclass(frozen=True)
class Call:
    """Ask for a tool call."""

    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Answer:
    """Answer with text."""

    text: str


@dataclass(frozen=True)
class Fail:
    """Answer with an HTTP error."""

    status: int
    message: str = "scripted failure"


def ledger(next_speaker: str, instruction: str, reason: str, *, done: bool = False, progress: bool = True) -> Answer:
    """A MagenticOne progress ledger (the JSON its orchestrator asks for) naming the next speaker and why."""
    entry = {
        "is_request_satisfied": {"reason": reason if done else "not yet", "answer": done},
        "is_in_loop": {"reason": "no repeats", "answer": False},
        "is_progress_being_made": {"reason": "just starting" if progress else "stuck", "answer": progress},
        "next_speaker": {"reason": reason, "answer": next_speaker},
        "instruction_or_question": {"reason": "the next step", "answer": instruction},
    }
    return Answer(json.dumps(entry))


Step = Call | Answer | Fail


class MockLLMServer(ThreadingHTTPServer):
    """The server; ``script`` maps an agent name (or `SELECTOR`) to its answers; ``requests`` keeps every body."""

    script: dict[str, list[Step]]
    requests: list[dict[str, Any]]
    served: dict[str, int]
    lock: threading.Lock

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


_MARKER = re.compile(r"\[agent:([\w-]+)\]")


def _who(messages: list[dict[str, Any]]) -> str:
    for message in messages:
        if message.get("role") == "system":
            content = str(message.get("content"))
            if "select the next role" in content:
                return SELECTOR
            found = _MARKER.search(content)
            if found:
                return found.group(1)
    last = str(messages[-1].get("content")) if messages else ""
    for prompt, key in _MAGENTIC_PROMPTS:
        if prompt in last:
            return key
    return ""


class _Handler(JSONHandler):
    server: MockLLMServer

    def do_POST(self) -> None:
        body = self.read_json()
        who = _who(body.get("messages") or [])
        with self.server.lock:
            self.server.requests.append(body)
            turn = self.server.served.get(who, 0)
            self.server.served[who] = turn + 1
        script = self.server.script.get(who) or [Answer("no script")]
        step = script[min(turn, len(script) - 1)]
        if isinstance(step, Fail):
            self.send_json(step.status, {"error": {"message": step.message, "type": "invalid_request_error"}})
            return
        if isinstance(step, Call):
            call = {
                "id": f"call_{who}_{turn}",
                "type": "function",
                "function": {"name": step.name, "arguments": json.dumps(step.arguments)},
            }
            message: dict[str, Any] = {"role": "assistant", "content": None, "tool_calls": [call]}
            reason = "tool_calls"
        else:
            message, reason = {"role": "assistant", "content": step.text}, "stop"
        self.send_json(
            200,
            {
                "id": f"chatcmpl-{who}-{turn}",
                "object": "chat.completion",
                "created": 1,
                "model": body.get("model", "gpt-4o"),
                "choices": [{"index": 0, "message": message, "finish_reason": reason}],
                "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
            },
        )


def start_mock() -> MockLLMServer:
    """A mock server on a free port of 127.0.0.1 (serve it with ``serving``)."""
    server = MockLLMServer(("127.0.0.1", 0), _Handler)
    server.script = {}
    server.requests = []
    server.served = {}
    server.lock = threading.Lock()
    return server

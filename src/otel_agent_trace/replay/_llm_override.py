"""Overriding an LLM span's output: the recorded response body rewritten so the model "said" the given text.

Known shapes: OpenAI chat completions (JSON and SSE ``chat.completion.chunk`` streams; litellm's OpenAI-compatible
providers answer the same) and Anthropic messages (JSON and SSE event streams). The rewritten answer is plain
text: tool calls of the recorded answer are dropped and the finish reason becomes a normal stop. Other shapes are
refused (`UnknownShape`), and the replay stops saying so.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["UnknownShape", "rewrite"]


class UnknownShape(ValueError):
    """The recorded body is not a response shape we know how to rewrite."""


def _sse_events(body: str) -> list[tuple[str | None, str]]:
    """(event name, data) of each event of an SSE body."""
    events: list[tuple[str | None, str]] = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        name, data = None, []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip())
        if data:
            events.append((name, "\n".join(data)))
    return events


def _sse(events: list[tuple[str | None, Any]]) -> str:
    out = []
    for name, data in events:
        text = data if isinstance(data, str) else json.dumps(data)
        out.append((f"event: {name}\n" if name else "") + f"data: {text}\n\n")
    return "".join(out)


def _openai_json(doc: dict[str, Any], text: str) -> dict[str, Any]:
    choice = dict(doc["choices"][0])
    message = {k: v for k, v in dict(choice.get("message") or {}).items() if k not in ("tool_calls", "function_call")}
    message.update(role="assistant", content=text)
    choice.update(message=message, finish_reason="stop")
    return {**doc, "choices": [choice]}


def _anthropic_json(doc: dict[str, Any], text: str) -> dict[str, Any]:
    return {**doc, "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None}


def _openai_sse(events: list[tuple[str | None, str]], text: str) -> str:
    chunks = [json.loads(d) for _, d in events if d.strip() != "[DONE]"]
    first = next((c for c in chunks if c.get("object") == "chat.completion.chunk"), None)
    if first is None:
        raise UnknownShape("no chat.completion.chunk in the stream")
    base = {k: v for k, v in first.items() if k not in ("choices", "usage")}
    usage = next((c["usage"] for c in reversed(chunks) if c.get("usage")), None)

    def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    out: list[tuple[str | None, Any]] = [
        (None, chunk({"role": "assistant", "content": ""}, None)),
        (None, chunk({"content": text}, None)),
        (None, chunk({}, "stop")),
    ]
    if usage is not None:
        out.append((None, {**base, "choices": [], "usage": usage}))
    out.append((None, "[DONE]"))
    return _sse(out)


def _anthropic_sse(events: list[tuple[str | None, str]], text: str) -> str:
    parsed = [(name, json.loads(data)) for name, data in events]
    start = next((d for _, d in parsed if d.get("type") == "message_start"), None)
    if start is None:
        raise UnknownShape("no message_start in the stream")
    delta = next((d for _, d in parsed if d.get("type") == "message_delta"), {"type": "message_delta", "usage": {}})
    delta = {**delta, "delta": {"stop_reason": "end_turn", "stop_sequence": None}}
    out: list[tuple[str | None, Any]] = [
        ("message_start", start),
        (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        ),
        (
            "content_block_delta",
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}},
        ),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", delta),
        ("message_stop", {"type": "message_stop"}),
    ]
    return _sse(out)


def rewrite(body: str, text: str) -> str:
    """``body`` (a recorded LLM response) rewritten to answer ``text``.

    Raises:
        UnknownShape: not an OpenAI chat completion or an Anthropic message (JSON or SSE).
    """
    stripped = body.lstrip()
    try:
        if stripped.startswith("{"):
            doc = json.loads(body)
            if isinstance(doc, dict) and isinstance(doc.get("choices"), list) and doc["choices"]:
                return json.dumps(_openai_json(doc, text))
            if isinstance(doc, dict) and doc.get("type") == "message" and isinstance(doc.get("content"), list):
                return json.dumps(_anthropic_json(doc, text))
            raise UnknownShape("a JSON body that is neither a chat completion nor a message")
        events = _sse_events(body)
        if any(name == "message_start" or '"message_start"' in data for name, data in events):
            return _anthropic_sse(events, text)
        if events:
            return _openai_sse(events, text)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        if isinstance(exc, UnknownShape):
            raise
        raise UnknownShape(f"{type(exc).__name__}: {exc}") from None
    raise UnknownShape("an empty or non-JSON, non-SSE body")

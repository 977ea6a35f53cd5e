"""What the AG2 Classic wrappers read from ``autogen`` objects: names, chat messages as RCA-readable dicts.

Classic messages have no ids: a message is identified by its position in its chat (``"{chat}:{index}"``, the chat
being the group chat's or the two-agent chat's workflow), so a step's output message and the same message in a later
step's input carry the same id, which the RCA's message links read. Attributes are read with ``getattr`` defaults;
a hostile object whose attribute raises is the caller's to guard (``handle_internal_errors``).
"""

from __future__ import annotations

from typing import Any

MAX_MESSAGES = 64
"""Messages recorded per step input at most (the latest ones)."""


def text(value: Any) -> str | None:
    """``value`` if it is a non-empty string."""
    return value if isinstance(value, str) and value else None


def name_of(agent: Any) -> str:
    """An agent's name, else its class name."""
    return text(getattr(agent, "name", None)) or type(agent).__name__


def kind(msg: Any) -> str:
    """``tool_calls``, ``tool_result``, ``function_call`` or ``text``."""
    if not isinstance(msg, dict):
        return "text"
    if msg.get("tool_calls"):
        return "tool_calls"
    if msg.get("role") == "tool" or msg.get("tool_responses"):
        return "tool_result"
    if msg.get("function_call"):
        return "function_call"
    return "text"


def message(msg: Any, ident: str, source: str | None, recipient: str | None, capture: bool) -> dict[str, Any]:
    """One chat message as ``{"id", "source", "recipient", "type"[, "content"]}`` (its index ends the id)."""
    out: dict[str, Any] = {"id": ident, "type": kind(msg)}
    if source is not None:
        out["source"] = source
    if recipient is not None:
        out["recipient"] = recipient
    if capture:
        if isinstance(msg, dict):
            content = msg.get("content")
            if content or not msg.get("tool_calls"):  # a tool request has no text: no empty content recorded
                out["content"] = content
            if msg.get("tool_calls"):
                out["tool_calls"] = msg.get("tool_calls")
        else:
            out["content"] = msg
    return out


def author(msg: Any, me: str, other: str | None) -> str | None:
    """Who wrote ``msg`` of a history seen by ``me``: its ``name``, else by role (``assistant`` is ``me``)."""
    if isinstance(msg, dict):
        named = text(msg.get("name"))
        if named is not None:
            return named
        role = msg.get("role")
        if role == "assistant":
            return me
        if role in ("user", "tool", "function"):
            return other
    return other


def history(
    items: Any, key: str, me: str, other: str | None, capture: bool, *, group: bool = False
) -> list[dict[str, Any]]:
    """The latest `MAX_MESSAGES` messages of a chat history, each with its id ``"{key}:{index}"``.

    In a group chat (``group``) every message went to the group (``other``, the manager) and was broadcast.
    """
    if not isinstance(items, list):
        return []
    start = max(0, len(items) - MAX_MESSAGES)
    out = []
    for index in range(start, len(items)):
        msg = items[index]
        source = author(msg, me, other)
        recipient = other if group else (me if source != me else other)
        out.append(message(msg, f"{key}:{index}", source, recipient, capture))
    return out


def agent_names(agents: Any) -> list[str]:
    """The names of a list of agents."""
    if not isinstance(agents, (list, tuple)):
        return []
    return [name_of(a) for a in agents[:MAX_MESSAGES]]


def selection_method(groupchat: Any) -> str:
    """``auto``, ``round_robin``, ``random``, ``manual`` or ``callable``."""
    method = getattr(groupchat, "speaker_selection_method", None)
    if isinstance(method, str):
        return method
    return "callable" if callable(method) else type(method).__name__


def candidates(groupchat: Any, last_speaker: Any) -> list[str]:
    """The agents a selection can pick (minus the last speaker where repeats are barred)."""
    names = agent_names(getattr(groupchat, "agents", None))
    repeat = getattr(groupchat, "allow_repeat_speaker", True)
    last = name_of(last_speaker) if last_speaker is not None else None
    if repeat is False and last in names and len(names) > 1:
        names = [n for n in names if n != last]
    return names

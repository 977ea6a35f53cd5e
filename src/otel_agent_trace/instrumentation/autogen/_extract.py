"""What the AutoGen wrappers read from AutoGen objects: messages as RCA-readable dicts, names, candidates.

Attributes are read with ``getattr`` defaults; values are left as they are for ``safe_json_dumps`` to walk within
the attribute budget. A hostile object whose attribute raises is the caller's to guard (``handle_internal_errors``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MAX_MESSAGES = 64
"""Messages recorded per step input or output at most (the rest is counted, not copied)."""


def text(value: Any) -> str | None:
    """``value`` if it is a non-empty string."""
    return value if isinstance(value, str) and value else None


def message(msg: Any, capture: bool) -> dict[str, Any]:
    """One AutoGen message or event as ``{"id", "source", "type"[, "content"]}``, the shape the RCA's links read.

    Ids, authorship (``source``) and type are always recorded; the content only with content capture.
    """
    out: dict[str, Any] = {}
    for key in ("id", "source", "type"):
        value = text(getattr(msg, key, None))
        if value is not None:
            out[key] = value
    if "type" not in out:
        out["type"] = type(msg).__name__
    if capture:
        out["content"] = getattr(msg, "content", None)  # walked within the budget when the list is serialized
    return out


def messages(items: Any, capture: bool) -> list[dict[str, Any]]:
    """`message` of each item of ``items`` (at most `MAX_MESSAGES`; a non-iterable gives ``[]``)."""
    if not isinstance(items, Iterable) or isinstance(items, (str, bytes)):
        return []
    out: list[dict[str, Any]] = []
    for item in items:
        if len(out) >= MAX_MESSAGES:
            break
        out.append(message(item, capture))
    return out


def names(values: Any) -> list[str]:
    """The strings of ``values`` (a list of participant names), else ``[]``."""
    if isinstance(values, str):
        return [values]
    if not isinstance(values, (list, tuple)):
        return []
    return [v for v in values[:MAX_MESSAGES] if isinstance(v, str)]


def candidates(manager: Any) -> list[str]:
    """The speakers a group chat manager can choose from (its participants, minus the last one where barred)."""
    participants = names(getattr(manager, "_participant_names", None))
    previous = getattr(manager, "_previous_speaker", None)
    allow_repeated = getattr(manager, "_allow_repeated_speaker", True)
    if allow_repeated is False and isinstance(previous, str) and len(participants) > 1:
        participants = [p for p in participants if p != previous]
    return participants


def selection_method(manager: Any) -> str:
    """How a manager picks the speaker: ``round_robin``, ``selector_func``, ``model``, ``handoff``, or its class."""
    cls = type(manager).__name__
    if cls.startswith("RoundRobin"):
        return "round_robin"
    if cls.startswith("Swarm"):
        return "handoff"
    if cls.startswith("Selector"):
        return "selector_func" if getattr(manager, "_selector_func", None) is not None else "model"
    return cls


def chosen(result: Any) -> str | None:
    """The speaker(s) ``select_speaker`` returned, as one string."""
    picked = names(result)
    return ", ".join(picked) if picked else None


def code_blocks(blocks: Any) -> list[dict[str, Any]]:
    """Code blocks as ``{"language", "code"}``."""
    if not isinstance(blocks, (list, tuple)):
        return []
    return [{"language": getattr(b, "language", None), "code": getattr(b, "code", None)} for b in blocks[:MAX_MESSAGES]]

"""Payload decoding and the value keys used to match one step's output to another step's input."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

# ``(?<![\w.])-?\d+(?:\.\d+)?(?![\w])`` led by a character class, so the engine skips to candidate characters
# (the same matches: tests/rca/test_speed_equivalence.py)
_NUMBER = re.compile(r"[-\d](?<![\w.].)(?:(?<=-)\d+|(?<=\d)\d*)(?:\.\d+)?(?![\w])")
_IDENT = re.compile(r"\b[A-Za-z][A-Za-z_]*[-_]\w*\d\w*\b|\b\d+[A-Za-z][\w-]*\b")
_DIGIT_LETTER = re.compile(r"\d[A-Za-z]")
_TRIVIAL_NUMBERS = frozenset({"0", "1", "-1", "2"})
_TRIVIAL_STRINGS = frozenset(
    {
        "true",
        "false",
        "none",
        "null",
        "ok",
        "success",
        "error",
        "yes",
        "no",
        "user",
        "assistant",
        "system",
        "tool",
        "text",
        "json",
        "function",
        "done",
        "default",
        "unknown",
        "n/a",
    }
)
_BAD_TEXT = re.compile(r"\b(error|invalid|failed|unavailable|stale|deprecated)\b", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z][\w-]{3,}")
BOOKKEEPING_KEYS = frozenset(
    {
        "id",
        "call_id",
        "tool_call_id",
        "model",
        "provider",
        "system",
        "role",
        "type",
        "finish_reason",
        "finish_reasons",
        "index",
        "created",
        "timestamp",
        "time",
        "object",
        "usage",
        "system_fingerprint",
        "input_tokens",
        "output_tokens",
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "logprobs",
        "hash",
        "trace_id",
        "span_id",
    }
)
"""Payload keys whose values are bookkeeping, never content."""


_ID_KEYS = frozenset({"id", "call_id", "tool_call_id"})


@lru_cache(maxsize=4096)
def _bookkeeping_path(path: str) -> bool:
    return any(is_bookkeeping(part, ids=False) for part in path.split(".") if part)


@lru_cache(maxsize=4096)
def is_bookkeeping(key: str, *, ids: bool = True) -> bool:
    """Whether a payload key (the last part of a path) holds bookkeeping (ids, token counts, model names...).

    ``ids=False`` keeps call ids: they are no content, but they are the exact link from a tool call to its request.
    """
    name = key.lower().rsplit(".", 1)[-1].split("[", 1)[0]
    if not ids and name in _ID_KEYS:
        return False
    return name in BOOKKEEPING_KEYS or name.endswith(("_tokens", "_id", "_ms", "_ns"))


_MAX_STRING = 300
_NUMBER_HEADS = frozenset("+-.iInN")
"""Characters other than digits that can start a text `float` accepts (sign, point, inf, nan)."""
_MAX_KEYS = 200


def parse_payload(value: Any) -> Any:
    """A JSON string decoded (anything else returned as is); text that is not JSON stays text."""
    if isinstance(value, str):
        text = value.strip()
        head = text[:1]
        if head in ("{", "[", '"') or text in ("null", "true", "false"):
            try:
                return json.loads(text)
            except ValueError:
                return value
        if not head or not (head.isdigit() or head in _NUMBER_HEADS):
            return value  # float() and int() would refuse it: skip the exception
        try:
            return float(text) if "." in text else int(text)
        except ValueError:
            return value
    return value


def _number_key(number: float) -> str | None:
    if isinstance(number, float) and (math.isnan(number) or math.isinf(number)):
        return None
    if isinstance(number, float) and number.is_integer():
        number = int(number)
    text = repr(round(number, 6)) if isinstance(number, float) else str(number)
    return None if text in _TRIVIAL_NUMBERS else "n:" + text


def _string_keys(text: str) -> Iterator[str]:
    stripped = text.strip()
    if 3 <= len(stripped) <= _MAX_STRING and stripped.lower() not in _TRIVIAL_STRINGS:
        yield "s:" + stripped.lower()
    for match in _NUMBER.finditer(text):
        key = _number_key(float(match.group()) if "." in match.group() else int(match.group()))
        if key:
            yield key
    # an identifier holds a dash or an underscore, or a digit right before a letter: else the scan finds nothing
    if "-" in text or "_" in text or _DIGIT_LETTER.search(text):
        for match in _IDENT.finditer(text):
            yield "s:" + match.group().lower()


def leaves(value: Any, depth: int = 0) -> Iterator[tuple[str, Any]]:
    """``(path, leaf)`` pairs of a decoded payload, dicts and lists flattened (``a.b[0]``)."""
    if depth > 12:
        return
    if isinstance(value, (dict, list, tuple)) and not value:
        yield "", value
    elif isinstance(value, dict):
        for key, item in value.items():
            for path, leaf in leaves(item, depth + 1):
                yield (f"{key}.{path}" if path else str(key)), leaf
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            for path, leaf in leaves(item, depth + 1):
                yield (f"[{index}].{path}" if path else f"[{index}]"), leaf
    else:
        yield "", value


def value_keys(value: Any) -> dict[str, str]:
    """Match keys of every salient leaf of a payload, each mapped to the path where it was found.

    Numbers other than 0, 1, -1 and 2, strings of 3 to 300 characters that are not boilerplate, and the numbers and
    identifiers (``INV-2019-7``) inside longer strings. JSON strings are decoded first.
    """
    out: dict[str, str] = {}
    for path, leaf in leaves(parse_payload(value)):
        if isinstance(leaf, bool) or leaf is None or _bookkeeping_path(path):
            continue
        if isinstance(leaf, (int, float)):
            key = _number_key(leaf)
            if key:
                out.setdefault(key, path)
        elif isinstance(leaf, str):
            parsed = parse_payload(leaf)
            if parsed is not leaf and not isinstance(parsed, str):
                for nested, nested_path in value_keys(parsed).items():
                    out.setdefault(nested, f"{path}.{nested_path}" if path else nested_path)
                continue
            for key in _string_keys(leaf):
                out.setdefault(key, path)
        if len(out) >= _MAX_KEYS:
            break
    return out


def display_key(key: str) -> str:
    """A match key as the user wrote it (``n:-5`` -> ``-5``)."""
    return key[2:]


_MESSAGE_FIELDS = frozenset(
    {
        "additional_kwargs",
        "response_metadata",
        "usage_metadata",
        "refusal",
        "invalid_tool_calls",
        "tool_calls",
        "name",
        "id",
        "artifact",
        "example",
        "status",
    }
)
"""Fields of chat-message objects (LangChain's ``BaseMessage``...) that are empty or null in ordinary messages."""


def _message_field(path: str) -> bool:
    """Whether ``path`` is in a bookkeeping field of a message of a ``messages`` list (empty there is normal)."""
    if "messages" not in path:
        return False
    parts = [p.split("[", 1)[0] for p in path.split(".") if p]
    if "messages" not in parts:
        return False
    return any(p in _MESSAGE_FIELDS for p in parts[parts.index("messages") + 1 :])


def suspicious_leaves(value: Any) -> list[tuple[str, str | None]]:
    """Leaves that look wrong for a result: nulls, empty collections, negative amounts, NaN, error text.

    Returns:
        ``(description, match key or None)`` pairs; the key lets callers check whether the odd value flowed on.
    """
    found: list[tuple[str, str | None]] = []
    parsed = parse_payload(value)
    if parsed in ({}, [], "", None):
        return [("(empty result)", None)]
    for path, leaf in leaves(parsed):
        if leaf is None or leaf in ([], {}):
            if not _message_field(path):
                found.append((f"{path or '(value)'} is empty", None))
        elif isinstance(leaf, (int, float)) and not isinstance(leaf, bool):
            if isinstance(leaf, float) and math.isnan(leaf):
                found.append((f"{path} is NaN", None))
            elif leaf < 0:
                found.append((f"{path} is negative ({leaf})", _number_key(leaf)))
        elif isinstance(leaf, str) and _BAD_TEXT.search(leaf):
            found.append((f"{path or '(value)'} says {leaf[:60]!r}", next(_string_keys(leaf), None)))
    return found


def message_keys(text: str) -> dict[str, str]:
    """Match keys of an error message: its numbers, identifiers and each word of 4+ letters."""
    out = dict.fromkeys(_string_keys(text), "message")
    for match in _WORD.finditer(text):
        word = match.group().lower()
        if word not in _TRIVIAL_STRINGS:
            out.setdefault("s:" + word, "message")
    return out

"""Turning arbitrary Python values into bounded, valid JSON strings."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from otel_agent_trace._internal.jsonable import MAX_DEPTH, MAX_ITEMS, TRUNCATED_KEY, cut_text, encode, safe_repr
from otel_agent_trace._internal.settings import get_settings

__all__ = ["MAX_DEPTH", "MAX_ITEMS", "TRUNCATED_KEY", "content_hash", "dumps", "safe_json_dumps", "to_jsonable"]

HASH_MAX_BYTES = 64 * 1024
"""Most canonical JSON `content_hash` reads (per value); see its docstring for what lies beyond."""


def _budget(max_bytes: int | None) -> int:
    return get_settings().max_attribute_bytes if max_bytes is None else max_bytes


def to_jsonable(
    value: Any, *, max_bytes: int | None = None, max_depth: int = MAX_DEPTH, max_items: int = MAX_ITEMS
) -> Any:
    """A JSON-compatible copy of ``value`` whose JSON is at most ``max_bytes`` (default: the per-attribute budget).

    Cycles become ``"<cycle>"``, objects JSON cannot hold become their fields or ``repr``, nesting deeper than
    ``max_depth`` and containers longer than ``max_items`` are cut, with a note saying so (``docs/core.md``,
    "Hostile values"). The cost is bounded by the budget, not by ``value``. Never raises.
    """
    text = encode(value, _budget(max_bytes), max_depth=max_depth, max_items=max_items)
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # cannot happen for our own output; keep the text if it does
        return text


def _safe_repr(value: Any) -> str:
    return safe_repr(value)


def dumps(value: Any) -> str:
    """Compact JSON of an already JSON-compatible value."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_safe_repr)


def safe_json_dumps(value: Any, max_bytes: int | None = None) -> str:
    """JSON text of any value within ``max_bytes`` (default: the per-attribute budget). Never raises.

    A string is returned as is, cut first (only its first ``max_bytes`` characters are looked at) and marked
    ``...[truncated N chars]`` when longer. Anything else is walked only until its JSON reaches the budget; the
    cut is marked and the JSON stays valid (see `otel_agent_trace._internal.jsonable.encode`).
    """
    limit = _budget(max_bytes)
    if isinstance(value, str):
        return cut_text(value, limit)
    return encode(value, limit)


def content_hash(value: Any) -> str:
    """Stable short hash (sha256, 16 hex digits) of a value's canonical JSON (sorted keys and set members).

    Bounded: only the first `HASH_MAX_BYTES` of the canonical JSON are hashed. What is cut still counts by its
    size (a cut string's marker holds its length, a cut container's its item count), so two values differ in
    hash when they differ within that prefix or in the size of what was cut; two values equal in their first
    64 KiB of canonical JSON and in those sizes, but different beyond, hash the same. Objects (dicts, sets)
    longer than 1,000 items are hashed on their first 1,000 in iteration order.
    """
    canonical = encode(value, HASH_MAX_BYTES, canonical=True)
    return hashlib.sha256(canonical.encode("utf-8", "replace")).hexdigest()[:16]


def utf8_len(text: str) -> int:
    """Length of ``text`` in UTF-8 bytes."""
    return len(text.encode("utf-8"))


def truncate_text(text: str, max_bytes: int) -> str:
    """Cut plain text to ``max_bytes`` UTF-8 bytes, ending with a marker that says how much was cut."""
    raw = text.encode("utf-8")
    if len(raw) <= max_bytes:
        return text
    marker = f"...[truncated {len(raw)} bytes]"
    keep = max(0, max_bytes - len(marker.encode("utf-8")))
    return raw[:keep].decode("utf-8", errors="ignore") + marker


def _shrink(value: Any, str_limit: int, list_limit: int) -> Any:
    if isinstance(value, str):
        return truncate_text(value, str_limit) if len(value) > str_limit // 4 else value
    if isinstance(value, dict):
        items = list(value.items())
        out = {k: _shrink(v, str_limit, list_limit) for k, v in items[:list_limit]}
        if len(items) > list_limit:
            out[TRUNCATED_KEY] = f"{len(items) - list_limit} more items"
        return out
    if isinstance(value, list):
        out_list = [_shrink(v, str_limit, list_limit) for v in value[:list_limit]]
        if len(value) > list_limit:
            out_list.append(f"<{TRUNCATED_KEY}: {len(value) - list_limit} more items>")
        return out_list
    return value


def fit_json(text: str, max_bytes: int) -> str:
    """Fit a JSON document into ``max_bytes`` UTF-8 bytes and keep it valid JSON.

    Long strings and long containers are cut first (each cut says so); if that is not enough, the result is
    ``{"_truncated": true, "original_bytes": N, "preview": "..."}``. Text that is not JSON is cut as text.
    """
    size = utf8_len(text)
    if size <= max_bytes:
        return text
    try:
        value = json.loads(text)
    except ValueError:
        return truncate_text(text, max_bytes)
    if isinstance(value, (dict, list)):
        for str_limit, list_limit in ((4096, 200), (1024, 50), (256, 20), (64, 5)):
            if str_limit >= max_bytes:
                continue
            candidate = dumps(_shrink(value, str_limit, list_limit))
            if utf8_len(candidate) <= max_bytes:
                return candidate
    envelope: dict[str, Any] = {TRUNCATED_KEY: True, "original_bytes": size, "preview": ""}
    room = max_bytes - utf8_len(dumps(envelope)) - 8
    if room <= 0:
        return dumps({TRUNCATED_KEY: True})[:max_bytes] if max_bytes >= 17 else ""
    preview = text[:room]
    while utf8_len(dumps({**envelope, "preview": preview})) > max_bytes and preview:
        preview = preview[: max(0, len(preview) - max(1, len(preview) // 10))]
    envelope["preview"] = preview
    return dumps(envelope)


def looks_like_json(text: str) -> bool:
    """Whether ``text`` looks like a JSON object or array (cheap check, no parsing)."""
    stripped = text.lstrip()[:1]
    return stripped in ("{", "[")

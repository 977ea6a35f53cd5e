"""Turning arbitrary Python values into bounded, valid JSON strings."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from otel_agent_trace._internal.jsonable import MAX_DEPTH, MAX_ITEMS, TRUNCATED_KEY, cut_text, encode, safe_repr
from otel_agent_trace._internal.settings import get_settings

__all__ = [
    "MAX_DEPTH",
    "MAX_ITEMS",
    "MIN_FIT_JSON_BYTES",
    "TRUNCATED_KEY",
    "content_hash",
    "dumps",
    "fit_json",
    "looks_like_json",
    "safe_json_dumps",
    "to_jsonable",
    "truncate_text",
    "utf8_len",
]

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
    if issubclass(type(value), str):  # not isinstance: a hostile __class__ must not raise here
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


def truncate_text(
    text: str, max_bytes: int, *, original_bytes: int | None = None, original_chars: int | None = None
) -> str:
    """Cut plain text to ``max_bytes`` UTF-8 bytes, ending with a marker that says how much was cut.

    Only the first ``max_bytes`` characters are ever encoded, so the cost is bounded by the budget, not by
    ``text``. The marker is ``...[truncated N bytes]`` with ``N`` the original size (``original_bytes`` or
    ``original_chars`` when the caller cut the text earlier: the text is then always marked), or
    ``...[truncated N chars]`` when the exact byte size would need encoding a long non-ASCII text; a budget too
    small for the marker gets ``…`` or a bare cut. Lone surrogates are dropped from a cut text (no exporter can
    encode them).
    """
    if max_bytes <= 0:
        return ""
    earlier = original_bytes is not None or original_chars is not None
    if not earlier and len(text) <= max_bytes and (text.isascii() or _utf8_size(text) <= max_bytes):
        return text
    head = text[:max_bytes].encode("utf-8", "surrogatepass")
    if original_chars is not None and original_bytes is None:
        note = f"{original_chars} chars"
    else:
        note = _size_note(text, original_bytes, max_bytes)
    marker = f"...[truncated {note}]"
    keep = max_bytes - len(marker)
    if keep < 0:
        marker = _ELLIPSIS if max_bytes >= _ELLIPSIS_BYTES else ""
        keep = max_bytes - _utf8_size(marker)
    return head[:keep].decode("utf-8", "ignore") + marker


_ELLIPSIS = "\u2026"
_ELLIPSIS_BYTES = 3


def _utf8_size(text: str) -> int:
    """UTF-8 size of ``text``; O(1) for ASCII text (CPython knows), a full encode otherwise."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def _size_note(text: str, original_bytes: int | None, max_bytes: int) -> str:
    if original_bytes is not None:
        return f"{original_bytes} bytes"
    if text.isascii() or len(text) <= 4 * max_bytes:
        return f"{_utf8_size(text)} bytes"
    return f"{len(text)} chars"


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


MIN_FIT_JSON_BYTES = 19
"""Smallest budget `fit_json` meets: below it, the result is the 19-byte marker ``{"_truncated":true}``."""
_TRUNCATED_MARKER = '{"_truncated":true}'
_SHRINK_STEPS = ((4096, 200), (1024, 50), (256, 20), (64, 5))


def fit_json(text: str, max_bytes: int, *, original_bytes: int | None = None, original_chars: int | None = None) -> str:
    """Fit a JSON document into ``max_bytes`` UTF-8 bytes; anything cut comes back as valid JSON that says so.

    ``text`` is returned unchanged when it fits (and was not cut before). Otherwise
    long strings and long containers are cut first (each cut says so); if that is not enough, or ``text`` does not
    parse (not JSON, or a JSON document cut earlier, whose size is then ``original_bytes`` or ``original_chars``),
    the result is ``{"_truncated":true,"original_bytes":N,"preview":"..."}`` (``original_chars`` when only that is
    known), with as much preview as fits. The result is always valid JSON of at most
    ``max(max_bytes, MIN_FIT_JSON_BYTES)`` bytes. Never raises.
    """
    earlier = original_bytes is not None or original_chars is not None
    if not earlier and len(text) <= max_bytes and _utf8_size(text) <= max_bytes:
        return text
    if max_bytes < MIN_FIT_JSON_BYTES:
        return _TRUNCATED_MARKER
    if original_bytes is None and original_chars is not None:
        size_field = f'"original_chars":{original_chars}'
    else:
        size_field = f'"original_bytes":{original_bytes if original_bytes is not None else _utf8_size(text)}'
    if not earlier:
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            value = None
        if isinstance(value, (dict, list)):
            for str_limit, list_limit in _SHRINK_STEPS:
                if str_limit >= max_bytes:
                    continue
                try:
                    candidate = dumps(_shrink(value, str_limit, list_limit))
                except (ValueError, RecursionError):
                    break
                if _utf8_size(candidate) <= max_bytes:
                    return candidate
    return _envelope(text, size_field, max_bytes)


def _envelope(text: str, size_field: str, max_bytes: int) -> str:
    head = f'{{"{TRUNCATED_KEY}":true,{size_field}'
    room = max_bytes - len(head) - len(',"preview":""}')
    if room <= 0:
        return head + "}" if len(head) + 1 <= max_bytes else _TRUNCATED_MARKER
    preview = text[:room].encode("utf-8", "ignore").decode("utf-8")
    encoded = dumps(preview)
    while _utf8_size(encoded) - 2 > room and preview:
        over = _utf8_size(encoded) - 2 - room
        preview = preview[: max(0, len(preview) - max(1, over // 6, len(preview) // 20))]
        encoded = dumps(preview)
    return f'{head},"preview":{encoded}}}'


def looks_like_json(text: str) -> bool:
    """Whether ``text`` looks like a JSON object or array (cheap check, no parsing)."""
    stripped = text.lstrip()[:1]
    return stripped in ("{", "[")

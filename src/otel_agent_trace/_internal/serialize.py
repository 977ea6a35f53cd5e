"""Turning arbitrary Python values into bounded, valid JSON strings."""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

MAX_DEPTH = 12
MAX_ITEMS = 1000
_CYCLE = "<cycle>"
TRUNCATED_KEY = "_truncated"


def to_jsonable(value: Any, *, max_depth: int = MAX_DEPTH, max_items: int = MAX_ITEMS) -> Any:
    """Return a JSON-compatible copy of ``value``.

    Cycles become ``"<cycle>"``, objects JSON cannot hold become their ``repr`` (or ``model_dump()`` /
    dataclass fields where they have them), nesting deeper than ``max_depth`` and containers longer than
    ``max_items`` are cut, with a note saying so. Never raises.
    """
    return _convert(value, max_depth, max_items, set())


def _convert(value: Any, depth: int, max_items: int, active: set[int]) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if isinstance(value, enum.Enum):
        return _convert(value.value, depth, max_items, active)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} bytes>"
    if depth <= 0:
        return f"<{type(value).__name__} nested too deep>"
    ident = id(value)
    if ident in active:
        return _CYCLE
    active.add(ident)
    try:
        return _convert_container(value, depth, max_items, active)
    finally:
        active.discard(ident)


def _convert_container(value: Any, depth: int, max_items: int, active: set[int]) -> Any:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for i, (key, item) in enumerate(value.items()):
            if i >= max_items:
                out[TRUNCATED_KEY] = f"{len(value) - max_items} more items"
                break
            out[key if isinstance(key, str) else str(key)] = _convert(item, depth - 1, max_items, active)
        return out
    if isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
        result = [_convert(item, depth - 1, max_items, active) for item in items[:max_items]]
        if len(items) > max_items:
            result.append(f"<{TRUNCATED_KEY}: {len(items) - max_items} more items>")
        return result
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name, None) for f in dataclasses.fields(value)}
        return _convert(fields, depth, max_items, active)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return _convert(dump(), depth, max_items, active)
        except Exception:  # noqa: BLE001 - a user's model_dump may fail; fall back to repr
            pass
    return _safe_repr(value)


def _safe_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a user's __repr__ may fail
        text = f"<unrepresentable {type(value).__name__}>"
    return text if len(text) <= 2000 else text[:2000] + "..."


def dumps(value: Any) -> str:
    """Compact JSON of an already JSON-compatible value."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_safe_repr)


def safe_json_dumps(value: Any) -> str:
    """JSON text of any value (see `to_jsonable`). Never raises."""
    if isinstance(value, str):
        return value
    return dumps(to_jsonable(value))


def content_hash(value: Any) -> str:
    """Stable short hash (sha256, 16 hex digits) of a value's canonical JSON."""
    canonical = json.dumps(to_jsonable(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


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

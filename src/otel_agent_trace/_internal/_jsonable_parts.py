"""The scalar side of the bounded JSON encoder: text, numbers, keys and object fields, each without raising.

Shared by `otel_agent_trace._internal.jsonable` and the manual API's value helpers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

MIN_BUDGET = 128
"""Smallest budget honoured; a smaller one is raised to this."""
INT_MARKER_BITS = 14_000
"""Ints wider than this (about 4,200 digits, under Python's 4,300-digit str limit) become a marker."""


def text_size(text: str) -> int:
    """UTF-8 size of ``text`` (O(1) for ASCII: CPython knows)."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def type_name(value: Any) -> str:
    """The qualified class name of ``value``, or ``"object"`` if even that fails."""
    try:
        name = type.__getattribute__(type(value), "__qualname__")
        return name if issubclass(type(name), str) else "object"
    except Exception:  # noqa: BLE001 - a metaclass can make anything raise
        return "object"


def int_marker(value: int) -> str:
    """``<int with N digits>`` for an int too wide to print (cost independent of its size)."""
    bits = int.bit_length(value)
    digits = int(bits * 0.30102999566398120) + 1
    if bits <= 200_000 and digits > 1 and abs(value) < 10 ** (digits - 1):
        digits -= 1
    sign = "-" if value < 0 else ""
    return f"<{sign}int with {digits} digits>"


def int_text(value: int) -> str | None:
    """``value`` in decimal, or ``None`` when it is too wide (then use `int_marker`)."""
    if int.bit_length(value) > INT_MARKER_BITS:
        return None
    return int.__repr__(value)


def float_json(value: float) -> str:
    """JSON of a float: its repr, or the string ``"nan"``/``"inf"``/``"-inf"`` (JSON has no such numbers)."""
    if math.isfinite(value):
        return float.__repr__(value)
    return '"' + float.__repr__(value) + '"'


def safe_repr(value: Any, limit: int = 2000) -> str:
    """``repr(value)`` cut to ``limit`` chars; ``str()`` if repr raises; else ``<unrepresentable T>``."""
    for func in (repr, str):
        try:
            text = func(value)
        except Exception:  # noqa: BLE001 - a user's __repr__/__str__ may raise
            continue
        if issubclass(type(text), str):
            text = str.__getitem__(text, slice(0, limit + 1))
            return text if len(text) <= limit else text[:limit] + "..."
    return f"<unrepresentable {type_name(value)}>"


def cut_text(text: str, limit: int) -> str:
    """``text`` within ``limit`` UTF-8 bytes (at least `MIN_BUDGET`), ending ``...[truncated N chars]`` if cut.

    Only the first ``limit`` characters are looked at, whatever the length of ``text``.
    """
    limit = max(limit, MIN_BUDGET)
    total = str.__len__(text)
    head = encodable(str.__getitem__(text, slice(0, limit)))
    if total <= limit and text_size(head) <= limit:
        return head
    marker = f"...[truncated {total} chars]"
    keep = limit - len(marker)
    while keep > 0 and text_size(head[:keep]) > keep:
        keep = keep * 3 // 4  # non-ASCII: fewer chars fit
    return head[: max(keep, 0)] + marker


def encodable(text: str) -> str:
    """``text`` with lone surrogates (which no exporter can encode) replaced by ``?``."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def key_text(key: Any, limit: int) -> str:
    """An object key as text, the way ``json`` writes non-string keys; a marker when ``str()`` fails."""
    if issubclass(type(key), str):
        return cut_text(key, limit)
    if key is None or issubclass(type(key), bool):
        return "null" if key is None else ("true" if key else "false")
    if issubclass(type(key), int):
        return int_text(key) or int_marker(key)
    if issubclass(type(key), float):
        return float.__repr__(key)
    return cut_text(safe_repr(key, limit) if not _has_own_str(key) else _str_or_repr(key, limit), limit)


def _has_own_str(value: Any) -> bool:
    return type(value).__str__ is not object.__str__  # type: ignore[comparison-overlap]


def _str_or_repr(value: Any, limit: int) -> str:
    try:
        text = str(value)
        if issubclass(type(text), str):
            return text
    except Exception:  # noqa: BLE001 - a user's __str__ may raise
        pass
    return safe_repr(value, limit)


def stock_model_dump(cls: type) -> bool:
    """Whether ``cls`` is a pydantic model dumped field by field (stock ``model_dump``, no custom serializer).

    Its fields (and extras) then say it all, and are read without copying the model.
    """
    decorators = getattr(cls, "__pydantic_decorators__", None)
    if (
        decorators is None
        or getattr(decorators, "model_serializers", True)
        or getattr(decorators, "field_serializers", True)
    ):
        return False
    for klass in cls.__mro__:
        if "model_dump" in klass.__dict__:
            return str(klass.__dict__.get("__module__", "")).startswith("pydantic")
    return False


def extra_items(value: Any) -> Iterator[tuple[Any, Any]]:
    extra = getattr(value, "__pydantic_extra__", None)
    return iter(dict.items(extra)) if isinstance(extra, dict) else iter(())


def read_field(value: Any, name: str) -> Any:
    try:
        return getattr(value, name)
    except Exception as exc:  # noqa: BLE001 - a property or __getattr__ may raise
        return f"<unreadable attribute: {type_name(exc)}>"


def instance_dict(value: Any) -> dict[str, Any] | None:
    try:
        attrs = object.__getattribute__(value, "__dict__")
    except Exception:  # noqa: BLE001 - no instance dict (slots, builtins)
        return None
    return attrs if issubclass(type(attrs), dict) and attrs else None

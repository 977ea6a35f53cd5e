"""Turning whatever the user passes into attribute values, without raising and within the budget.

Every helper here is total: any input gives a value (or ``None`` for "leave it out"), never an exception.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any, cast

from otel_agent_trace._internal.errors import log_internal_error
from otel_agent_trace._internal.jsonable import cut_text, encode_reporting, int_marker, safe_repr
from otel_agent_trace._internal.serialize import safe_json_dumps
from otel_agent_trace._internal.settings import get_settings
from otel_agent_trace.semconv import agent as A

NAME_CHARS = 256
"""Names, ids, labels and tags longer than this are cut (with a marker)."""
MAX_LIST_ITEMS = 128
"""Most options, tags or attribute-array items recorded; the rest are counted in a marker."""
_INT64 = 1 << 63


def budget() -> int:
    """The per-attribute budget in force (16 KiB if even the settings cannot be read)."""
    try:
        return get_settings().max_attribute_bytes
    except Exception:  # noqa: BLE001 - a bad environment variable must not break the program
        log_internal_error("api.settings")
        return 16 * 1024


def text(value: Any, limit: int = NAME_CHARS) -> str | None:
    """``value`` as text of at most ``limit`` bytes: a string cut, anything else its ``str()``/``repr``."""
    if value is None:
        return None
    if issubclass(type(value), str):
        return cut_text(value, limit)
    return cut_text(printable(value, limit), limit)


def printable(value: Any, limit: int) -> str:
    """``str(value)`` of a scalar or object; bounded JSON for a container or when ``__str__`` raises.

    A container's ``str()`` would read it whole (and recurse), so it is never called.
    """
    if issubclass(type(value), str):
        return cast(str, value)
    if not issubclass(type(value), (dict, list, tuple, set, frozenset, Mapping, Sequence, AbstractSet)):
        try:
            if not (issubclass(type(value), int) and int.bit_length(value) > 14_000):
                raw = str(value)
                if issubclass(type(raw), str):
                    return raw
        except Exception:  # noqa: BLE001 - a user's __str__ may raise: use the JSON form
            pass
    out, _ = encode_reporting(value, limit)
    return out


def serialized(value: Any, limit: int | None = None) -> tuple[str, bool]:
    """`safe_json_dumps` of ``value`` within ``limit`` (default: the budget), and whether anything was cut."""
    limit = budget() if limit is None else limit
    if issubclass(type(value), str):
        out = cut_text(value, limit)
        return out, not (str.__len__(value) <= limit and out == value)
    return encode_reporting(value, limit)


def put_content(attributes: dict[str, Any], key: str, value: Any) -> None:
    """Set ``attributes[key]`` to the serialized ``value``; list ``key`` in ``agent_trace.truncated`` if cut."""
    out, cut = serialized(value)
    attributes[key] = out
    if cut:
        attributes[A.TRUNCATED] = (*attributes.get(A.TRUNCATED, ()), key)


def mark_truncated(span: Any, keys: Iterable[str]) -> None:
    """Add ``keys`` to the span's ``agent_trace.truncated`` list (values the API cut to the budget)."""
    keys = tuple(keys)
    if not keys:
        return
    current = getattr(span, "attributes", None)
    previous = cast(Mapping[str, Any], current).get(A.TRUNCATED, ()) if issubclass(type(current), Mapping) else ()
    merged = tuple(dict.fromkeys((*(previous if issubclass(type(previous), tuple) else ()), *keys)))
    span.set_attribute(A.TRUNCATED, merged)


def number(value: Any) -> float | None:
    """``value`` as a float, or ``None`` when it is not a number."""
    if value is None or issubclass(type(value), (str, bytes)):
        return None
    try:
        result = float(value)
    except Exception:  # noqa: BLE001 - OverflowError for huge ints, or a user's __float__
        return None
    return result if issubclass(type(result), float) else None


def finite(value: Any) -> float | None:
    """``value`` as a finite float, or ``None``."""
    result = number(value)
    return result if result is not None and math.isfinite(result) else None


def integer(value: Any) -> int | None:
    """``value`` as an int that fits an attribute (64-bit), or ``None``."""
    if value is None or issubclass(type(value), bool):
        return None
    try:
        result = int.__index__(value) if issubclass(type(value), int) else int(value)
    except Exception:  # noqa: BLE001 - not an integer, or a user's __int__ raised
        return None
    return result if -_INT64 <= result < _INT64 else None


def attribute_value(value: Any) -> Any:
    """A valid OTel attribute value for ``value``, within the per-attribute budget.

    Strings are cut, 64-bit ints, floats and bools kept, ints wider than that become ``<int with N digits>``
    (OTLP cannot carry them), lists of those kept (``MAX_LIST_ITEMS`` at most), anything else becomes its JSON.
    """
    limit = budget()
    if issubclass(type(value), str):
        return cut_text(value, limit)
    if issubclass(type(value), bool):
        return bool(value)
    if issubclass(type(value), int):
        small = integer(value)
        return small if small is not None else int_marker(value)
    if issubclass(type(value), float):
        return float.__float__(value)
    if issubclass(type(value), (list, tuple)):
        items = list.__len__(value) if issubclass(type(value), list) else tuple.__len__(value)
        seq = list.__iter__(value) if issubclass(type(value), list) else tuple.__iter__(value)
        head = list(itertools.islice(seq, MAX_LIST_ITEMS))
        kinds = {type(item) for item in head}
        if items <= MAX_LIST_ITEMS and len(kinds) <= 1 and kinds <= {str, bool, int, float}:
            converted = [attribute_value(item) for item in head]
            if all(type(item) is type(converted[0]) for item in converted):
                per_item = max(64, limit // max(1, len(converted)))
                return [cut_text(item, per_item) if issubclass(type(item), str) else item for item in converted]
    return safe_json_dumps(value, limit)


def text_list(values: Any, limit: int) -> list[str]:
    """Items of a sequence or set as texts (at most `MAX_LIST_ITEMS`, all together within ``limit``).

    Anything else (including an iterator or generator, which is not consumed) is one item: its text.
    """
    if values is None:
        return []
    if issubclass(type(values), (str, bytes)) or not issubclass(type(values), (Sequence, AbstractSet)):
        one = text(values, limit)
        return [one] if one is not None else []
    try:
        head = list(itertools.islice(iter(values), MAX_LIST_ITEMS + 1))
    except Exception:  # noqa: BLE001 - a user's __iter__ raised
        return [safe_repr(values, NAME_CHARS)]
    more = len(head) > MAX_LIST_ITEMS
    head = head[:MAX_LIST_ITEMS]
    per_item = max(64, limit // max(1, len(head)))
    out = [
        cut_text(item, per_item) if issubclass(type(item), str) else safe_json_dumps(item, per_item) for item in head
    ]
    if more:
        out.append("<more items>")
    return out


def tag_texts(tags: Any) -> tuple[str, ...]:
    """``key=value`` tags from a mapping, or the texts of an iterable's items (bounded; iterators not consumed)."""
    if tags is None:
        return ()
    try:
        if issubclass(type(tags), Mapping):
            items: Iterable[Any] = dict.items(tags) if issubclass(type(tags), dict) else tags.items()
            pairs = itertools.islice(iter(items), MAX_LIST_ITEMS)
            return tuple(f"{text(k) or ''}={text(v) or ''}" for k, v in pairs)
    except Exception:  # noqa: BLE001 - a user's items() raised
        return (cut_text(safe_repr(tags, NAME_CHARS), NAME_CHARS),)
    return tuple(text_list(tags, MAX_LIST_ITEMS * NAME_CHARS))


def func_name(func: Any, default: str) -> str:
    """``func.__name__`` if it is readable text, else ``default``."""
    try:
        name = getattr(func, "__name__", None)
    except Exception:  # noqa: BLE001 - a hostile __getattr__
        return default
    return cut_text(name, NAME_CHARS) if issubclass(type(name), str) and name else default


def wraps(wrapper: Callable[..., Any], func: Any) -> Callable[..., Any]:
    """`functools.update_wrapper` that copies what it can read from a hostile ``func`` and never raises."""
    try:
        functools.update_wrapper(wrapper, func)
    except Exception:  # noqa: BLE001 - a raising __name__/__dict__...: keep what was copied
        with contextlib.suppress(Exception):  # nothing more we can do; the wrapper still works
            wrapper.__wrapped__ = func  # type: ignore[attr-defined]
    return wrapper

"""A JSON encoder for any Python value whose cost is bounded by a byte budget, never by the value.

It walks iteratively (no recursion, so 10,000-deep nesting is fine), writes compact JSON, and stops once the
output is past the budget: the cut is marked (``"_truncated"`` in an object, a ``"<truncated ...>"`` item in an
array, ``...[truncated N chars]`` inside a string) and every open container is closed, so the text stays valid
JSON. Each value is converted under its own guard: one hostile value becomes a marker and the rest is kept.
User-overridable methods are avoided where the builtin type's own slot does the job (``dict.items(d)``,
``str.__getitem__``, ``int.__repr__``), so overriding them in a subclass changes nothing here.

What each kind of value becomes is documented in ``docs/core.md`` ("Hostile values").
"""

from __future__ import annotations

import dataclasses
import enum
import itertools
import uuid
from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import date, datetime, time
from decimal import Decimal
from json.encoder import encode_basestring
from pathlib import PurePath
from typing import Any

from ._jsonable_fast import fast_encode
from ._jsonable_parts import (
    MIN_BUDGET,
    cut_text,
    encodable,
    extra_items,
    float_json,
    instance_dict,
    int_marker,
    int_text,
    key_text,
    read_field,
    safe_repr,
    stock_model_dump,
    text_size,
    type_name,
)

__all__ = ["CYCLE", "MAX_DEPTH", "MAX_ITEMS", "MIN_BUDGET", "TRUNCATED_KEY", "cut_text", "encode", "encode_reporting"]
__all__ += ["int_marker", "safe_repr", "text_size", "type_name"]

MAX_DEPTH = 12
MAX_ITEMS = 1000
TRUNCATED_KEY = "_truncated"
CYCLE = "<cycle>"
_SORT_KEY_BYTES = 64
_FAST_INT = 1 << 62
NAME_KEY_CHARS = 256
_MISSING = object()


class _Frame:
    __slots__ = ("close", "count", "ident", "is_map", "items", "size")

    def __init__(self, items: Iterator[Any], is_map: bool, ident: int, size: int | None) -> None:
        self.items = items
        self.is_map = is_map
        self.close = "}" if is_map else "]"
        self.ident = ident
        self.count = 0
        self.size = size


class _Cut(Exception):
    """The budget is spent."""


def _note(budget: int) -> str:
    return f"over the {budget}-byte budget"


def _limit(budget: int, max_depth: int) -> int:
    """Bytes of text before a cut: room is kept for a '"<truncated>"' value, the marker and one closer per level."""
    return budget - (len(f',"<truncated>","{TRUNCATED_KEY}":"{_note(budget)}"') + max_depth + 1)


class _Encoder:
    def __init__(self, budget: int, canonical: bool, max_depth: int, max_items: int) -> None:
        self.note = _note(budget)
        self.limit = _limit(budget, max_depth)
        self.canonical = canonical
        self.max_depth = max_depth
        self.max_items = max_items
        self.parts: list[str] = []
        self.used = 0
        self.stack: list[_Frame] = []
        self.active: set[int] = set()
        self.was_cut = False

    # -- output ---------------------------------------------------------------------------------------------------
    def room(self) -> int:
        return self.limit - self.used

    def write(self, piece: str, size: int | None = None) -> None:
        if size is None:
            size = len(piece) if piece.isascii() else text_size(piece)
        if size > self.limit - self.used:
            raise _Cut
        self.parts.append(piece)
        self.used += size

    def write_string(self, text: str) -> None:
        total = str.__len__(text)
        room = self.room()
        head = str.__getitem__(text, slice(0, max(room, 0)))
        piece = encode_basestring(head)
        size = text_size(piece)
        if total <= room and size <= room:
            self.write(piece, size)
            return
        self.was_cut = True
        marker = f"...[truncated {total} chars]"
        keep = room - len(marker) - 2
        while keep > 0:
            piece = encode_basestring(head[:keep] + marker)
            size = text_size(piece)
            if size <= room:
                self.write(piece, size)
                return
            keep = keep * room // size - 1
        raise _Cut

    # -- walking --------------------------------------------------------------------------------------------------
    def run(self, value: Any) -> str:
        try:
            self.value(value)
            while self.stack:
                self.step(self.stack[-1])
        except _Cut:
            self.cut()
        return "".join(self.parts)

    def cut(self) -> None:
        """Mark the cut in the innermost open container (or say so for a bare value) and close everything."""
        self.was_cut = True
        if not self.stack:
            if not self.parts:
                self.parts.append(f'"<{TRUNCATED_KEY}: {self.note}>"')
            return
        frame = self.stack[-1]
        sep = "," if frame.count else ""
        last = self.parts[-1] if self.parts else ""
        if last in (",", "[", "{"):  # nothing written after the separator or the opener
            sep = ""
        elif frame.is_map and last.endswith(":"):  # a key was written, its value did not fit
            self.parts.append('"<truncated>"')
            sep = ","
        note = self.note
        self.parts.append(f'{sep}"{TRUNCATED_KEY}":"{note}"' if frame.is_map else f'{sep}"<{TRUNCATED_KEY}: {note}>"')
        self.parts.extend(f.close for f in reversed(self.stack))
        self.stack.clear()

    def step(self, frame: _Frame) -> None:
        try:
            item: Any = next(frame.items, _MISSING)
        except Exception as exc:  # noqa: BLE001 - a user's __iter__/items() raised mid-way
            self.close(frame, f"<iteration failed: {type_name(exc)}>")
            return
        if item is _MISSING:
            self.close(frame, None)
            return
        if frame.count >= self.max_items:
            more = f"{frame.size - frame.count} more items" if frame.size is not None else "more items"
            self.close(frame, more)
            return
        sep = "," if frame.count else ""
        if frame.is_map:
            key: Any
            try:
                key, item = item
                if type(key) is str and len(key) <= NAME_KEY_CHARS:  # the common case, fast
                    key_json = encode_basestring(key)
                else:
                    key_json = encode_basestring(key_text(key, max(self.room(), MIN_BUDGET)))
            except Exception as exc:  # noqa: BLE001 - not a pair, or a key no text can be made of
                key_json, item = encode_basestring(f"<bad key {frame.count}>"), f"<unserializable: {type_name(exc)}>"
            self.write(sep + key_json + ":")
        elif sep:
            self.write(sep, 1)
        frame.count += 1
        self.value(item)

    def close(self, frame: _Frame, note: str | None) -> None:
        if note is not None:
            self.was_cut = True
            sep = "," if frame.count else ""
            if frame.is_map:
                piece = f'"{TRUNCATED_KEY}":' + encode_basestring(note)
            else:
                piece = encode_basestring(note if note.startswith("<") else f"<{TRUNCATED_KEY}: {note}>")
            self.write(sep + piece)
        self.stack.pop()
        self.active.discard(frame.ident)
        self.parts.append(frame.close)  # closers are paid for by the slack
        self.used += 1

    def value(self, value: Any) -> None:
        kind = type(value)
        if kind is str and len(value) <= self.limit - self.used:  # fast path for the common cases
            piece = encode_basestring(value)
            size = len(piece) if piece.isascii() else text_size(piece)
            if size <= self.limit - self.used:
                self.parts.append(piece)
                self.used += size
                return
        elif kind is int and -_FAST_INT < value < _FAST_INT:
            self.write(int.__repr__(value))
            return
        try:
            self._value(value)
        except _Cut:
            raise
        except Exception as exc:  # noqa: BLE001 - one hostile value becomes a marker, the rest is kept
            self.write_string(f"<unserializable {type_name(value)}: {type_name(exc)}>")

    def _value(self, value: Any) -> None:
        if value is None or value is True or value is False:
            self.write("null" if value is None else ("true" if value else "false"))
        elif isinstance(value, str):
            self.write_string(value)
        elif isinstance(value, enum.Enum):
            self.value(value.value)
        elif isinstance(value, int):
            text = int_text(value)
            self.write(text) if text is not None else self.write_string(int_marker(value))
        elif isinstance(value, float):
            self.write(float_json(value))
        elif isinstance(value, (bytes, bytearray, memoryview)):
            self.write_string(f"<{len(value)} bytes>")
        elif isinstance(value, (datetime, date, time)):
            self.write_string(value.isoformat())
        elif isinstance(value, (uuid.UUID, Decimal, PurePath)):
            self.write_string(str(value))
        else:
            self.container(value)

    def container(self, value: Any) -> None:
        ident = id(value)
        if ident in self.active:
            self.write_string(CYCLE)
            return
        if len(self.stack) >= self.max_depth:
            self.was_cut = True
            self.write_string(f"<{type_name(value)} nested too deep>")
            return
        try:
            opened = self.open(value)
        except Exception:  # noqa: BLE001 - items()/model_dump()/__getattr__ raised: say what it is instead
            opened = None
        if opened is None:
            self.write_string(safe_repr(value, max(self.room(), 0)))
            return
        items, is_map, size = opened
        self.write("{" if is_map else "[", 1 + 1)  # pay for the closer now
        self.used -= 1
        self.stack.append(_Frame(items, is_map, ident, size))
        self.active.add(ident)

    def open(self, value: Any) -> tuple[Iterator[Any], bool, int | None] | None:
        """How to walk ``value``: (items, is a mapping, size if known), or ``None`` for its repr."""
        if isinstance(value, dict):
            return self.pairs(dict.items(value), dict.__len__(value)), True, dict.__len__(value)
        if isinstance(value, (list, tuple)):
            if isinstance(value, list):
                return list.__iter__(value), False, list.__len__(value)
            return tuple.__iter__(value), False, tuple.__len__(value)
        if isinstance(value, (set, frozenset)):
            if isinstance(value, set):
                return self.members(set.__iter__(value)), False, set.__len__(value)
            return self.members(frozenset.__iter__(value)), False, frozenset.__len__(value)
        if isinstance(value, Mapping):
            return self.pairs(iter(value.items()), None), True, None
        if isinstance(value, AbstractSet):
            return self.members(iter(value)), False, None
        if isinstance(value, Sequence):
            return iter(value), False, None
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            names = [f.name for f in dataclasses.fields(value)]
            return self.pairs(((n, read_field(value, n)) for n in names), len(names)), True, len(names)
        fields = getattr(type(value), "model_fields", None)
        if isinstance(fields, Mapping) and stock_model_dump(type(value)):  # pydantic v2: fields read lazily
            names = list(itertools.islice(fields, self.max_items + 1))
            pairs = itertools.chain(((n, read_field(value, n)) for n in names), extra_items(value))
            return self.pairs(pairs, None), True, None
        dump = getattr(value, "model_dump", None)
        if callable(dump):  # a model_dump of its own (or pydantic v1-style): what it says the value is
            return self.open(dump())
        if type(value).__repr__ is object.__repr__:  # type: ignore[comparison-overlap]
            attrs = instance_dict(value)
            if attrs is not None:
                pairs = itertools.chain((("_type", type_name(value)),), dict.items(attrs))
                return self.pairs(pairs, None), True, None
        return None

    def pairs(self, items: Any, size: int | None) -> Iterator[Any]:
        """A mapping's (key, value) pairs; in canonical form the first ``max_items`` sorted by key text."""
        if not self.canonical:
            return iter(items)
        rest = iter(items)
        head = list(itertools.islice(rest, self.max_items))
        keyed = sorted(((key_text(k, 256), v) for k, v in head), key=lambda kv: kv[0])
        return itertools.chain(keyed, itertools.islice(rest, 1))

    def members(self, items: Iterator[Any]) -> Iterator[Any]:
        """A set's members; in canonical form sorted by the start of their own canonical JSON."""
        if not self.canonical:
            return items
        head = list(itertools.islice(items, self.max_items))

        def sort_key(item: Any) -> str:
            return encode(item, _SORT_KEY_BYTES, canonical=True, max_depth=2)

        return itertools.chain(sorted(head, key=sort_key), itertools.islice(items, 1))


def encode(
    value: Any, max_bytes: int, *, canonical: bool = False, max_depth: int = MAX_DEPTH, max_items: int = MAX_ITEMS
) -> str:
    """`encode_reporting` without the report."""
    return encode_reporting(value, max_bytes, canonical=canonical, max_depth=max_depth, max_items=max_items)[0]


def encode_reporting(
    value: Any, max_bytes: int, *, canonical: bool = False, max_depth: int = MAX_DEPTH, max_items: int = MAX_ITEMS
) -> tuple[str, bool]:
    """Compact JSON of any value in at most ``max(max_bytes, MIN_BUDGET)`` UTF-8 bytes. Never raises.

    The walk stops once the output reaches the budget, so the cost is bounded by ``max_bytes``, not by
    ``value``; the cut is marked and the text is valid JSON. ``canonical`` sorts object keys and set members
    (for hashing). Returns the JSON and whether anything was cut (budget, ``max_items``, ``max_depth``).
    """
    budget = max(int(max_bytes), MIN_BUDGET)
    max_depth = max(0, min(int(max_depth), 64))
    fast = fast_encode(value, _limit(budget, max_depth), canonical=canonical, max_depth=max_depth, max_items=max_items)
    if fast is not None:
        return fast, False
    return _walk(value, budget, canonical, max_depth, max_items)


def _walk(value: Any, budget: int, canonical: bool, max_depth: int, max_items: int) -> tuple[str, bool]:
    """The full walker (what `encode_reporting` falls back to when `fast_encode` declines)."""
    try:
        encoder = _Encoder(budget, canonical, max_depth, max_items)
        text = encoder.run(value)
    except Exception as exc:  # noqa: BLE001 - last resort: never raise into the caller
        return encode_basestring(f"<unserializable {type_name(value)}: {type_name(exc)}>"), True
    return encodable(text), encoder.was_cut

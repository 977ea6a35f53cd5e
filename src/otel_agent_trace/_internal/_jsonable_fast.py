"""The fast path of the bounded JSON encoder: plain values, written by the C ``json`` encoder.

Most values our hooks encode are small trees of builtin types and pydantic models (a LangGraph state is a dict
with a list of message models). For those, `encode` would walk every node in Python; `fast_encode` first checks,
in one bounded walk, that the value is *plain* (exact ``dict`` with short ASCII ``str`` keys, ``list``, ``tuple``,
``str``, ``int``, finite ``float``, ``bool``, ``None``, stock pydantic models), within the item and depth limits,
and that its text cannot exceed the budget (every node adds at least one byte, so the walk stops after at most
``limit`` nodes: its cost is bounded by the budget, never by the value). Then ``json.dumps`` writes the text.
The result is byte for byte what the full walker writes for the same value (a property test checks it), so hashes
do not depend on which path ran. Anything else (subclasses, sets, enums, dataclasses, hostile objects, a text
that would be cut) returns ``None`` and the full walker runs.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import uuid
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from ._jsonable_parts import encodable, stock_model_dump, text_size

_FAST_INT = 1 << 62
_KEY_CHARS = 256
_MODEL_CLASSES: dict[type, tuple[str, ...] | None] = {}
"""Per class: its pydantic field names when it is a stock model (dumped field by field), else ``None``."""
_MAX_CLASSES = 4096
_OTHER_KINDS: tuple[type, ...] = (str, int, float, enum.Enum, bytes, bytearray, memoryview, datetime, date, time)
_OTHER_KINDS += (uuid.UUID, Decimal, PurePath, Mapping, Sequence, AbstractSet)
"""Kinds the full walker handles before it looks for pydantic fields: a model that is also one of them is not ours."""


class _NotPlain(Exception):
    """The value needs the full walker."""


def _model_fields(cls: type) -> tuple[str, ...] | None:
    known = _MODEL_CLASSES.get(cls, False)
    if known is not False:
        return known  # type: ignore[return-value]
    names: tuple[str, ...] | None = None
    try:
        fields = getattr(cls, "model_fields", None)
        ours = not issubclass(cls, _OTHER_KINDS) and not dataclasses.is_dataclass(cls)
        if ours and isinstance(fields, Mapping) and stock_model_dump(cls):
            names = tuple(fields)
            if not all(type(n) is str and n.isascii() and len(n) <= _KEY_CHARS for n in names):
                names = None
    except Exception:  # noqa: BLE001 - a metaclass may raise: the full walker copes
        names = None
    if len(_MODEL_CLASSES) >= _MAX_CLASSES:
        _MODEL_CLASSES.clear()
    _MODEL_CLASSES[cls] = names
    return names


class _Walk:
    """One bounded check of a value; ``models`` maps ``id(model)`` to the dict ``json.dumps`` writes for it."""

    __slots__ = ("limit", "max_depth", "max_items", "models", "used")

    def __init__(self, limit: int, max_depth: int, max_items: int) -> None:
        self.limit = limit
        self.max_depth = max_depth
        self.max_items = max_items
        self.used = 0
        self.models: dict[int, dict[str, Any]] = {}

    def spend(self, size: int) -> None:
        self.used += size
        if self.used > self.limit:
            raise _NotPlain

    def check(self, value: Any, depth: int) -> None:
        kind = type(value)
        if kind is str:
            self.spend(len(value) + 2)
        elif kind is int:
            if not -_FAST_INT < value < _FAST_INT:
                raise _NotPlain
            self.spend(1)
        elif value is None or kind is bool:
            self.spend(4)
        elif kind is float:
            if not math.isfinite(value):
                raise _NotPlain
            self.spend(3)
        elif kind is dict or kind is list or kind is tuple:
            self.container(value, kind, depth)
        else:
            self.model(value, kind, depth)

    def container(self, value: Any, kind: type, depth: int) -> None:
        # the common scalars are inlined (this loop is the whole cost of the fast path)
        if depth >= self.max_depth or len(value) > self.max_items:
            raise _NotPlain
        limit = self.limit
        used = self.used + 2
        if kind is dict:
            for key, item in dict.items(value):
                if type(key) is not str or not key.isascii() or len(key) > _KEY_CHARS:
                    raise _NotPlain
                item_kind = type(item)
                if item_kind is str:
                    used += len(key) + len(item) + 6
                elif item is None or item_kind is bool:
                    used += len(key) + 8
                else:
                    self.used = used + len(key) + 4
                    self.check(item, depth + 1)
                    used = self.used
                if used > limit:
                    raise _NotPlain
        else:
            for item in value:
                if type(item) is str:
                    used += len(item) + 3
                else:
                    self.used = used + 1
                    self.check(item, depth + 1)
                    used = self.used
                if used > limit:
                    raise _NotPlain
        self.used = used

    def model(self, value: Any, kind: type, depth: int) -> None:
        names = _model_fields(kind)
        if names is None or depth >= self.max_depth or id(value) in self.models:
            raise _NotPlain  # not a stock model, too deep, or seen twice (a cycle or a shared model)
        fields = {name: getattr(value, name) for name in names}
        extra = getattr(value, "__pydantic_extra__", None)
        if extra:
            if type(extra) is not dict or any(key in fields for key in extra):
                raise _NotPlain
            fields.update(extra)
        if len(fields) > self.max_items:
            raise _NotPlain
        self.models[id(value)] = fields
        self.container(fields, dict, depth)


def fast_encode(value: Any, limit: int, *, canonical: bool, max_depth: int, max_items: int) -> str | None:
    """What `encode` writes for ``value`` when it is plain and its text fits in ``limit`` bytes; else ``None``.

    ``limit`` is the full walker's (its budget less the room kept for a cut marker). Never raises.
    """
    walk = _Walk(limit, max_depth, max_items)
    try:
        walk.check(value, 0)
        models = walk.models
        text = json.dumps(
            value,
            ensure_ascii=False,
            separators=(",", ":"),
            sort_keys=canonical,
            check_circular=False,
            default=lambda model: models[id(model)],
        )
    except Exception:  # noqa: BLE001 - _NotPlain, or a hostile getattr: the full walker copes
        return None
    if text_size(text) > limit:
        return None
    return encodable(text)

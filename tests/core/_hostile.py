"""Hostile values for the property tests: objects whose every method raises, huge ints, cycles, deep nesting."""

from __future__ import annotations

import dataclasses
import enum
import logging
from collections.abc import Iterator, Mapping
from typing import Any

from hypothesis import strategies as st


class Boom(Exception):
    """What the hostile objects raise."""


class RaisingStr:
    def __str__(self) -> str:
        raise Boom("str")

    def __repr__(self) -> str:
        raise Boom("repr")

    def __format__(self, spec: str) -> str:
        raise Boom("format")

    def __bool__(self) -> bool:
        raise Boom("bool")


class RaisingClass:
    """Even ``isinstance`` on it raises (its ``__class__`` property does).

    Not in ``HOSTILE``: hypothesis itself calls ``isinstance`` on generated values; tested explicitly instead.
    """

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # type: ignore[override]
        raise Boom("__class__")


class HostileStr(str):
    """A str whose own ``__len__``/``__getitem__``/``__str__`` raise."""

    def __len__(self) -> int:
        raise Boom("len")

    def __getitem__(self, item: Any) -> str:
        raise Boom("getitem")

    def __str__(self) -> str:
        raise Boom("str")


class HostileInt(int):
    def __repr__(self) -> str:
        raise Boom("repr")

    def __str__(self) -> str:
        raise Boom("str")


class HostileFloat(float):
    def __repr__(self) -> str:
        raise Boom("repr")

    def __float__(self) -> float:
        raise Boom("float")


class HostileBytes(bytes):
    def __len__(self) -> int:
        raise Boom("len")


class HostileEnum(enum.Enum):
    A = 1

    @property
    def value(self) -> Any:  # type: ignore[override]
        raise Boom("value")


class RaisingEqHash:
    def __eq__(self, other: object) -> bool:
        raise Boom("eq")

    def __hash__(self) -> int:
        raise Boom("hash")

    def __lt__(self, other: object) -> bool:
        raise Boom("lt")


class HashableRaisingStr:
    """Usable as a dict key, but ``str()`` and ``repr()`` raise."""

    def __str__(self) -> str:
        raise Boom("key str")

    def __repr__(self) -> str:
        raise Boom("key repr")


class RaisingLenIter(list):  # type: ignore[type-arg]
    def __len__(self) -> int:
        raise Boom("len")

    def __iter__(self) -> Iterator[Any]:
        raise Boom("iter")

    def __getitem__(self, item: Any) -> Any:
        raise Boom("getitem")


class RaisingItemsDict(dict):  # type: ignore[type-arg]
    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text("RaisingItemsDict(...)")

    def items(self) -> Any:
        raise Boom("items")

    def keys(self) -> Any:
        raise Boom("keys")

    def __iter__(self) -> Iterator[Any]:
        raise Boom("iter")


class RaisingMapping(Mapping[Any, Any]):
    def __getitem__(self, key: Any) -> Any:
        raise Boom("getitem")

    def __len__(self) -> int:
        raise Boom("len")

    def __iter__(self) -> Iterator[Any]:
        raise Boom("iter")

    def items(self) -> Any:
        raise Boom("items")


class RaisingGetattr:
    def __getattr__(self, name: str) -> Any:
        raise Boom(f"getattr {name}")

    def __getattribute__(self, name: str) -> Any:
        if name in ("__class__", "__dict__"):
            return object.__getattribute__(self, name)
        raise Boom(f"getattribute {name}")


class BadModel:
    """Looks like a pydantic v1-style model whose ``model_dump`` raises."""

    def model_dump(self) -> Any:
        raise Boom("model_dump")

    def __repr__(self) -> str:
        return "BadModel()"


class Plain:
    """An ordinary object holding a value."""

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text("Plain(...)")

    def __init__(self, value: Any) -> None:
        self.value = value


@dataclasses.dataclass
class Record:
    value: Any

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text("Record(...)")  # hypothesis's recursive pretty-printer must not walk a 10,000-deep value

    @property
    def broken(self) -> Any:
        raise Boom("property")


class RaisingSignature:
    """A callable with no ``__name__`` and a ``__signature__`` that raises."""

    @property
    def __signature__(self) -> Any:
        raise Boom("signature")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return ("called", len(args), len(kwargs))


def forever() -> Iterator[int]:
    n = 0
    while True:
        n += 1
        yield n


class _Deep(list):  # type: ignore[type-arg]
    """The outer level of a deep nesting: hypothesis's recursive pretty-printer stops here."""

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(f"deep({len(self)} outer item)")


def deep(depth: int, leaf: Any = 0) -> Any:
    value: Any = leaf
    for i in range(depth):
        value = [value] if i % 2 else {"d": value}
    return _Deep([value])


def cyclic(child: Any) -> Any:
    loop: dict[str, Any] = {"child": child}
    loop["self"] = loop
    items: list[Any] = [loop]
    items.append(items)
    return items


HUGE_INTS = st.sampled_from([(1, 10, 5000), (-1, 10, 5000), (1, 2, 64), (-1, 2, 63), (1, 10, 4299), (1, 7, 20000)]).map(
    lambda p: p[0] * p[1] ** p[2]
)
"""Ints past 64 bits and past Python's 4,300-digit ``str()`` limit (built lazily: hypothesis reprs constants)."""
FLOATS = st.sampled_from([float("nan"), float("inf"), float("-inf"), -0.0, 1e308, 5e-324])
KEYS = st.one_of(
    st.text(max_size=8),
    st.integers(),
    HUGE_INTS,
    st.builds(HashableRaisingStr),
    st.sampled_from([None, True, 1.5, (1, 2), b"k"]),
)
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    HUGE_INTS,
    FLOATS,
    st.floats(),
    st.text(max_size=20),
    st.binary(max_size=20),
    st.builds(RaisingStr),
    st.builds(RaisingEqHash),
    st.builds(lambda: RaisingLenIter([1, 2])),
    st.builds(lambda: RaisingItemsDict(a=1)),
    st.builds(RaisingMapping),
    st.builds(RaisingGetattr),
    st.builds(BadModel),
    st.builds(lambda: HostileStr("hostile")),
    st.builds(lambda: HostileInt(7)),
    st.builds(lambda: HostileFloat(1.5)),
    st.builds(lambda: HostileBytes(b"ab")),
    st.just(HostileEnum.A),
    st.builds(forever),
    st.builds(lambda: iter([1, 2, 3])),
    st.builds(lambda: "x" * 100_000),
    st.builds(lambda: "\ud800 lone surrogate"),
    st.builds(lambda: deep(10_000)),
    st.builds(lambda: list(range(5000))),
)


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(KEYS, children, max_size=4),
        st.tuples(children, children),
        st.frozensets(st.one_of(st.integers(), st.text(max_size=5), HUGE_INTS), max_size=4),
        st.builds(Plain, children),
        st.builds(Record, children),
        st.builds(cyclic, children),
        st.builds(lambda c: deep(10_000, c), children),
        st.builds(lambda c: RaisingItemsDict(k=c), children),
    )


HOSTILE = st.recursive(LEAVES, _containers, max_leaves=12)
"""Any hostile value, recursively composed into dicts, lists, tuples, sets and custom objects."""


class LogCounter(logging.Handler):
    """Counts the records of the ``otel_agent_trace`` logger."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

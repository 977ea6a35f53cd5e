"""The encoder's fast path writes exactly what the full walker writes, and declines whatever it cannot."""

from __future__ import annotations

import enum
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict

from otel_agent_trace._internal import _jsonable_fast, jsonable
from otel_agent_trace._internal.serialize import content_hash


class Message(BaseModel):
    role: str
    content: Any = None
    name: str | None = None


class Loose(BaseModel):
    model_config = ConfigDict(extra="allow")
    kind: str = "loose"


class Color(enum.Enum):
    RED = "red"


def _models(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    message = st.builds(Message, role=st.sampled_from(["user", "ai", "tool"]), content=children)
    loose = st.dictionaries(st.sampled_from(["a", "b", "zz"]), children, max_size=3).map(lambda d: Loose(**d))
    return st.one_of(message, loose)


KEYS = st.one_of(st.text(max_size=8), st.text(min_size=250, max_size=300), st.sampled_from(["\u00e9t\u00e9", "k"]))
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=1 << 61, max_value=1 << 64),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.text(st.characters(codec="utf-8"), max_size=10),
    st.sampled_from(["\ud800x", '"quoted"\n', "\u2028", Color.RED]),
    st.text(min_size=200, max_size=600),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=6),
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(KEYS, children, max_size=5),
        _models(children),
    ),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    value=VALUES,
    budget=st.sampled_from([128, 300, 1000, 4096, 65536]),
    canonical=st.booleans(),
    max_depth=st.sampled_from([1, 3, 12]),
    max_items=st.sampled_from([2, 1000]),
)
def test_fast_path_writes_what_the_walker_writes(
    value: Any, budget: int, canonical: bool, max_depth: int, max_items: int
) -> None:
    expected = jsonable._walk(value, budget, canonical, max_depth, max_items)
    got = jsonable.encode_reporting(value, budget, canonical=canonical, max_depth=max_depth, max_items=max_items)
    assert got == expected


def test_fast_path_serves_a_langgraph_like_state() -> None:
    state = {"messages": [Message(role="user", content="hi"), Message(role="ai", content=[{"type": "text"}])]}
    limit = jsonable._limit(65536, jsonable.MAX_DEPTH)
    fast = _jsonable_fast.fast_encode(state, limit, canonical=True, max_depth=12, max_items=1000)
    assert fast is not None
    assert json.loads(fast) == {
        "messages": [
            {"content": "hi", "name": None, "role": "user"},
            {"content": [{"type": "text"}], "name": None, "role": "ai"},
        ]
    }
    assert content_hash(state) == content_hash({"messages": [m.model_dump() for m in state["messages"]]})


@pytest.mark.parametrize(
    "value",
    [
        {1: "int key"},
        {"s": {1, 2}},
        [Color.RED],
        float("nan"),
        "x" * 70_000,
        [[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]],
    ],
)
def test_fast_path_declines_what_it_cannot_write_identically(value: Any) -> None:
    limit = jsonable._limit(65536, jsonable.MAX_DEPTH)
    assert _jsonable_fast.fast_encode(value, limit, canonical=True, max_depth=12, max_items=1000) is None


def test_shared_and_cyclic_values_fall_back() -> None:
    message = Message(role="user", content="hi")
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    limit = jsonable._limit(65536, jsonable.MAX_DEPTH)
    for value in ([message, message], cyclic):
        assert _jsonable_fast.fast_encode(value, limit, canonical=False, max_depth=12, max_items=1000) is None
    assert jsonable.encode(cyclic, 1000) == jsonable._walk(cyclic, 1000, False, 12, 1000)[0]


class Hostile(BaseModel):
    x: int = 1

    def __getattribute__(self, name: str) -> Any:
        if name == "x":
            raise RuntimeError("no")
        return super().__getattribute__(name)


def test_hostile_model_falls_back_to_the_walker() -> None:
    value = {"h": Hostile()}
    limit = jsonable._limit(4096, jsonable.MAX_DEPTH)
    assert _jsonable_fast.fast_encode(value, limit, canonical=False, max_depth=12, max_items=1000) is None
    assert "unreadable" in jsonable.encode(value, 4096)


def test_walk_is_bounded_by_the_budget_not_the_value() -> None:
    calls = 0
    original = _jsonable_fast._Walk.check

    def counting(self: Any, value: Any, depth: int) -> None:
        nonlocal calls
        calls += 1
        original(self, value, depth)

    _jsonable_fast._Walk.check = counting  # type: ignore[method-assign]
    try:
        big = [[0] * 1000 for _ in range(1000)]  # a million ints
        assert _jsonable_fast.fast_encode(big, 4000, canonical=False, max_depth=12, max_items=1000) is None
    finally:
        _jsonable_fast._Walk.check = original  # type: ignore[method-assign]
    assert calls <= 4000

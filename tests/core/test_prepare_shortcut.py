"""`prepare`'s one-pass shortcut (nothing long, no event, no link: the span itself) decides as the full pass does."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider
from opentelemetry.trace import Link, SpanContext, Status, StatusCode

from otel_agent_trace.processor._prepare import PreparedSpan, prepare, prepare_full

_CTX = SpanContext(trace_id=1, span_id=2, is_remote=False)
HOLD = 50


class _Str(str):
    """A str subclass: the shortcut leaves it to the full pass."""


short_or_long = st.text(max_size=HOLD) | st.text(min_size=HOLD + 1, max_size=3 * HOLD)
values = (
    short_or_long
    | short_or_long.map(_Str)
    | st.integers()
    | st.floats(allow_nan=False)
    | st.booleans()
    | st.lists(short_or_long, max_size=4).map(tuple)
    | st.lists(st.integers(), max_size=2 * HOLD).map(tuple)
    | st.lists(st.integers() | short_or_long, max_size=4)
)
attribute_maps = st.dictionaries(st.text(min_size=1, max_size=10), values, max_size=8)


def _span(name: str, attributes: dict[str, Any], events: int, links: int, status: str | None) -> ReadableSpan:
    return ReadableSpan(
        name=name,
        context=_CTX,
        resource=Resource({}),
        attributes=attributes,
        events=tuple(Event("e", {"k": "x" * (2 * HOLD)}, timestamp=1) for _ in range(events)),
        links=tuple(Link(SpanContext(1, 3, False), {"k": "v"}) for _ in range(links)),
        status=Status(StatusCode.ERROR, status) if status else Status(StatusCode.UNSET),
        start_time=1,
        end_time=2,
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=short_or_long,
    attributes=attribute_maps,
    events=st.integers(0, 2),
    links=st.integers(0, 1),
    status=st.none() | short_or_long,
    extra=st.none() | st.just({"agent_trace.state": "{}"}),
)
def test_the_shortcut_returns_what_the_full_pass_returns(
    name: str, attributes: dict[str, Any], events: int, links: int, status: str | None, extra: Any
) -> None:
    span = _span(name, attributes, events, links, status)
    fast, full = prepare(span, HOLD, extra), prepare_full(span, HOLD, extra)
    if full is span:
        assert fast is span
        return
    assert isinstance(fast, PreparedSpan) and isinstance(full, PreparedSpan)
    assert fast.originals == full.originals
    assert dict(fast.attributes or {}) == dict(full.attributes or {})
    assert fast.name == full.name and fast.extra == full.extra
    assert [(e.name, dict(e.attributes or {})) for e in fast.events] == [
        (e.name, dict(e.attributes or {})) for e in full.events
    ]


def test_an_sdk_span_with_only_short_values_is_handed_on_as_it_is() -> None:
    provider = TracerProvider()
    span = provider.get_tracer("t").start_span("chat m", attributes={"a": "x", "n": 3, "r": ("stop",), "f": 0.5})
    span.end()
    readable = span._readable_span()
    assert prepare(readable, HOLD, None) is readable
    long = provider.get_tracer("t").start_span("chat m", attributes={"r": ("stop", "y" * (HOLD + 1))})
    long.end()
    prepared = prepare(long._readable_span(), HOLD, None)
    assert isinstance(prepared, PreparedSpan)
    assert prepared.originals == {("a", "r"): (2, "items")}
    assert prepared.attributes["r"] == ("stop", "y" * HOLD)

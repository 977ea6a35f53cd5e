"""What ``on_end`` does on the application thread: O(1) work per value, then the span is handed on.

`prepare` looks at the length of every string (``len()`` is O(1)) and of every sequence; a value longer than the
hold (the per-attribute budget plus a scanning margin, in characters) is sliced to it, which costs O(hold), never
O(value): a string is never encoded, scanned or parsed here. The sizes of what was sliced, and the run's state
snapshot to attach, travel with the span (`PreparedSpan`) to the export thread, where `SpanTransformer` redacts,
fits and rebuilds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.trace import Link, Status

from ._budget import Location, Original

HOLD_MARGIN_CHARS = 4096
"""Characters kept beyond the per-attribute budget, so a secret straddling the budget's end is still recognised."""


class AgentSpan(ReadableSpan):
    """A rebuilt span that keeps the original span's drop counts (plus any drops of ours)."""

    def __init__(self, *, dropped: tuple[int, int, int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._agent_trace_dropped = dropped

    @property
    def dropped_attributes(self) -> int:
        """Attributes dropped by the SDK's limits and by the budget."""
        return self._agent_trace_dropped[0]

    @property
    def dropped_events(self) -> int:
        """Events dropped by the SDK's limits and by the budget."""
        return self._agent_trace_dropped[1]

    @property
    def dropped_links(self) -> int:
        """Links dropped by the SDK's limits and by the budget."""
        return self._agent_trace_dropped[2]


class PreparedSpan(AgentSpan):
    """A span sliced on the application thread, with what the export thread needs to finish it."""

    def __init__(
        self,
        *,
        originals: dict[Location, Original],
        extra: Mapping[str, Any] | None,
        dropped: tuple[int, int, int],
        **kwargs: Any,
    ) -> None:
        super().__init__(dropped=dropped, **kwargs)
        self.originals = originals
        """Values sliced here: location -> size before the slice."""
        self.extra = extra
        """Attributes to add on the export thread (the run's state snapshot), unless the span has them."""


def _raw(attributes: Any) -> Mapping[str, Any]:
    # BoundedAttributes keeps a plain dict; iterating it directly skips a lock acquisition per item.
    inner = getattr(attributes, "_dict", None)
    return inner if isinstance(inner, dict) else (attributes or {})


def _span_attributes(span: ReadableSpan) -> Any:
    # ReadableSpan.attributes wraps the SDK's BoundedAttributes in a MappingProxyType, hiding its plain dict.
    inner = getattr(span, "_attributes", None)
    return inner if inner is not None else span.attributes


def _original(value: str) -> Original:
    # str.isascii() is O(1) in CPython; the byte size of a long non-ASCII text would need a full encode.
    return (len(value), "bytes") if value.isascii() else (len(value), "chars")


def _slice_sequence(value: Any, hold: int, loc: Location, originals: dict[Location, Original]) -> Any:
    cut: Any = value
    if len(value) > hold:
        originals[loc] = (len(value), "items")
        cut = value[:hold]
    if cut and isinstance(cut[0], str):
        items: list[Any] | None = None
        for i, item in enumerate(cut):
            if isinstance(item, str) and len(item) > hold:
                if items is None:
                    items = list(cut)
                items[i] = item[:hold]
                originals.setdefault(loc, (len(value), "items"))
        if items is not None:
            return tuple(items)
    return cut


def slice_mapping(
    attributes: Any, hold: int, where: Location, originals: dict[Location, Original]
) -> dict[str, Any] | None:
    """A copy of ``attributes`` with over-long values sliced to ``hold``, or ``None`` when none is."""
    raw = _raw(attributes)
    out: dict[str, Any] | None = None
    for key, value in raw.items():
        if isinstance(value, str):
            if len(value) <= hold:
                continue
            loc = (*where, key)
            originals[loc] = _original(value)
            new: Any = value[:hold]
        elif isinstance(value, (tuple, list)):
            new = _slice_sequence(value, hold, (*where, key), originals)
            if new is value:
                continue
        else:
            continue
        if out is None:
            out = dict(raw)
        out[key] = new
    return out


def _slice_text(text: str, hold: int, loc: Location, originals: dict[Location, Original]) -> str:
    if len(text) <= hold:
        return text
    originals[loc] = _original(text)
    return text[:hold]


_SCALARS = frozenset({int, float, bool})


def _short(values: Any, hold: int) -> bool:
    """Whether every value is a scalar or a string of at most ``hold`` characters (the common span: one pass)."""
    for value in values:
        kind = type(value)
        if kind is str:
            if len(value) > hold:
                return False
        elif kind is tuple or kind is list:
            if len(value) > hold:
                return False
            for item in value:
                if type(item) is str:
                    if len(item) > hold:
                        return False
                elif type(item) not in _SCALARS:
                    return False
        elif kind not in _SCALARS:
            return False  # anything else (a subclass of str...): the full pass decides
    return True


def prepare(span: ReadableSpan, hold: int, extra: Mapping[str, Any] | None) -> ReadableSpan:
    """``span`` itself when nothing is over ``hold`` characters and nothing is to be attached; else a `PreparedSpan`."""
    if (
        not extra
        and not getattr(span, "_events", True)
        and not getattr(span, "_links", True)
        and len(span.name) <= hold
        and not ((description := span.status.description) and len(description) > hold)
        and _short(_raw(_span_attributes(span)).values(), hold)
    ):
        return span  # no event, no link, nothing long: nothing to slice (no copy, no per-value location)
    return prepare_full(span, hold, extra)


def prepare_full(span: ReadableSpan, hold: int, extra: Mapping[str, Any] | None) -> ReadableSpan:
    """`prepare` without its one-pass shortcut: every value, event and link looked at (the reference for tests)."""
    originals: dict[Location, Original] = {}
    attributes = slice_mapping(_span_attributes(span), hold, ("a",), originals)
    name = _slice_text(span.name, hold, ("name",), originals)
    status = span.status
    if status.description and len(status.description) > hold:
        status = Status(status.status_code, _slice_text(status.description, hold, ("status",), originals))
    events = span.events
    new_events: list[Event] | None = None
    for i, event in enumerate(events):
        event_attributes = slice_mapping(event.attributes, hold, ("e", i), originals)
        event_name = _slice_text(event.name, hold, ("e", i), originals)
        if event_attributes is not None or event_name is not event.name:
            if new_events is None:
                new_events = list(events)
            new_events[i] = Event(event_name, event_attributes or event.attributes, event.timestamp)
    links = span.links
    new_links: list[Link] | None = None
    for i, link in enumerate(links):
        link_attributes = slice_mapping(link.attributes, hold, ("l", i), originals)
        if link_attributes is not None:
            if new_links is None:
                new_links = list(links)
            new_links[i] = Link(link.context, link_attributes)
    if not originals and not extra:
        return span
    return PreparedSpan(
        originals=originals,
        extra=extra,
        dropped=(span.dropped_attributes, span.dropped_events, span.dropped_links),
        name=name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=attributes if attributes is not None else span.attributes,
        events=tuple(new_events) if new_events is not None else events,
        links=tuple(new_links) if new_links is not None else links,
        kind=span.kind,
        status=status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )

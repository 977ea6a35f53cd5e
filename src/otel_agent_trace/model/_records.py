"""The trace model: plain frozen records, no OpenTelemetry objects, so analysis runs offline."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

AttributeValue = Any
"""A str, bool, int, float, or a tuple of those, as decoded from OTLP."""


@dataclass(frozen=True)
class SpanEvent:
    """A timestamped event of a span (an exception, a state snapshot...)."""

    name: str
    time_ns: int
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)


@dataclass(frozen=True)
class SpanLink:
    """A link from a span to another span (of this or another trace), with the link's own attributes."""

    trace_id: str
    span_id: str
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Span:
    """One span of a trace."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    start_ns: int
    end_ns: int
    kind: str = "INTERNAL"
    status_code: str = "UNSET"
    status_message: str = ""
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)
    events: tuple[SpanEvent, ...] = ()
    resource: Mapping[str, AttributeValue] = field(default_factory=dict)
    scope: str = ""
    links: tuple[SpanLink, ...] = ()

    @property
    def duration_ns(self) -> int:
        """End minus start, never negative."""
        return max(0, self.end_ns - self.start_ns)

    @property
    def is_error(self) -> bool:
        """Whether the span ended with status ERROR."""
        return self.status_code == "ERROR"


@dataclass(frozen=True)
class Trace:
    """All spans of one trace id, in start order."""

    trace_id: str
    spans: tuple[Span, ...]

    @cached_property
    def by_id(self) -> dict[str, Span]:
        """Spans by span id."""
        return {s.span_id: s for s in self.spans}

    @cached_property
    def children(self) -> dict[str | None, list[Span]]:
        """Child spans by parent span id (``None`` for roots), each list in start order."""
        out: dict[str | None, list[Span]] = {}
        ids = self.by_id
        for span in self.spans:
            parent = span.parent_span_id if span.parent_span_id in ids else None
            out.setdefault(parent, []).append(span)
        return out

    @property
    def roots(self) -> list[Span]:
        """Spans whose parent is not in this trace."""
        return self.children.get(None, [])

    @property
    def start_ns(self) -> int:
        """Start of the earliest span."""
        return min((s.start_ns for s in self.spans), default=0)

    @property
    def end_ns(self) -> int:
        """End of the latest span."""
        return max((s.end_ns for s in self.spans), default=0)

    @property
    def has_error(self) -> bool:
        """Whether any span ended with status ERROR."""
        return any(s.is_error for s in self.spans)

    def walk(self) -> Iterator[tuple[int, Span]]:
        """Depth-first (depth, span) pairs, children in start order."""
        stack: list[tuple[int, Span]] = [(0, s) for s in reversed(self.roots)]
        while stack:
            depth, span = stack.pop()
            yield depth, span
            stack.extend((depth + 1, c) for c in reversed(self.children.get(span.span_id, [])))

"""Walking the finished spans of a test as a tree; a finished span as the RCA's model span."""

from __future__ import annotations

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import format_span_id, format_trace_id

from otel_agent_trace.model import Span, SpanEvent


def model_span(s: ReadableSpan) -> Span:
    """A finished SDK span as the RCA's model `Span` (what the JSONL/OTLP loaders give for it)."""
    return Span(
        format_trace_id(s.context.trace_id),
        format_span_id(s.context.span_id),
        format_span_id(s.parent.span_id) if s.parent is not None else None,
        s.name,
        s.start_time or 0,
        s.end_time or 0,
        kind=s.kind.name,
        status_code=s.status.status_code.name,
        status_message=s.status.description or "",
        attributes=dict(s.attributes or {}),
        events=tuple(SpanEvent(e.name, e.timestamp or 0, dict(e.attributes or {})) for e in s.events),
        scope=s.instrumentation_scope.name if s.instrumentation_scope else "",
    )


class Tree:
    """The finished spans, with helpers to walk them."""

    def __init__(self, spans: tuple[ReadableSpan, ...]) -> None:
        self.spans = list(spans)
        self.by_id = {s.context.span_id: s for s in self.spans}

    def named(self, name: str) -> list[ReadableSpan]:
        return [s for s in self.spans if s.name == name]

    def one(self, name: str) -> ReadableSpan:
        found = self.named(name)
        assert len(found) == 1, [s.name for s in self.spans]
        return found[0]

    def parent(self, span: ReadableSpan) -> ReadableSpan | None:
        return self.by_id.get(span.parent.span_id) if span.parent is not None else None

    def children(self, span: ReadableSpan) -> list[ReadableSpan]:
        kids = [s for s in self.spans if s.parent is not None and s.parent.span_id == span.context.span_id]
        return sorted(kids, key=lambda s: s.start_time or 0)

    def roots(self) -> list[ReadableSpan]:
        return [s for s in self.spans if s.parent is None or s.parent.span_id not in self.by_id]

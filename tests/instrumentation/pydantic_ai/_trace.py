"""Exported SDK spans as the RCA's model `Trace` (shared by the Pydantic AI and ADK tests; imports neither)."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import format_span_id, format_trace_id

from otel_agent_trace.model import Span, SpanEvent, Trace


def to_trace(spans: Sequence[ReadableSpan]) -> Trace:
    """The exported spans as the RCA's model `Trace` (what the JSONL/OTLP loaders give)."""
    out = tuple(
        Span(
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
        for s in spans
    )
    assert len({span.trace_id for span in out}) == 1
    return Trace(out[0].trace_id, out)

"""A trace model independent of the OpenTelemetry SDK, and loaders that build it from stored traces."""

from __future__ import annotations

from ._records import AttributeValue, Span, SpanEvent, SpanLink, Trace
from .jaeger import spans_from_jaeger
from .loaders import BadLine, LoadReport, TraceFormatError, find_trace, group_traces, load_traces, spans_from_otlp
from .openinference import from_openinference, normalize_openinference
from .sources import detect_format, fetch_trace, load_any, load_selected, load_spans, spans_from_document, trace_urls
from .tempo import spans_from_tempo

__all__ = [
    "AttributeValue",
    "BadLine",
    "LoadReport",
    "Span",
    "SpanEvent",
    "SpanLink",
    "Trace",
    "TraceFormatError",
    "detect_format",
    "fetch_trace",
    "find_trace",
    "from_openinference",
    "group_traces",
    "load_any",
    "load_selected",
    "load_spans",
    "load_traces",
    "normalize_openinference",
    "spans_from_document",
    "spans_from_jaeger",
    "spans_from_otlp",
    "spans_from_tempo",
    "trace_urls",
]

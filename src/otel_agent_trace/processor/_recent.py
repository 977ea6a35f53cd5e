"""The recent-spans buffer behind ``otel_agent_trace.diagnose()``: the spans of the last few traces, in memory.

`AgentSpanProcessor` calls `RecentSpans.started` from ``on_start`` and `RecentSpans.ended` from ``on_end`` (with
the span as prepared there: every value already sliced to the processor's per-value budget). Both are O(1) on the
application thread: a lock, a dict insertion, a reference; nothing is converted. `RecentSpans.snapshot` does the
work when ``diagnose()`` asks: spans still open (the run span while the agent's error handler runs) are copied as
in progress with ``end = now``, and every span goes through the processor's redaction and budget, so what the
agent feeds its LLM is what would have left the process.

Bounds: at most ``max_spans`` spans in all and ``max_traces`` traces (least recently active trace evicted first).
A trace that alone exceeds its share loses its oldest *ended* spans (open ones are kept while possible). Losses
that make a diagnosis incomplete are counted by reason (`DROP_REASONS`), per trace and process-wide.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, Final

from opentelemetry.sdk.trace import ReadableSpan, Span
from opentelemetry.trace import format_span_id

from otel_agent_trace._internal.errors import log_internal_error
from otel_agent_trace._internal.recent import RecentTrace, register_source, unregister_source
from otel_agent_trace._internal.settings import DEFAULT_DIAGNOSE_BUFFER

from ._transform import SpanTransformer

logger = logging.getLogger("otel_agent_trace")

DEFAULT_MAX_SPANS: Final = DEFAULT_DIAGNOSE_BUFFER
"""Spans kept in all by default (``init(diagnose_buffer=...)``)."""
DEFAULT_MAX_TRACES: Final = 16
"""Traces kept at most; the least recently active one is forgotten first."""
SPAN_LIMIT: Final = "span_limit"
"""A trace held more spans than the buffer allows: its oldest ended spans were forgotten."""
RUN_EVICTED: Final = "run_evicted"
"""A trace with spans still open (a run in progress) was evicted because more traces were active than kept."""
DROP_REASONS: Final = (SPAN_LIMIT, RUN_EVICTED)
LOG_INTERVAL_S: Final = 60.0
"""At most one log line about buffer losses per this many seconds."""
_SKIP_OPEN: Final = 8
"""How many open spans eviction steps over, at most, to find an ended one (keeps eviction O(1))."""

Transform = Callable[[ReadableSpan], "ReadableSpan | None"]


class _Trace:
    __slots__ = ("dropped", "spans")

    def __init__(self) -> None:
        self.spans: OrderedDict[int, ReadableSpan] = OrderedDict()
        self.dropped = 0


class RecentSpans:
    """Bounded per-trace memory of started and ended spans (see the module docstring).

    Args:
        max_spans: Spans kept in all (at least 1).
        max_traces: Traces kept at most (at least 1).
    """

    def __init__(self, max_spans: int = DEFAULT_MAX_SPANS, max_traces: int = DEFAULT_MAX_TRACES) -> None:
        self.max_spans = max(1, int(max_spans))
        self.max_traces = max(1, int(max_traces))
        self._lock = threading.Lock()
        self._traces: OrderedDict[int, _Trace] = OrderedDict()
        self._size = 0
        self._dropped = dict.fromkeys(DROP_REASONS, 0)
        self._last_log = 0.0
        self.transform: Transform | None = None
        """Redaction and budget applied when read (set by the `AgentSpanProcessor` the buffer is given to)."""

    # -- application thread -------------------------------------------------------------------------------------
    def started(self, span: Span) -> None:
        """Remember an open span (by reference). Never raises."""
        try:
            self._put(span.context.trace_id, span.context.span_id, span)
        except Exception:  # noqa: BLE001 - a processor hook must never raise into the application
            log_internal_error("RecentSpans.started")

    def ended(self, span: ReadableSpan) -> None:
        """Replace the open span by its ended form (``span`` as the processor prepared it). Never raises."""
        try:
            ctx = span.context
            if ctx is not None:
                self._put(ctx.trace_id, ctx.span_id, span)
        except Exception:  # noqa: BLE001 - see started
            log_internal_error("RecentSpans.ended")

    def _put(self, trace_id: int, span_id: int, span: ReadableSpan) -> None:
        lost = 0
        with self._lock:
            entry = self._traces.get(trace_id)
            if entry is None:
                entry = self._traces[trace_id] = _Trace()
            else:
                self._traces.move_to_end(trace_id)
            if span_id not in entry.spans:
                self._size += 1
            entry.spans[span_id] = span
            while len(self._traces) > self.max_traces:
                lost += self._evict_oldest_trace()
            while self._size > self.max_spans:
                lost += self._evict_one()
        if lost:
            self._log_losses()

    def _evict_oldest_trace(self) -> int:
        """Forget the least recently active trace; count its open spans as lost. Caller holds the lock."""
        _, entry = self._traces.popitem(last=False)
        self._size -= len(entry.spans)
        for span in entry.spans.values():  # a plain loop: this runs for every new trace once the buffer is full
            if span.end_time is None:  # `_is_open`, inlined
                self._dropped[RUN_EVICTED] += len(entry.spans)
                return len(entry.spans)
        return 0

    def _evict_one(self) -> int:
        """Make room for one span: a whole older trace if there is one, else the oldest ended span of the only one."""
        if len(self._traces) > 1:
            return self._evict_oldest_trace()
        entry = next(iter(self._traces.values()))
        spans = entry.spans
        for _ in range(_SKIP_OPEN):
            span_id, span = spans.popitem(last=False)
            if not _is_open(span) or not spans:
                break
            spans[span_id] = span  # keep the open span (the run in progress), look at the next one
        else:
            spans.popitem(last=False)  # only open spans near the front: forget the oldest after all
        self._size -= 1
        entry.dropped += 1
        self._dropped[SPAN_LIMIT] += 1
        if not spans:
            self._traces.clear()
        return 1

    def _log_losses(self) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last_log < LOG_INTERVAL_S:
                return
            self._last_log = now
            counts = dict(self._dropped)
        logger.warning(
            "otel-agent-trace: the diagnose() buffer (%d spans, %d traces) forgot spans of runs in progress: %s; "
            "raise init(diagnose_buffer=...) for complete diagnoses",
            self.max_spans,
            self.max_traces,
            ", ".join(f"{k}={v}" for k, v in counts.items() if v),
        )

    # -- diagnose() ---------------------------------------------------------------------------------------------
    def attach(self, transformer: SpanTransformer) -> None:
        """Redact with ``transformer`` when read, and let ``diagnose()`` read this buffer."""
        self.transform = safe_transform(transformer)
        register_source(self)

    def detach(self) -> None:
        """``diagnose()`` no longer reads this buffer (its processor shut down); what it holds is forgotten."""
        unregister_source(self)
        with self._lock:
            self._traces.clear()
            self._size = 0

    def recent_trace(self, trace_id: int, max_spans: int) -> RecentTrace | None:
        """The trace as ``diagnose()`` reads it: `snapshot`, encoded as OTLP-JSON (``None`` if not held)."""
        held = self.snapshot(trace_id, max_spans)
        if held is None:
            return None
        spans, open_ids, dropped = held
        return RecentTrace(encode_otlp_json(spans), open_ids, dropped)

    def dropped(self) -> dict[str, int]:
        """Spans forgotten so far that a diagnosis may have needed, by reason (`DROP_REASONS`)."""
        with self._lock:
            return dict(self._dropped)

    def __len__(self) -> int:
        with self._lock:
            return self._size

    def trace_ids(self) -> list[int]:
        """The traces held, least recently active first."""
        with self._lock:
            return list(self._traces)

    def snapshot(
        self, trace_id: int, max_spans: int | None = None
    ) -> tuple[list[ReadableSpan], frozenset[str], int] | None:
        """The spans of one trace for analysis: (spans, ids of the open ones, how many were forgotten).

        Open spans are copied with ``end = now``; with ``max_spans`` the open spans and the most recent ended
        ones are kept (the others counted as forgotten). `transform` (the processor's redaction and budget) is
        applied to each; a span it refuses is left out and counted. ``None`` when the trace is not held.
        """
        with self._lock:
            entry = self._traces.get(trace_id)
            if entry is None:
                return None
            held = list(entry.spans.values())
            dropped = entry.dropped
        now = time.time_ns()
        open_ids: set[str] = set()
        spans: list[ReadableSpan] = []
        for span in held:
            if _is_open(span):
                copy = _in_progress(span, now)
                if copy is None:
                    dropped += 1
                    continue
                open_ids.add(format_span_id(span.context.span_id))
                spans.append(copy)
            else:
                spans.append(span)
        if max_spans is not None and len(spans) > max_spans:
            keep = max(0, int(max_spans))
            opened = [s for s in spans if format_span_id(s.context.span_id) in open_ids]
            ended = [s for s in spans if format_span_id(s.context.span_id) not in open_ids]
            room = max(0, keep - len(opened))
            kept_ended = ended[len(ended) - room :] if room else []
            dropped += len(spans) - len(opened) - len(kept_ended)
            spans = opened + kept_ended
        transform = self.transform
        if transform is not None:
            out = []
            for span in spans:
                made = transform(span)
                if made is None:
                    dropped += 1
                else:
                    out.append(made)
            spans = out
        return spans, frozenset(open_ids), dropped


def buffer_for(max_spans: int) -> RecentSpans | None:
    """A buffer of ``max_spans`` spans, or ``None`` for 0 (the buffer is off)."""
    return RecentSpans(max_spans) if max_spans > 0 else None


def encode_otlp_json(spans: Sequence[ReadableSpan]) -> dict[str, Any]:
    """OTLP-JSON of ``spans``, as ``exporters.otlp_json.spans_to_otlp_json`` writes it (hex ids).

    The processor may not import the exporters (layering), so the few lines are repeated here.
    """
    import base64

    from google.protobuf.json_format import MessageToDict
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    document: dict[str, Any] = MessageToDict(encode_spans(spans))
    for resource_spans in document.get("resourceSpans", ()):
        for scope_spans in resource_spans.get("scopeSpans", ()):
            for span in scope_spans.get("spans", ()):
                for key in ("traceId", "spanId", "parentSpanId"):
                    if isinstance(span.get(key), str):
                        span[key] = base64.b64decode(span[key]).hex()
                for link in span.get("links", ()):
                    for key in ("traceId", "spanId"):
                        if isinstance(link.get(key), str):
                            link[key] = base64.b64decode(link[key]).hex()
    return document


def safe_transform(transformer: SpanTransformer) -> Transform:
    """``transformer``'s redaction and budget for the buffer: its scrubbed form on a fault, ``None`` if none.

    Unlike `SpanTransformer.export_form` nothing is counted as dropped: the span was (or will be) exported anyway.
    """

    def transform(span: ReadableSpan) -> ReadableSpan | None:
        try:
            return transformer.transform(span)
        except Exception:  # noqa: BLE001 - our fault: give a scrubbed span rather than raise or leak
            log_internal_error("RecentSpans.transform")
        try:
            return transformer.scrub(span)
        except Exception:  # noqa: BLE001 - even scrubbing failed: leave the span out (counted by the caller)
            log_internal_error("RecentSpans.scrub")
        return None

    return transform


def _is_open(span: ReadableSpan) -> bool:
    return span.end_time is None


def _in_progress(span: ReadableSpan, now_ns: int) -> ReadableSpan | None:
    """A read-only copy of an open span, ended ``now`` (``None`` if it cannot be read)."""
    for _ in range(2):  # another thread may change the live span while it is copied: try once more
        try:
            return ReadableSpan(
                name=span.name,
                context=span.context,
                parent=span.parent,
                resource=span.resource,
                attributes=dict(span.attributes or {}),
                events=tuple(span.events),
                links=tuple(span.links),
                kind=span.kind,
                status=span.status,
                start_time=span.start_time,
                end_time=max(now_ns, span.start_time or 0),
                instrumentation_scope=span.instrumentation_scope,
            )
        except RuntimeError:  # "dictionary changed size during iteration"
            continue
    return None

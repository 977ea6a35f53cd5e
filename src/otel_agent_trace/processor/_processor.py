"""``AgentSpanProcessor``: enrich, redact and budget spans, then hand them to a standard processor."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import StatusCode, get_current_span

from otel_agent_trace._internal.context import Correlation, RunState, current_correlation, current_run
from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace._internal.settings import Settings, get_settings
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import gen_ai as G
from otel_agent_trace.semconv import state as S

from ._budget import AttributeBudget

_MAX_TRACKED = 65536


class _LRU(OrderedDict[Any, Any]):
    """A dict that forgets its oldest entries beyond ``limit`` (bounded memory whatever happens)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)


class AgentSpanProcessor(SpanProcessor):
    """Enriches every span with agent context, redacts secrets and keeps payloads in budget, then delegates.

    - ``on_start``: copies the session's correlation ids (``agent_session``) and the current run id onto the
      span. Spans started in threads that did not inherit the context still get the ids of their trace.
    - ``on_end``: attaches the run's latest state snapshot to spans that failed and to the run's own span when
      they carry none, redacts secrets (API keys, auth headers, cookies, configured patterns), truncates
      attributes to the per-attribute and per-span budgets (JSON stays valid and says it was truncated), and hands
      the result to ``delegate`` (by default a ``BatchSpanProcessor`` around ``exporter``).

    Never raises into the application: every hook is guarded; on an internal fault the original span is passed on.

    Args:
        delegate: The processor that exports; give either this or ``exporter``.
        exporter: Wrapped in a ``BatchSpanProcessor`` with ``max_queue_size`` (spans beyond it are dropped
            while the backend is slow or down, so memory stays bounded).
        settings: Budget, redaction patterns, environment; defaults to the process settings.
        redact: Set False to turn redaction off.
        max_queue_size: Queue bound of the default batch processor.
    """

    def __init__(
        self,
        delegate: SpanProcessor | None = None,
        *,
        exporter: SpanExporter | None = None,
        settings: Settings | None = None,
        redact: bool = True,
        max_queue_size: int = 2048,
        schedule_delay_millis: float = 1000,
        export_timeout_millis: float = 10000,
    ) -> None:
        if (delegate is None) == (exporter is None):
            raise ValueError("AgentSpanProcessor needs exactly one of delegate= or exporter=")
        if delegate is None:
            delegate = BatchSpanProcessor(
                exporter,  # type: ignore[arg-type]
                max_queue_size=max_queue_size,
                max_export_batch_size=min(512, max_queue_size),
                schedule_delay_millis=schedule_delay_millis,
                export_timeout_millis=export_timeout_millis,
            )
        self.delegate = delegate
        settings = settings or get_settings()
        self.environment = settings.environment
        self.budget = AttributeBudget(
            max_attribute_bytes=settings.max_attribute_bytes,
            max_span_bytes=settings.max_span_bytes,
            redact=redact,
            extra_patterns=settings.redact_patterns,
        )
        self._lock = threading.Lock()
        self._trace_correlation = _LRU(_MAX_TRACKED // 4)
        self._span_runs = _LRU(_MAX_TRACKED)

    # -- start ----------------------------------------------------------------------------------------------------
    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        """Stamp correlation ids and the run id; then the delegate's ``on_start``."""
        with handle_internal_errors("AgentSpanProcessor.on_start"):
            self._stamp(span, parent_context)
        self.delegate.on_start(span, parent_context=parent_context)

    def _stamp(self, span: Span, parent_context: Context | None) -> None:
        trace_id = span.context.trace_id
        correlation = current_correlation()
        with self._lock:
            if correlation is not None:
                self._trace_correlation.put(trace_id, correlation)
            else:
                parent = get_current_span(parent_context).get_span_context()
                correlation = self._trace_correlation.get(parent.trace_id if parent.is_valid else trace_id)
        attributes = _correlation_attributes(correlation, self.environment)
        run = current_run()
        if run is not None:
            with self._lock:
                self._span_runs.put(span.context.span_id, run)
            attributes[A.AGENT_RUN_ID] = run.run_id
        if attributes:
            existing = span.attributes or {}
            span.set_attributes({k: v for k, v in attributes.items() if k not in existing})

    # -- end ------------------------------------------------------------------------------------------------------
    def on_end(self, span: ReadableSpan) -> None:
        """Enrich, redact and budget the ended span, then pass it to the delegate."""
        out: ReadableSpan = span
        with handle_internal_errors("AgentSpanProcessor.on_end"):
            out = self._rebuild(span)
        self.delegate.on_end(out)

    def _rebuild(self, span: ReadableSpan) -> ReadableSpan:
        attributes = span.attributes or {}
        extra: dict[str, Any] = {}
        ctx = span.context
        if ctx is not None:
            with self._lock:
                run: RunState | None = self._span_runs.pop(ctx.span_id, None)
            if run is not None and run.last_state_json and S.STATE_HASH not in attributes:
                is_run_span = attributes.get(G.GEN_AI_OPERATION_NAME) == "invoke_agent"
                if span.status.status_code is StatusCode.ERROR or is_run_span:
                    extra.update(run.last_state_json)
        base = {**attributes, **extra} if extra else attributes
        new_attributes, redacted, truncated = self.budget.apply(base)
        new_events, events_changed = self._events(span)
        if new_attributes is None and not extra and not events_changed:
            return span
        final = dict(new_attributes if new_attributes is not None else base)
        if redacted:
            final[A.REDACTED] = redacted
        if truncated:
            final[A.TRUNCATED] = tuple(truncated)
        return ReadableSpan(
            name=span.name,
            context=span.context,
            parent=span.parent,
            resource=span.resource,
            attributes=final,
            events=new_events,
            links=span.links,
            kind=span.kind,
            status=span.status,
            start_time=span.start_time,
            end_time=span.end_time,
            instrumentation_scope=span.instrumentation_scope,
        )

    def _events(self, span: ReadableSpan) -> tuple[Any, bool]:
        events = span.events
        if not events:
            return events, False
        changed = False
        out = []
        for event in events:
            new, _, _ = self.budget.apply(event.attributes or {})
            if new is not None:
                changed = True
                event = type(event)(event.name, new, event.timestamp)
            out.append(event)
        return (tuple(out) if changed else events), changed

    def shutdown(self) -> None:
        """Shut the delegate down (flushes what it holds)."""
        with handle_internal_errors("AgentSpanProcessor.shutdown"):
            self.delegate.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Flush the delegate."""
        result = False
        with handle_internal_errors("AgentSpanProcessor.force_flush"):
            result = self.delegate.force_flush(timeout_millis)
        return result


def _correlation_attributes(correlation: Correlation | None, environment: str | None) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    if correlation is not None:
        if correlation.session_id:
            attributes[A.SESSION_ID] = correlation.session_id
            attributes[G.GEN_AI_CONVERSATION_ID] = correlation.session_id
        if correlation.user_id:
            attributes[A.USER_ID] = correlation.user_id
        if correlation.request_id:
            attributes[A.REQUEST_ID] = correlation.request_id
        if correlation.agent_version:
            attributes[G.GEN_AI_AGENT_VERSION] = correlation.agent_version
        if correlation.agent_config_hash:
            attributes[A.AGENT_CONFIG_HASH] = correlation.agent_config_hash
        if correlation.tags:
            attributes[A.TAGS] = correlation.tags
        environment = correlation.environment or environment
    if environment:
        attributes[A.ENVIRONMENT] = environment
    return attributes

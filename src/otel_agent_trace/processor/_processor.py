"""``AgentSpanProcessor``: enrich spans on the application thread, redact and budget them on the export thread."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export import SpanExporter
from opentelemetry.trace import StatusCode, get_current_span

from otel_agent_trace._internal.context import Correlation, RunState, current_correlation, current_run
from otel_agent_trace._internal.errors import handle_internal_errors, log_internal_error
from otel_agent_trace._internal.redact import Redactor
from otel_agent_trace._internal.settings import Settings, get_settings
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import gen_ai as G

from ._batch import BoundedBatchSpanProcessor
from ._enrich import default_enrichers, default_observers
from ._export import TransformingExporter
from ._prepare import HOLD_MARGIN_CHARS, prepare
from ._recent import RecentSpans, buffer_for
from ._transform import SpanTransformer

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

    - ``on_start`` (application thread): copies the session's correlation ids (``agent_session``) and the current
      run id onto the span. Spans started in threads that did not inherit the context still get the ids of their
      trace.
    - ``on_end`` (application thread): O(1) work per value: a value longer than the per-attribute budget plus a
      scanning margin is sliced (O(budget), never O(payload)), the run's latest state snapshot is noted for spans
      that failed and for the run's own span; the span goes to ``delegate``.
    - On the export thread (`TransformingExporter` inside the default delegate): the state snapshot is attached,
      every text is redacted (name, attributes, status description, event names and attributes, link attributes,
      resource attributes once per resource), the per-attribute and the whole-span budget (attributes + events +
      links) are applied (JSON stays valid and says it was truncated; cuts and drops are listed in
      ``agent_trace.truncated``), and the span is rebuilt for the real exporter.

    With a ``delegate`` of your own, the export-thread work cannot be deferred (your processor must only ever see
    redacted spans), so it runs in ``on_end``: still bounded by the budget, but not O(1). Pass ``exporter=`` to keep
    the application thread cheap. See ``docs/processor.md``.

    Never raises into the application: every hook is guarded; a span that cannot be redacted is exported with its
    texts replaced by a marker, never as it was.

    Args:
        delegate: The processor that exports; give either this or ``exporter``.
        exporter: Wrapped in the default batch processor (`default_delegate`) with ``max_queue_size`` (spans beyond
            it are dropped and counted while the backend is slow or down, so memory stays bounded).
        settings: Budget, redaction patterns, environment; defaults to the process settings.
        redact: Set False to turn redaction off.
        max_queue_size: Queue bound of the default batch processor.
        recent: The buffer ``otel_agent_trace.diagnose()`` reads (`RecentSpans`); default: one of
            ``settings.diagnose_buffer`` spans (none for 0). Every started span, and every ended one as prepared
            here, goes to it (O(1)); it redacts with this processor's rules when read.
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
        recent: RecentSpans | None = None,
    ) -> None:
        if (delegate is None) == (exporter is None):
            raise ValueError("AgentSpanProcessor needs exactly one of delegate= or exporter=")
        settings = settings or get_settings()
        self.environment = settings.environment
        self.transformer = SpanTransformer(
            max_attribute_bytes=settings.max_attribute_bytes,
            max_span_bytes=settings.max_span_bytes,
            redact=redact,
            redactor=Redactor.from_settings(settings),
            enrichers=default_enrichers(settings),
            observers=default_observers(settings),
        )
        self.hold = self.transformer.budget.max_attribute_bytes + HOLD_MARGIN_CHARS
        """Longest value (in characters) kept whole on the application thread."""
        self.transform_inline = delegate is not None
        """True with a user-given delegate: the export-thread work then runs in ``on_end``."""
        if delegate is None:
            delegate = default_delegate(
                TransformingExporter(exporter, self.transformer),  # type: ignore[arg-type]
                max_queue_size=max_queue_size,
                schedule_delay_millis=schedule_delay_millis,
                export_timeout_millis=export_timeout_millis,
            )
        self.delegate = delegate
        self._lock = threading.Lock()
        self._trace_correlation = _LRU(_MAX_TRACKED // 4)
        self._span_runs = _LRU(_MAX_TRACKED)
        self.recent = recent if recent is not None else buffer_for(settings.diagnose_buffer)
        if self.recent is not None:
            self.recent.attach(self.transformer)

    # -- start ----------------------------------------------------------------------------------------------------
    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        """Stamp correlation ids and the run id; then the delegate's ``on_start``."""
        # try/except rather than handle_internal_errors: this runs for every span, on the application thread.
        try:
            self._stamp(span, parent_context)
        except Exception:  # noqa: BLE001 - a processor hook must never raise into the application
            log_internal_error("AgentSpanProcessor.on_start")
        if self.recent is not None:
            self.recent.started(span)  # never raises
        try:
            self.delegate.on_start(span, parent_context=parent_context)
        except Exception:  # noqa: BLE001 - see above
            log_internal_error("AgentSpanProcessor.on_start delegate")

    def _stamp(self, span: Span, parent_context: Context | None) -> None:
        trace_id = span.context.trace_id
        correlation = current_correlation()
        if correlation is not None:
            with self._lock:
                self._trace_correlation.put(trace_id, correlation)
        elif self._trace_correlation:  # no correlation ever seen (the common case): no lock, no lookup
            parent = get_current_span(parent_context).get_span_context()
            with self._lock:
                correlation = self._trace_correlation.get(parent.trace_id if parent.is_valid else trace_id)
        run = current_run()
        if correlation is None and run is None:
            if self.environment:
                existing = span.attributes or {}
                if A.ENVIRONMENT not in existing:
                    span.set_attribute(A.ENVIRONMENT, self.environment)
            return
        attributes = _correlation_attributes(correlation, self.environment)
        if run is not None:
            with self._lock:
                self._span_runs.put(span.context.span_id, run)
            attributes[A.AGENT_RUN_ID] = run.run_id
        if attributes:
            existing = span.attributes or {}
            if G.GEN_AI_CONVERSATION_ID in attributes and not _is_genai_operation(span.name, existing):
                # the convention puts gen_ai.conversation.id on GenAI operations only; viewers (Jaeger's GenAI tab)
                # treat any span that has it as one. Our own session id stays on every span.
                del attributes[G.GEN_AI_CONVERSATION_ID]
            span.set_attributes({k: v for k, v in attributes.items() if k not in existing})

    # -- end ------------------------------------------------------------------------------------------------------
    def on_end(self, span: ReadableSpan) -> None:
        """Slice over-long values, note the state snapshot, hand the span on (transformed first if not ours)."""
        prepared: ReadableSpan = span
        try:
            prepared = prepare(span, self.hold, self._snapshot(span))
        except Exception:  # noqa: BLE001 - see on_start; the span goes on as it is and is still redacted later
            log_internal_error("AgentSpanProcessor.on_end")
        if self.recent is not None:
            self.recent.ended(prepared)  # never raises
        out: ReadableSpan | None = prepared
        if self.transform_inline:
            out = self.transformer.export_form(prepared)  # never raises; None when nothing safe can be made of it
        if out is not None:
            try:
                self.delegate.on_end(out)
            except Exception:  # noqa: BLE001 - see on_start
                log_internal_error("AgentSpanProcessor.on_end delegate")

    def _snapshot(self, span: ReadableSpan) -> Mapping[str, str] | None:
        """The run's latest state snapshot, if ``span`` failed or is the run's own span."""
        ctx = span.context
        if ctx is None or not self._span_runs:  # no run ever started here: no lock
            return None
        with self._lock:
            run: RunState | None = self._span_runs.pop(ctx.span_id, None)
        if run is None or not run.last_state_json:
            return None
        attributes = span.attributes or {}
        if span.status.status_code is StatusCode.ERROR or attributes.get(G.GEN_AI_OPERATION_NAME) == "invoke_agent":
            return run.last_state_json
        return None

    def shutdown(self) -> None:
        """Shut the delegate down (flushes what it holds)."""
        with handle_internal_errors("AgentSpanProcessor.shutdown"):
            if self.recent is not None:
                self.recent.detach()
            self.delegate.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Flush the delegate."""
        result = False
        with handle_internal_errors("AgentSpanProcessor.force_flush"):
            result = self.delegate.force_flush(timeout_millis)
        return result


def default_delegate(
    exporter: SpanExporter, *, max_queue_size: int, schedule_delay_millis: float, export_timeout_millis: float
) -> SpanProcessor:
    """The batch processor ``AgentSpanProcessor(exporter=...)`` exports through (the one place it is built)."""
    return BoundedBatchSpanProcessor(
        exporter,
        max_queue_size=max_queue_size,
        max_export_batch_size=min(512, max_queue_size),
        schedule_delay_millis=schedule_delay_millis,
        export_timeout_millis=export_timeout_millis,
    )


_GENAI_OPERATIONS = frozenset(v.value for v in G.GenAiOperationNameValues)


def _is_genai_operation(name: str, attributes: Any) -> bool:
    """A GenAI operation span: ``gen_ai.operation.name`` set at start, or named ``{operation} {target}``."""
    return G.GEN_AI_OPERATION_NAME in attributes or name.partition(" ")[0] in _GENAI_OPERATIONS


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

"""GenAI metrics recorded from ended spans: one place for every LLM instrumentor and every framework's gen_ai spans.

`GenAIMetricsSpanProcessor` reads what an ended span already carries (``gen_ai.operation.name``, model, provider,
server, usage, status, the stream timings) and records the convention's histograms:

- ``gen_ai.client.token.usage`` (``{token}``, ``gen_ai.token.type`` input/output) and
  ``gen_ai.client.operation.duration`` (``s``, ``error.type`` on failure) for inference and embeddings calls;
- ``gen_ai.client.operation.time_to_first_chunk`` and ``gen_ai.client.operation.time_per_output_chunk`` for streams;
- ``gen_ai.invoke_agent.duration``, ``gen_ai.execute_tool.duration`` and ``gen_ai.workflow.duration`` for agent,
  tool and workflow spans.

One LLM call is counted once: a framework's LLM span that says its provider span carries the usage
(``agent_trace.llm.usage_source=provider``), or that has another LLM span inside it, is not counted (the inner,
provider span is); neither is the LLM span of a peer instrumentation that records these metrics itself
(`PEER_SCOPES`, e.g. under ``OTEL_AGENT_TRACE_PEER_POLICY=theirs``). Spans of suppressed instrumentation are never
recording, so never seen here.

Cost on the application thread is O(1) and small: a dict read, one lock-protected dict update and a deque append
per GenAI span. The histogram records (the SDK's, some microseconds each) run on a worker thread that drains the
queue every half second, and on ``force_flush``/``shutdown`` before the meter provider exports; should the queue hold
``_QUEUE_LIMIT`` spans (the worker stalled), the span is recorded on the calling thread instead, never dropped.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections import OrderedDict, deque
from collections.abc import Mapping
from typing import Any, Final

from opentelemetry.context import Context
from opentelemetry.metrics import Histogram, MeterProvider
from opentelemetry.sdk.metrics import MeterProvider as SdkMeterProvider
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.trace import NonRecordingSpan, StatusCode, set_span_in_context

from otel_agent_trace._internal.errors import log_internal_error
from otel_agent_trace.semconv import agent, gen_ai, metrics
from otel_agent_trace.semconv.error import ERROR_TYPE
from otel_agent_trace.version import __version__

from ._batch import ShutdownClock

SERVER_ADDRESS: Final = "server.address"
SERVER_PORT: Final = "server.port"

CLIENT_TOKEN_USAGE: Final = "gen_ai.client.token.usage"
CLIENT_OPERATION_DURATION: Final = "gen_ai.client.operation.duration"
CLIENT_TIME_TO_FIRST_CHUNK: Final = "gen_ai.client.operation.time_to_first_chunk"
CLIENT_TIME_PER_OUTPUT_CHUNK: Final = "gen_ai.client.operation.time_per_output_chunk"
INVOKE_AGENT_DURATION: Final = "gen_ai.invoke_agent.duration"
EXECUTE_TOOL_DURATION: Final = "gen_ai.execute_tool.duration"
WORKFLOW_DURATION: Final = "gen_ai.workflow.duration"

TOKEN_BUCKETS: Final = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864)
"""The convention's bucket advice for ``gen_ai.client.token.usage``."""
DURATION_BUCKETS: Final = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
"""The convention's bucket advice for the client duration, time-to-first-chunk and time-per-output-chunk
histograms; also used for the agent, tool and workflow durations (the convention gives them no advice)."""

LLM_OPERATIONS: Final = frozenset(("chat", "text_completion", "generate_content", "embeddings"))
"""``gen_ai.operation.name`` values whose spans are client calls to a model (counted in the client metrics)."""
_RECORDED = LLM_OPERATIONS | {"invoke_agent", "execute_tool", "invoke_workflow"}
PEER_SCOPES: Final = ("opentelemetry.instrumentation.", "opentelemetry.util.genai")
"""Instrumentation scopes (prefixes) of GenAI instrumentations that record the client metrics themselves
(OpenTelemetry's openai-v2 and botocore, OpenLLMetry): their LLM spans are not counted a second time here."""
TOKEN_PEER_SCOPES: Final = ("pydantic-ai",)
"""Scopes whose instrumentation records ``gen_ai.client.token.usage`` itself but no duration (Pydantic AI 2.x):
their LLM spans get our duration and stream histograms, not a second token count."""

_CLIENT_KEYS = (
    gen_ai.GEN_AI_OPERATION_NAME,
    gen_ai.GEN_AI_PROVIDER_NAME,
    gen_ai.GEN_AI_REQUEST_MODEL,
    gen_ai.GEN_AI_RESPONSE_MODEL,
    SERVER_ADDRESS,
    SERVER_PORT,
    gen_ai.OPENAI_RESPONSE_SERVICE_TIER,
    gen_ai.OPENAI_RESPONSE_SYSTEM_FINGERPRINT,
)
_AGENT_KEYS = (
    gen_ai.GEN_AI_OPERATION_NAME,
    gen_ai.GEN_AI_PROVIDER_NAME,
    gen_ai.GEN_AI_AGENT_NAME,
    gen_ai.GEN_AI_REQUEST_MODEL,
    SERVER_ADDRESS,
    SERVER_PORT,
)
_TOOL_KEYS = (gen_ai.GEN_AI_OPERATION_NAME, gen_ai.GEN_AI_TOOL_NAME, gen_ai.GEN_AI_TOOL_TYPE)
_WORKFLOW_KEYS = (gen_ai.GEN_AI_OPERATION_NAME, gen_ai.GEN_AI_WORKFLOW_NAME)
_OTHER_ERROR = "_OTHER"
_MAX_OPEN = 65536
_QUEUE_LIMIT = 8192
_DRAIN_INTERVAL_S = 0.5
_INPUT = gen_ai.GenAiTokenTypeValues.INPUT.value
_OUTPUT = gen_ai.GenAiTokenTypeValues.OUTPUT.value


def _pick(attributes: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """The ``keys`` of ``attributes`` whose values are metric-attribute values (str, int, bool; no float, no list)."""
    out: dict[str, Any] = {}
    for key in keys:
        value = attributes.get(key)
        if isinstance(value, (str, int)):
            out[key] = value
    return out


def _seconds(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


def _tokens(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


class GenAIMetrics:
    """The histograms, created once from ``meter_provider``; `record` reads one ended span."""

    def __init__(self, meter_provider: MeterProvider) -> None:
        meter = meter_provider.get_meter("otel_agent_trace", __version__)

        def histogram(name: str, unit: str, description: str, buckets: tuple[float, ...]) -> Histogram:
            return meter.create_histogram(
                name, unit=unit, description=description, explicit_bucket_boundaries_advisory=list(buckets)
            )

        self.token_usage = histogram(
            CLIENT_TOKEN_USAGE, "{token}", "Number of input and output tokens used.", TOKEN_BUCKETS
        )
        self.operation_duration = histogram(
            CLIENT_OPERATION_DURATION, "s", "GenAI operation duration.", DURATION_BUCKETS
        )
        self.time_to_first_chunk = histogram(
            CLIENT_TIME_TO_FIRST_CHUNK, "s", "Time to receive the first chunk of a streamed response.", DURATION_BUCKETS
        )
        self.time_per_output_chunk = histogram(
            CLIENT_TIME_PER_OUTPUT_CHUNK, "s", "Time per output chunk after the first one.", DURATION_BUCKETS
        )
        self.agent_duration = histogram(
            INVOKE_AGENT_DURATION, "s", "The end-to-end duration of one agent invocation.", DURATION_BUCKETS
        )
        self.tool_duration = histogram(
            EXECUTE_TOOL_DURATION, "s", "The duration of one tool execution.", DURATION_BUCKETS
        )
        self.workflow_duration = histogram(WORKFLOW_DURATION, "s", "GenAI workflow duration.", DURATION_BUCKETS)

    def record(self, span: ReadableSpan, count_call: bool = True) -> None:
        """Record what ``span`` tells; ``count_call=False`` skips the client metrics of an LLM span."""
        attributes = span.attributes or {}
        operation = attributes.get(gen_ai.GEN_AI_OPERATION_NAME)
        if not isinstance(operation, str):
            return
        context = _exemplar_context(span)
        if operation in LLM_OPERATIONS:
            if count_call:
                self._client(span, attributes, context)
            return
        if operation == "invoke_agent":
            self._duration(self.agent_duration, span, attributes, context, _AGENT_KEYS)
        elif operation == "execute_tool":
            self._duration(self.tool_duration, span, attributes, context, _TOOL_KEYS)
        elif operation == "invoke_workflow":
            self._duration(self.workflow_duration, span, attributes, context, _WORKFLOW_KEYS)

    def _client(self, span: ReadableSpan, attributes: Mapping[str, Any], context: Context | None) -> None:
        if attributes.get(agent.LLM_USAGE_SOURCE) == "provider":
            return  # the provider SDK's span inside this one is the call
        common = _pick(attributes, _CLIENT_KEYS)
        self._duration(self.operation_duration, span, attributes, context, _CLIENT_KEYS, common)
        scope = span.instrumentation_scope
        if scope is not None and scope.name.startswith(TOKEN_PEER_SCOPES):
            self._stream(attributes, common, context)
            return
        input_tokens = _tokens(attributes.get(gen_ai.GEN_AI_USAGE_INPUT_TOKENS))
        if input_tokens is not None:
            self.token_usage.record(input_tokens, {**common, gen_ai.GEN_AI_TOKEN_TYPE: _INPUT}, context)
        output_tokens = _tokens(attributes.get(gen_ai.GEN_AI_USAGE_OUTPUT_TOKENS))
        if output_tokens is not None:
            self.token_usage.record(output_tokens, {**common, gen_ai.GEN_AI_TOKEN_TYPE: _OUTPUT}, context)
        self._stream(attributes, common, context)

    def _stream(self, attributes: Mapping[str, Any], common: Mapping[str, Any], context: Context | None) -> None:
        first = _seconds(attributes.get(gen_ai.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK))
        if first is not None:
            self.time_to_first_chunk.record(first, common, context)
        per_chunk = _seconds(attributes.get(metrics.RESPONSE_TIME_PER_OUTPUT_CHUNK))
        if per_chunk is not None:
            self.time_per_output_chunk.record(per_chunk, common, context)

    def _duration(
        self,
        histogram: Histogram,
        span: ReadableSpan,
        attributes: Mapping[str, Any],
        context: Context | None,
        keys: tuple[str, ...],
        common: dict[str, Any] | None = None,
    ) -> None:
        start, end = span.start_time, span.end_time
        if start is None or end is None or end < start:
            return
        labels = dict(common) if common is not None else _pick(attributes, keys)
        if span.status.status_code is StatusCode.ERROR:
            error = attributes.get(ERROR_TYPE)
            labels[ERROR_TYPE] = error if isinstance(error, str) and error else _OTHER_ERROR
        histogram.record((end - start) / 1e9, labels, context)


def _exemplar_context(span: ReadableSpan) -> Context | None:
    """A context whose current span is ``span``, so that the SDK's exemplars point at it (recorded off its thread)."""
    span_context = span.context
    return set_span_in_context(NonRecordingSpan(span_context)) if span_context is not None else None


def _after_fork(ref: weakref.ref[GenAIMetricsSpanProcessor]) -> None:
    """In a forked child: fresh locks (the parent's threads may have held them) and an empty queue.

    The queued spans are the parent's to record; the worker restarts on first use.
    """
    processor = ref()
    if processor is not None:
        processor._lock = threading.Lock()
        processor._drain_lock = threading.Lock()
        processor._pending.clear()
        processor._worker_pid = 0


class GenAIMetricsSpanProcessor(SpanProcessor):
    """Records the GenAI metrics of every ended span (`GenAIMetrics`); ``init()`` adds one to its tracer provider.

    Add it yourself to a provider ``init()`` did not build: ``provider.add_span_processor(
    GenAIMetricsSpanProcessor(meter_provider))``. Never raises into the application.

    Args:
        meter_provider: Where the histograms are created.
        owned: The SDK meter provider this processor flushes and shuts down with the tracer provider (``init()``
            passes the one it built; a provider of yours is left to you).
        shutdown_millis: Longest `shutdown` of ``owned`` may take.
        clock: A shutdown deadline shared with the trace processors; `shutdown` takes at most what is left of it.
    """

    def __init__(
        self,
        meter_provider: MeterProvider,
        *,
        owned: SdkMeterProvider | None = None,
        shutdown_millis: float = 1000,
        clock: ShutdownClock | None = None,
    ) -> None:
        self.metrics = GenAIMetrics(meter_provider)
        self.owned = owned
        self.shutdown_millis = shutdown_millis
        self.clock = clock
        self._closed = False
        self._lock = threading.Lock()
        self._holds_llm: OrderedDict[int, bool] = OrderedDict()
        """Open spans with an LLM span inside them (bounded: the oldest are forgotten beyond ``_MAX_OPEN``)."""
        self._pending: deque[tuple[ReadableSpan, bool]] = deque()
        self._wake = threading.Event()
        self._drain_lock = threading.Lock()
        self._worker_pid = 0
        if hasattr(os, "register_at_fork"):
            ref = weakref.ref(self)
            os.register_at_fork(after_in_child=lambda: _after_fork(ref))

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        """Nothing to do at start."""

    def on_end(self, span: ReadableSpan) -> None:
        """Record the span's metrics (an LLM span with an LLM span inside it is not counted a second time)."""
        try:
            context = span.context
            if context is None:
                return
            operation = (span.attributes or {}).get(gen_ai.GEN_AI_OPERATION_NAME)
            if not isinstance(operation, str):
                operation = ""
            is_llm = operation in LLM_OPERATIONS
            parent = span.parent
            with self._lock:
                holds_llm = self._holds_llm.pop(context.span_id, False)
                if (is_llm or holds_llm) and parent is not None and not parent.is_remote:
                    self._holds_llm[parent.span_id] = True
                    if len(self._holds_llm) > _MAX_OPEN:
                        self._holds_llm.popitem(last=False)
            if operation not in _RECORDED:
                return
            if is_llm and not holds_llm:
                scope = span.instrumentation_scope
                holds_llm = scope is not None and scope.name.startswith(PEER_SCOPES)  # the peer counts its call
            if self._closed or len(self._pending) >= _QUEUE_LIMIT:
                self.metrics.record(span, count_call=not holds_llm)  # no worker (any more): record here
                return
            if self._worker_pid != os.getpid():
                self._start_worker()
            self._pending.append((span, not holds_llm))
            if self._closed:  # shut down meanwhile: its drain may have run before this append
                self.drain()
        except Exception:  # noqa: BLE001 - a processor hook must never raise into the application
            log_internal_error("GenAIMetricsSpanProcessor.on_end")

    def _start_worker(self) -> None:
        """Start the draining thread: on first use, and on first use in a forked child."""
        with self._lock:
            if self._worker_pid == os.getpid():
                return
            thread = threading.Thread(target=self._run, name="otel-agent-trace-metrics", daemon=True)
            thread.start()
            self._worker_pid = os.getpid()

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(_DRAIN_INTERVAL_S)
            self._wake.clear()
            self.drain()

    def drain(self) -> None:
        """Record every queued span now (on the calling thread), and wait for the worker's ones; never raises."""
        pending = self._pending
        with self._drain_lock:  # a flush returns only once what the worker took is recorded too
            while True:
                try:
                    span, count_call = pending.popleft()
                except IndexError:
                    return
                try:
                    self.metrics.record(span, count_call=count_call)
                except Exception:  # noqa: BLE001 - one bad span must not stop the others
                    log_internal_error("GenAIMetricsSpanProcessor.record")

    def shutdown(self) -> None:
        """Export what ``owned`` holds and shut it down, within ``shutdown_millis`` and the shared clock; once."""
        if self._closed:
            return
        self._closed = True
        self._wake.set()
        self.drain()
        owned = self.owned
        if owned is None:
            return
        try:
            budget_s = self.shutdown_millis / 1000.0
            if self.clock is not None:
                budget_s = min(budget_s, self.clock.deadline() - time.monotonic())
            owned.shutdown(timeout_millis=max(budget_s, 0.0) * 1000.0)
        except Exception:  # noqa: BLE001 - shutdown must not raise at exit
            log_internal_error("GenAIMetricsSpanProcessor.shutdown")

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Record the queued spans, then export what ``owned`` holds now (a provider of yours exports on its own)."""
        self.drain()
        owned = self.owned
        if owned is None or self._closed:
            return True
        # Bounded like the span processors' flush: the SDK's waits for the OTLP exporter's own timeout (5 s against
        # a collector that accepts and never answers), whatever timeout it is given.
        limit_s = max(0.0, min(timeout_millis, self.shutdown_millis) / 1000.0)
        result: list[bool] = []

        def flush() -> None:
            try:
                result.append(bool(owned.force_flush(timeout_millis=limit_s * 1000.0)))
            except Exception:  # noqa: BLE001 - a processor hook must never raise into the application
                log_internal_error("GenAIMetricsSpanProcessor.force_flush")

        worker = threading.Thread(target=flush, name="otel-agent-trace-metrics-flush", daemon=True)
        worker.start()
        worker.join(limit_s)
        return bool(result and result[0])

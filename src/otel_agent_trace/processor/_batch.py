"""A bounded batch span processor that counts every span it does not deliver and never holds the process long.

Unlike the SDK's ``BatchSpanProcessor`` it:

- counts each lost span by reason (`otel_agent_trace._internal.drops`): ``queue_full`` when the queue is full,
  the exporter's ``drop_reason`` (``export_failed``, or ``store_unwritable`` for the local store) when a batch
  fails, ``shutdown_timeout`` for what is still queued or in flight when the time budget runs out,
  ``after_shutdown`` for a span that ends after `shutdown`;
- bounds `shutdown` by ``shutdown_timeout_millis`` (shared by all processors given the same `ShutdownClock`),
  including against a collector that accepts connections and never answers: past the deadline the exporter is
  shut down (which cancels its request) and the worker thread, a daemon, is left behind;
- returns False from `force_flush` when the wait timed out or any export since the call began failed.

``on_end`` takes one lock, appends to a bounded deque and returns: it never waits and never does I/O.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Sequence

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from otel_agent_trace._internal.context import suppress_instrumentation
from otel_agent_trace._internal.drops import (
    AFTER_SHUTDOWN,
    EXPORT_FAILED,
    QUEUE_FULL,
    SHUTDOWN_TIMEOUT,
    log_drop_summary,
    record_drop,
    register_metric,
)

logger = logging.getLogger("otel_agent_trace")
_SAMPLED = 0x01
"""``TraceFlags.SAMPLED``."""

DEFAULT_SHUTDOWN_TIMEOUT_MILLIS = 4000
"""Longest `shutdown` (and `force_flush`) may hold the process, in milliseconds: 4 s, so that with the
exporters' own shutdown (at least 0.1 s each) and interpreter teardown a process exits within 5 s of its last line."""
DEFAULT_EXPORT_TIMEOUT_MILLIS = 5000
"""Longest one export may take before it counts as failed, in milliseconds (passed to the exporters)."""


class ShutdownClock:
    """One shutdown deadline for several processors: the first `deadline` call starts the clock."""

    def __init__(self, total_millis: float = DEFAULT_SHUTDOWN_TIMEOUT_MILLIS) -> None:
        self.total_s = max(0.0, float(total_millis)) / 1000.0
        self._deadline: float | None = None
        self._lock = threading.Lock()

    def deadline(self) -> float:
        """The ``time.monotonic()`` by which every processor sharing this clock must be shut down."""
        with self._lock:
            if self._deadline is None:
                self._deadline = time.monotonic() + self.total_s
            return self._deadline


class BoundedBatchSpanProcessor(SpanProcessor):
    """Batches ended spans to ``exporter`` from one worker thread; bounded memory, bounded exit, counted loss.

    Args:
        exporter: Where batches go. Its ``drop_reason`` attribute, if any, names the reason counted when it fails.
        max_queue_size: Spans held while the exporter is slow or down; a span arriving at a full queue is dropped
            (counted as ``queue_full``).
        max_export_batch_size: Spans per export call.
        schedule_delay_millis: Longest a span waits before its batch is sent.
        shutdown_timeout_millis: Bound of `shutdown` and of every `force_flush`.
        clock: Share one shutdown deadline between processors (``init()`` gives all of its processors one).
    """

    def __init__(
        self,
        exporter: SpanExporter,
        *,
        max_queue_size: int = 2048,
        max_export_batch_size: int = 512,
        schedule_delay_millis: float = 1000,
        shutdown_timeout_millis: float = DEFAULT_SHUTDOWN_TIMEOUT_MILLIS,
        clock: ShutdownClock | None = None,
        export_timeout_millis: float | None = None,  # accepted for BatchSpanProcessor compatibility; unused
    ) -> None:
        if max_queue_size <= 0 or max_export_batch_size <= 0:
            raise ValueError("max_queue_size and max_export_batch_size must be positive")
        self.exporter = exporter
        self.max_queue_size = max_queue_size
        self.max_export_batch_size = min(max_export_batch_size, max_queue_size)
        self.schedule_delay_s = max(0.0, schedule_delay_millis / 1000.0)
        self.shutdown_timeout_millis = shutdown_timeout_millis
        self.clock = clock or ShutdownClock(shutdown_timeout_millis)
        self.drop_reason = str(getattr(exporter, "drop_reason", EXPORT_FAILED))
        self.exported = 0
        """Spans the exporter accepted (export returned SUCCESS)."""
        self.dropped = 0
        """Spans this processor dropped, whatever the reason (the reasons are in `dropped_spans()`)."""
        self._failed = 0
        self._accepted = 0
        self._finished = 0
        self._queue: deque[ReadableSpan] = deque()
        self._inflight = 0
        self._cond = threading.Condition(threading.Lock())
        self._flush_requested = False
        self._shutdown = False
        self._abandoned = False
        register_metric()
        self._start_worker()
        if hasattr(os, "register_at_fork"):
            ref = weakref.WeakMethod(self._after_fork)
            os.register_at_fork(after_in_child=lambda: (ref() or (lambda: None))())

    def configure_shutdown(self, shutdown_timeout_millis: float, clock: ShutdownClock | None = None) -> None:
        """Set the bound of `shutdown`/`force_flush` after construction (``init()`` does this for its processors)."""
        self.shutdown_timeout_millis = shutdown_timeout_millis
        self.clock = clock or ShutdownClock(shutdown_timeout_millis)

    def _start_worker(self) -> None:
        self._worker = threading.Thread(target=self._run, name="otel-agent-trace-export", daemon=True)
        self._worker.start()

    def _after_fork(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._queue.clear()
        self._inflight = 0
        self._accepted = self._finished = 0
        self._start_worker()

    # -- application thread -------------------------------------------------------------------------------------------
    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        """Nothing to do when a span starts."""

    def on_end(self, span: ReadableSpan) -> None:
        """Queue the span, or count it as ``queue_full``; never blocks, never raises."""
        try:
            ctx = span.context
            if ctx is not None and not ctx.trace_flags & _SAMPLED:  # the bit, not the `sampled` property (3x slower)
                return
            reason = None
            with self._cond:
                if self._shutdown:
                    self.dropped += 1
                    reason = AFTER_SHUTDOWN
                elif len(self._queue) >= self.max_queue_size:
                    self.dropped += 1
                    reason = QUEUE_FULL
                else:
                    self._queue.append(span)
                    self._accepted += 1
                    if len(self._queue) >= self.max_export_batch_size:
                        self._cond.notify_all()
            if reason is not None:
                record_drop(reason)
        except Exception:
            logger.debug("BoundedBatchSpanProcessor.on_end failed", exc_info=True)

    # -- worker thread --------------------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._shutdown and not self._flush_requested and len(self._queue) < self.max_export_batch_size:
                    self._cond.wait(self.schedule_delay_s)
                if not self._queue:
                    self._flush_requested = False
                    self._cond.notify_all()
                    if self._shutdown:
                        return
                    continue
                count = min(len(self._queue), self.max_export_batch_size)
                batch = [self._queue.popleft() for _ in range(count)]
                self._inflight = count
            self._export(batch)

    def _export(self, batch: Sequence[ReadableSpan]) -> None:
        ok = False
        withheld = 0
        try:
            with suppress_instrumentation():
                ok = self.exporter.export(batch) is SpanExportResult.SUCCESS
        except Exception:
            logger.debug("exporter %s raised", type(self.exporter).__name__, exc_info=True)
        try:  # spans a transforming exporter dropped itself are counted there (over_budget), not here
            withheld = min(len(batch), max(0, int(getattr(self.exporter, "withheld", 0) or 0)))
        except Exception:
            logger.debug("exporter %s has an unusable 'withheld'", type(self.exporter).__name__, exc_info=True)
        sent = len(batch) - withheld
        with self._cond:
            self._inflight = 0
            if self._abandoned:  # already counted as shutdown_timeout
                return
            self._finished += len(batch)
            self.dropped += withheld
            if ok:
                self.exported += sent
            else:
                self._failed += sent
                self.dropped += sent
            self._cond.notify_all()
        if not ok and sent:
            record_drop(self.drop_reason, sent)

    # -- flush and shutdown ---------------------------------------------------------------------------------------
    def _wait_until(self, target: int, deadline: float) -> bool:
        """Wait (holding ``_cond``) until ``target`` spans are finished or the deadline passes."""
        while self._finished < target:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._worker.is_alive():
                return False
            self._flush_requested = True
            self._cond.notify_all()
            self._cond.wait(min(remaining, 0.05))
        return True

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Export every span queued so far; False if that took longer than the bound or an export failed.

        Waits at most ``min(timeout_millis, shutdown_timeout_millis)``.
        """
        try:
            budget = min(float(timeout_millis), float(self.shutdown_timeout_millis)) / 1000.0
            deadline = time.monotonic() + max(0.0, budget)
            with self._cond:
                if self._shutdown:
                    return False
                failed_before = self._failed
                done = self._wait_until(self._accepted, deadline)
                return done and self._failed == failed_before
        except Exception:
            logger.debug("BoundedBatchSpanProcessor.force_flush failed", exc_info=True)
            return False

    def shutdown(self) -> None:
        """Export what is queued within the shared deadline, count the rest as ``shutdown_timeout``, stop."""
        try:
            deadline = self.clock.deadline()
            with self._cond:
                if self._shutdown:
                    return
                self._shutdown = True
                self._cond.notify_all()
            self._worker.join(max(0.0, deadline - time.monotonic()))
            with self._cond:
                lost = 0
                if self._worker.is_alive():
                    self._abandoned = True
                    lost = len(self._queue) + self._inflight
                    self._queue.clear()
                    self.dropped += lost
            if lost:
                record_drop(SHUTDOWN_TIMEOUT, lost)
            self._shutdown_exporter(deadline)
            log_drop_summary()
        except Exception:
            logger.debug("BoundedBatchSpanProcessor.shutdown failed", exc_info=True)

    def _shutdown_exporter(self, deadline: float) -> None:
        """``exporter.shutdown()`` (cancels a hung request), waited for until the deadline, and at least 0.1 s."""

        def stop() -> None:
            try:
                self.exporter.shutdown()
            except Exception:
                logger.debug("exporter %s shutdown failed", type(self.exporter).__name__, exc_info=True)

        thread = threading.Thread(target=stop, name="otel-agent-trace-exporter-shutdown", daemon=True)
        thread.start()
        thread.join(max(0.1, deadline - time.monotonic()))

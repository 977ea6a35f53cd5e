"""Drop accounting: every span otel-agent-trace does not deliver is counted here, by reason.

The counts are process-wide and only grow. They are visible in three places:

- `dropped_spans()`: a snapshot ``{reason: count}``;
- the ``agent_trace.spans.dropped`` observable counter (OTel metrics API, attribute ``agent_trace.drop.reason``),
  reported by whatever ``MeterProvider`` the application installs;
- the ``otel_agent_trace`` logger: one WARNING at most every `LOG_INTERVAL_S` seconds while spans are being
  dropped, and one at shutdown (`log_drop_summary`) when anything was dropped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any, Final

from otel_agent_trace.semconv.reliability import DROP_REASON, SPANS_DROPPED

logger = logging.getLogger("otel_agent_trace")

QUEUE_FULL: Final = "queue_full"
"""The export queue was full (the backend is slow or down): the span was not queued."""
EXPORT_FAILED: Final = "export_failed"
"""The exporter reported failure for the batch holding the span (refused, error status, timeout)."""
STORE_UNWRITABLE: Final = "store_unwritable"
"""The local store could not write the batch (read-only or missing directory, full disk)."""
SHUTDOWN_TIMEOUT: Final = "shutdown_timeout"
"""Still queued or being exported when the shutdown/flush time budget ran out."""
AFTER_SHUTDOWN: Final = "after_shutdown"
"""The span ended after its tracer provider was shut down."""
OVER_BUDGET: Final = "over_budget"
"""The span processor dropped the whole span because it could not be brought within its byte budget."""
REASONS: Final = (QUEUE_FULL, EXPORT_FAILED, STORE_UNWRITABLE, SHUTDOWN_TIMEOUT, AFTER_SHUTDOWN, OVER_BUDGET)

LOG_INTERVAL_S = 10.0
"""At most one "spans dropped" WARNING per this many seconds (the shutdown summary is always written)."""

_lock = threading.Lock()
_counts: dict[str, int] = dict.fromkeys(REASONS, 0)
_logged: dict[str, int] = dict.fromkeys(REASONS, 0)
_last_log = 0.0
_metric_registered = False
_summarised: dict[str, int] = {}


def record_drop(reason: str, n: int = 1) -> None:
    """Count ``n`` spans dropped for ``reason`` (one of `REASONS`; an unknown reason is counted under its name).

    Cheap and non-blocking (one lock, no I/O except a rate-limited log line); never raises.
    """
    global _last_log
    try:
        count = int(n)
        if count <= 0:
            return
        reason = str(reason)
        now = time.monotonic()
        with _lock:
            _counts[reason] = _counts.get(reason, 0) + count
            due = now - _last_log >= LOG_INTERVAL_S
            if due:
                _last_log = now
                delta = _take_delta()
        if due:
            logger.warning(
                "otel-agent-trace dropped %d span(s) since the last report (%s); totals: %s",
                sum(delta.values()),
                _format(delta),
                _format(dropped_spans()),
            )
    except Exception:
        logger.debug("record_drop failed", exc_info=True)


def _take_delta() -> dict[str, int]:
    """Counts since the last log line; the caller holds ``_lock``."""
    delta = {r: c - _logged.get(r, 0) for r, c in _counts.items() if c - _logged.get(r, 0)}
    _logged.update(_counts)
    return delta


def dropped_spans() -> dict[str, int]:
    """Spans dropped by this process so far, by reason (every known reason present, zero when none)."""
    with _lock:
        return dict(_counts)


def total_dropped() -> int:
    """All spans dropped by this process so far."""
    with _lock:
        return sum(_counts.values())


def _format(counts: Mapping[str, int]) -> str:
    parts = [f"{reason}={count}" for reason, count in counts.items() if count]
    return ", ".join(parts) or "none"


def log_drop_summary() -> None:
    """Write one WARNING with the counts by reason if any span was dropped (called at shutdown); never raises.

    Several processors shutting down in a row write it once (again only if the counts changed in between).
    """
    global _summarised
    try:
        with _lock:
            counts = dict(_counts)
            changed = counts != _summarised
            _summarised = counts
            _take_delta()
        total = sum(counts.values())
        if total and changed:
            logger.warning("otel-agent-trace dropped %d span(s) in this process: %s", total, _format(counts))
    except Exception:
        logger.debug("log_drop_summary failed", exc_info=True)


def _observe(options: Any) -> Iterable[Any]:
    from opentelemetry.metrics import Observation

    return [Observation(count, {DROP_REASON: reason}) for reason, count in dropped_spans().items()]


def register_metric() -> None:
    """Create the ``agent_trace.spans.dropped`` observable counter once (through the global meter provider).

    Through the API's proxy meter, it reports to a ``MeterProvider`` installed before or after this call.
    """
    global _metric_registered
    with _lock:
        if _metric_registered:
            return
        _metric_registered = True
    try:
        from opentelemetry import metrics

        meter = metrics.get_meter("otel_agent_trace")
        meter.create_observable_counter(
            SPANS_DROPPED,
            callbacks=[_observe],
            unit="{span}",
            description="Spans otel-agent-trace did not deliver, by reason",
        )
    except Exception:
        logger.debug("could not register the %s metric", SPANS_DROPPED, exc_info=True)


def _reset_for_tests() -> None:
    """Zero every count (tests only)."""
    global _last_log, _summarised
    with _lock:
        _summarised = {}
        _counts.clear()
        _counts.update(dict.fromkeys(REASONS, 0))
        _logged.clear()
        _logged.update(_counts)
        _last_log = 0.0

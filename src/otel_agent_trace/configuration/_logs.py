"""The logs signal of ``init()``: a ``LoggerProvider`` on the span exporters' choice, and log correlation.

- `setup_logs` gives the ``gen_ai.client.inference.operation.details`` events of the content modes somewhere to go:
  with ``set_global``, an SDK ``LoggerProvider`` of the user's already global receives them (nothing is added to
  it, as for a global ``MeterProvider``); otherwise one is built on the span exporters' choice with the tracer
  provider's resource (redacted), made global if ``set_global`` and none is set yet. Its batch processors share
  ``init()``'s shutdown deadline, and it is flushed and shut down with the tracer provider, after our span
  processors (`LogsWithTraces`): the events of the last spans are emitted while the spans are flushed at exit.
- `enable_log_correlation` puts ``otelTraceID``, ``otelSpanID``, ``otelTraceSampled`` and ``otelServiceName`` on
  every Python ``logging`` record (the names ``opentelemetry-instrumentation-logging`` uses, so its formats work),
  through a record factory: O(1) per record, never raises. Switch: ``OTEL_AGENT_TRACE_LOG_CORRELATION``.

docs/content.md describes both.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from opentelemetry import _logs
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, LogRecordExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.trace import get_current_span

from otel_agent_trace._internal.redact import Redactor
from otel_agent_trace._internal.settings import ContentMode, Settings, parse_bool, parse_content_mode
from otel_agent_trace.environment_variables import OTEL_AGENT_TRACE_LOG_CORRELATION
from otel_agent_trace.exporters.logs import build_log_exporters
from otel_agent_trace.processor._batch import ShutdownClock
from otel_agent_trace.processor._content_events import use_logger_provider
from otel_agent_trace.processor._transform import SpanTransformer

logger = logging.getLogger("otel_agent_trace")

AnyLoggerProvider = _logs.LoggerProvider
"""Any logger provider (the API's type): what ``init(logger_provider=...)`` takes."""
OTEL_LOGS_EXPORTER = "OTEL_LOGS_EXPORTER"
"""The standard variable; ``none`` here means no log exporter of ours (as ``OTEL_METRICS_EXPORTER`` for metrics)."""


def content_mode_for(content_mode: str | ContentMode | None, capture: bool | None, env: Settings) -> ContentMode:
    """``init()``'s content mode: ``content_mode``, else ``capture``, else the environment's.

    ``capture=True`` keeps the environment's mode if it captures, else it is ``SPAN_ONLY``; False is ``NO_CONTENT``.

    Raises:
        ConfigurationError: ``content_mode`` is not a mode.
    """
    if content_mode is not None:
        return parse_content_mode("content_mode", content_mode, ContentMode.NO_CONTENT)
    if capture is None:
        return env.mode
    if not capture:
        return ContentMode.NO_CONTENT
    return env.mode if env.mode is not ContentMode.NO_CONTENT else ContentMode.SPAN_ONLY


class _BoundedBatchLogRecordProcessor(BatchLogRecordProcessor):
    """The SDK's batch log processor whose shutdown ends by ``init()``'s shared deadline (the SDK's waits 30 s)."""

    def __init__(self, exporter: LogRecordExporter, clock: ShutdownClock, export_timeout_millis: float) -> None:
        super().__init__(exporter, export_timeout_millis=export_timeout_millis)
        self._clock = clock

    def shutdown(self) -> None:
        """Shut down within what is left of the shared deadline."""
        remaining_ms = max(0, int((self._clock.deadline() - time.monotonic()) * 1000))
        batch = getattr(self, "_batch_processor", None)
        if batch is None:  # pragma: no cover - the SDK's layout changed: its own (30 s) bound applies
            super().shutdown()  # type: ignore[no-untyped-call]
            return
        batch.shutdown(timeout_millis=remaining_ms)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Flush within ``timeout_millis`` and the shutdown budget, like the span processors (the SDK's ignores it)."""
        limit_s = max(0.0, min(timeout_millis / 1000, self._clock.total_s))
        result: list[bool] = []
        worker = threading.Thread(
            target=lambda: result.append(super(_BoundedBatchLogRecordProcessor, self).force_flush(timeout_millis)),
            name="otel-agent-trace-logs-flush",
            daemon=True,
        )
        worker.start()
        worker.join(limit_s)
        return bool(result and result[0])


def setup_logs(
    names: Iterable[str],
    *,
    resource: Resource,
    settings: Settings,
    clock: ShutdownClock,
    endpoint: str | None = None,
    protocol: str | None = None,
    headers: Mapping[str, str] | None = None,
    store_dir: str | Path | None = None,
    timeout: float | None = None,
    redact: bool = True,
    set_global: bool = True,
    logger_provider: _logs.LoggerProvider | None = None,
) -> LogsWithTraces | None:
    """Set up the logs signal for the exporters ``names``: the span processor to add last to the tracer provider.

    ``logger_provider`` (the user's) receives the events as it is; ``OTEL_LOGS_EXPORTER=none`` builds no log
    exporter. ``None`` when there is no SDK logger provider to flush (no log exporter, none of the user's).

    Raises:
        ConfigurationError: an OTLP setting cannot be used (as for the span exporters).
    """
    current = _logs.get_logger_provider()
    provider: LoggerProvider | None = None
    if logger_provider is not None:
        use_logger_provider(logger_provider)
        return LogsWithTraces(logger_provider, owned=False) if isinstance(logger_provider, LoggerProvider) else None
    if set_global and isinstance(current, LoggerProvider) and current not in _built:
        provider = current
    else:
        if os.environ.get(OTEL_LOGS_EXPORTER, "").strip().lower() == "none":
            names = ()
        exporters = build_log_exporters(
            names, endpoint=endpoint, protocol=protocol, headers=headers, store_dir=store_dir, timeout=timeout
        )
        if exporters:
            provider = LoggerProvider(
                resource=_redacted_resource(resource, settings) if redact else resource, shutdown_on_exit=False
            )
            _built.add(provider)
            for exporter in exporters:
                provider.add_log_record_processor(
                    _BoundedBatchLogRecordProcessor(exporter, clock, (timeout or 5.0) * 1000.0)
                )
            if set_global and _is_unset(current):
                _logs.set_logger_provider(provider)
    use_logger_provider(provider)
    if provider is None and settings.mode.events:
        logger.warning(
            "content mode %s emits log events, but there is no log exporter (exporters=none or "
            "OTEL_LOGS_EXPORTER=none) and no SDK LoggerProvider: the events are not recorded",
            settings.mode.value,
        )
    return None if provider is None else LogsWithTraces(provider, owned=provider in _built)


class LogsWithTraces(SpanProcessor):
    """Flushes (and, if ours, shuts down) a logger provider with the tracer provider it is added to, last.

    The tracer provider shuts its processors down in order: ours export their last spans first, whose events reach
    the logger provider before it closes (its own exit hook would run before the tracer provider's and drop them).
    """

    def __init__(self, provider: LoggerProvider, *, owned: bool) -> None:
        self.provider = provider
        self.owned = owned

    def shutdown(self) -> None:
        """Flush the logs; shut the provider down if ``init()`` built it."""
        if self.owned:
            self.provider.shutdown()
        else:
            self.provider.force_flush()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Flush the logs too, so that ``TracerProvider.force_flush()`` also writes the events."""
        return self.provider.force_flush(timeout_millis)


_built: weakref.WeakSet[LoggerProvider] = weakref.WeakSet()
"""Logger providers ``init()`` built: a later ``init()`` builds its own (its store may be another directory)."""


def _is_unset(provider: _logs.LoggerProvider) -> bool:
    return type(provider).__name__ == "ProxyLoggerProvider"


def _redacted_resource(resource: Resource, settings: Settings) -> Resource:
    transformer = SpanTransformer(
        max_attribute_bytes=settings.max_attribute_bytes,
        max_span_bytes=settings.max_span_bytes,
        redactor=Redactor.from_settings(settings),
    )
    return transformer.resource(resource)


# -- log correlation -------------------------------------------------------------------------------------------------

_MARK = "_otel_agent_trace_correlation"
_service: list[str] = [""]


def log_correlation_enabled(explicit: bool | None) -> bool:
    """``explicit``, else ``OTEL_AGENT_TRACE_LOG_CORRELATION`` (default on).

    Raises:
        ConfigurationError: the variable is not a boolean.
    """
    if explicit is not None:
        return bool(explicit)
    return parse_bool(OTEL_AGENT_TRACE_LOG_CORRELATION, os.environ.get(OTEL_AGENT_TRACE_LOG_CORRELATION), True)


def enable_log_correlation(service_name: str) -> None:
    """Stamp trace context on every ``logging`` record from now on (once per process; later calls set the service)."""
    _service[0] = service_name
    current = logging.getLogRecordFactory()
    if getattr(current, _MARK, False):
        return
    logging.setLogRecordFactory(_correlating(current))


def disable_log_correlation() -> None:
    """Remove our record factory if it is the current one (tests; a factory set after ours is left alone)."""
    current = logging.getLogRecordFactory()
    previous = getattr(current, "_otel_agent_trace_previous", None)
    if getattr(current, _MARK, False) and previous is not None:
        logging.setLogRecordFactory(previous)


def _correlating(previous: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    last: list[tuple[Any, str, str, bool]] = [(None, "0", "0", False)]  # ids of the last span seen, formatted once

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            context = get_current_span().get_span_context()
            ids = last[0]
            if ids[0] is not context:
                if context.is_valid:
                    trace_id, span_id = format(context.trace_id, "032x"), format(context.span_id, "016x")
                    ids = (context, trace_id, span_id, context.trace_flags.sampled)
                else:
                    ids = (context, "0", "0", False)
                last[0] = ids
            _, record.otelTraceID, record.otelSpanID, record.otelTraceSampled = ids
            record.otelServiceName = _service[0]
        except Exception:  # noqa: BLE001 - correlation is best effort; the record is the application's
            pass
        return record

    setattr(factory, _MARK, True)
    factory._otel_agent_trace_previous = previous  # type: ignore[attr-defined]
    return factory

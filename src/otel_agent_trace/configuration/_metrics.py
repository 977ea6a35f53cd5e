"""The metrics half of ``init()``: a MeterProvider on the same exporter choice as the traces, and the recorder.

- Exporters: the trace exporter names (``file`` writes OTLP-JSON lines beside the traces, ``otlp``/``otlp_grpc``/
  ``otlp_http`` use the same endpoint, headers and timeout, ``console``), unless ``OTEL_METRICS_EXPORTER`` names
  others; ``OTEL_METRICS_EXPORTER=none`` or ``init(metrics=False)`` records no metrics at all.
- Provider: ``init(meter_provider=...)`` if given (recorded into, nothing added to it), else the global one if it
  is already an SDK ``MeterProvider``, else ours (made global with ``set_global`` when no global one is set).
- Shutdown: ours is flushed and shut down by the tracer provider's ``shutdown()`` (and at exit), within the shared
  shutdown budget (at most a quarter of it, so the traces keep the rest).

See docs/metrics.md.
"""

from __future__ import annotations

import atexit
import logging
import os
import weakref
from collections.abc import Iterable, Mapping
from pathlib import Path

from opentelemetry import metrics as metrics_api
from opentelemetry.metrics import MeterProvider
from opentelemetry.sdk.metrics import MeterProvider as SdkMeterProvider
from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, MetricExporter, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource

from otel_agent_trace.exporters._otlp import build_signal_exporters
from otel_agent_trace.exporters.file_store_metrics import FileMetricExporter
from otel_agent_trace.processor._batch import ShutdownClock
from otel_agent_trace.processor._metrics import GenAIMetricsSpanProcessor

__all__ = ["MeterProvider", "build_metric_exporters", "metric_exporter_names", "setup_metrics"]

logger = logging.getLogger("otel_agent_trace")

OTEL_METRICS_EXPORTER = "OTEL_METRICS_EXPORTER"
"""The standard variable: ``none`` turns our metrics off; other names pick the metric exporters."""
_KNOWN = ("file", "otlp", "otlp_grpc", "otlp_http", "console")


def metric_exporter_names(trace_names: Iterable[str]) -> list[str]:
    """The metric exporter names: ``OTEL_METRICS_EXPORTER`` if set, else the trace exporter names.

    ``none`` gives ``[]``; names we do not build (``prometheus``...) are warned about and left out.
    """
    raw = os.environ.get(OTEL_METRICS_EXPORTER)
    if raw is None or not raw.strip():
        return list(trace_names)
    names = []
    for name in (n.strip().lower() for n in raw.split(",")):
        if name in _KNOWN:
            names.append(name)
        elif name and name != "none":
            logger.warning(
                "%s=%s: %r is not a metric exporter otel-agent-trace builds; ignored", OTEL_METRICS_EXPORTER, raw, name
            )
    return names


def build_metric_exporters(
    names: Iterable[str],
    *,
    endpoint: str | None = None,
    protocol: str | None = None,
    headers: Mapping[str, str] | None = None,
    store_dir: str | Path | None = None,
    timeout: float | None = None,
) -> list[MetricExporter]:
    """The metric exporters named (same arguments as the span exporters' `build_exporters`)."""
    return build_signal_exporters(
        "metrics",
        names,
        file=FileMetricExporter,
        console=ConsoleMetricExporter,
        endpoint=endpoint,
        protocol=protocol,
        headers=headers,
        store_dir=store_dir,
        timeout=timeout,
    )


_built: weakref.WeakSet[SdkMeterProvider] = weakref.WeakSet()
"""Meter providers ``init()`` built: a later ``init()`` does not record into an earlier one's (its store may differ)."""


def _global_sdk_provider() -> SdkMeterProvider | None:
    """The global meter provider if it is an SDK one that ``init()`` did not build."""
    current = metrics_api.get_meter_provider()
    return current if isinstance(current, SdkMeterProvider) and current not in _built else None


def _global_is_unset() -> bool:
    return type(metrics_api.get_meter_provider()).__name__ == "_ProxyMeterProvider"


def setup_metrics(
    trace_names: Iterable[str],
    *,
    enabled: bool | None,
    meter_provider: MeterProvider | None,
    resource: Resource,
    set_global: bool,
    endpoint: str | None,
    protocol: str | None,
    headers: Mapping[str, str] | None,
    store_dir: str | Path | None,
    timeout: float | None,
    shutdown_millis: float,
    clock: ShutdownClock,
) -> GenAIMetricsSpanProcessor | None:
    """The span processor that records the GenAI metrics into the chosen provider, or None when metrics are off.

    Raises:
        ConfigurationError: an OTLP protocol that cannot be used.
    """
    if enabled is False:
        return None
    raw = os.environ.get(OTEL_METRICS_EXPORTER, "")
    if [n.strip().lower() for n in raw.split(",") if n.strip()] == ["none"]:
        return None
    if meter_provider is not None:
        return GenAIMetricsSpanProcessor(meter_provider)
    existing = _global_sdk_provider() if set_global else None
    if existing is not None:
        return GenAIMetricsSpanProcessor(existing)
    exporters = build_metric_exporters(
        metric_exporter_names(trace_names),
        endpoint=endpoint,
        protocol=protocol,
        headers=headers,
        store_dir=store_dir,
        timeout=timeout,
    )
    if not exporters:
        return None
    readers = [PeriodicExportingMetricReader(exporter) for exporter in exporters]
    ours = SdkMeterProvider(metric_readers=readers, resource=resource, shutdown_on_exit=False)
    _built.add(ours)
    if set_global and _global_is_unset():
        metrics_api.set_meter_provider(ours)
    processor = GenAIMetricsSpanProcessor(ours, owned=ours, shutdown_millis=shutdown_millis / 4, clock=clock)
    atexit.register(processor.shutdown)
    return processor

"""Building span exporters from names: ``file``, ``otlp``, ``otlp_grpc``, ``otlp_http``, ``console``, ``none``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SpanExporter

from otel_agent_trace._internal.settings import ConfigurationError

from ._otlp import EXPORTER_NAMES, build_signal_exporters
from .file_store import FileSpanExporter

__all__ = ["EXPORTER_NAMES", "build_exporters", "parse_exporter_names"]


def parse_exporter_names(value: str | Iterable[str] | None, default: str = "file") -> list[str]:
    """Normalise a comma-separated string or a list of exporter names; raise on an unknown one."""
    if value is None:
        value = default
    names = [n.strip().lower() for n in (value.split(",") if isinstance(value, str) else value) if n.strip()]
    for name in names:
        if name not in EXPORTER_NAMES:
            raise ConfigurationError(f"unknown exporter {name!r}; choose from {', '.join(EXPORTER_NAMES)}")
    return [n for n in names if n != "none"]


def build_exporters(
    names: Iterable[str],
    *,
    endpoint: str | None = None,
    protocol: str | None = None,
    headers: Mapping[str, str] | None = None,
    store_dir: str | Path | None = None,
    timeout: float | None = None,
) -> list[SpanExporter]:
    """Create the exporters named. OTLP ones honour the standard ``OTEL_EXPORTER_OTLP_*`` variables.

    ``endpoint`` is the collector's base address (``http://host:4318`` for HTTP, ``http://host:4317`` for gRPC);
    without it the OTLP exporters read ``OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT`` themselves.
    """
    return build_signal_exporters(
        "traces",
        names,
        file=FileSpanExporter,
        console=ConsoleSpanExporter,
        endpoint=endpoint,
        protocol=protocol,
        headers=headers,
        store_dir=store_dir,
        timeout=timeout,
        strict=True,
    )

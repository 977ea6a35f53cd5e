"""Building span exporters from names: ``file``, ``otlp``, ``otlp_grpc``, ``otlp_http``, ``console``, ``none``."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SpanExporter

from otel_agent_trace._internal.settings import ConfigurationError

from .file_store import FileSpanExporter

EXPORTER_NAMES = ("file", "otlp", "otlp_grpc", "otlp_http", "console", "none")
_PROTOCOLS = {"grpc": "otlp_grpc", "http/protobuf": "otlp_http", "http": "otlp_http"}


def parse_exporter_names(value: str | Iterable[str] | None, default: str = "file") -> list[str]:
    """Normalise a comma-separated string or a list of exporter names; raise on an unknown one."""
    if value is None:
        value = default
    names = [n.strip().lower() for n in (value.split(",") if isinstance(value, str) else value) if n.strip()]
    for name in names:
        if name not in EXPORTER_NAMES:
            raise ConfigurationError(f"unknown exporter {name!r}; choose from {', '.join(EXPORTER_NAMES)}")
    return [n for n in names if n != "none"]


def _otlp_protocol(protocol: str | None, signal: str = "TRACES") -> str:
    """``otlp_grpc`` or ``otlp_http``: ``protocol``, else the signal's or the general OTLP protocol variable.

    ``OTEL_EXPORTER_OTLP_<signal>_PROTOCOL``, then ``OTEL_EXPORTER_OTLP_PROTOCOL``, else HTTP; an unsupported value
    is a `ConfigurationError`.
    """
    raw = (
        (
            protocol
            or os.environ.get(f"OTEL_EXPORTER_OTLP_{signal}_PROTOCOL")
            or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
            or "http/protobuf"
        )
        .strip()
        .lower()
    )
    if raw not in _PROTOCOLS:
        raise ConfigurationError(f"OTLP protocol {raw!r} is not supported; use grpc or http/protobuf")
    return _PROTOCOLS[raw]


def _http_traces_endpoint(endpoint: str) -> str:
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith("/v1/traces") else f"{endpoint}/v1/traces"


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
    exporters: list[SpanExporter] = []
    for name in names:
        if name == "file":
            exporters.append(FileSpanExporter(store_dir))
        elif name == "console":
            exporters.append(ConsoleSpanExporter())
        elif name in ("otlp", "otlp_grpc", "otlp_http"):
            kind = _otlp_protocol(protocol) if name == "otlp" else name
            exporters.append(_otlp(kind, endpoint, headers, timeout))
        elif name != "none":
            raise ConfigurationError(f"unknown exporter {name!r}; choose from {', '.join(EXPORTER_NAMES)}")
    return exporters


def _otlp(kind: str, endpoint: str | None, headers: Mapping[str, str] | None, timeout: float | None) -> SpanExporter:
    if endpoint is not None and not endpoint.startswith(("http://", "https://")):
        raise ConfigurationError(f"OTLP endpoint {endpoint!r} must start with http:// or https://")
    if kind == "otlp_grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter

        return GrpcExporter(
            endpoint=endpoint,
            insecure=True if endpoint and endpoint.startswith("http://") else None,
            headers=dict(headers) if headers else None,
            timeout=timeout,
        )
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter

    return HttpExporter(
        endpoint=_http_traces_endpoint(endpoint) if endpoint else None,
        headers=dict(headers) if headers else None,
        timeout=timeout,
    )

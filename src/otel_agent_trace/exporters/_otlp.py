"""One builder for the exporters of the three signals (spans, metrics, log records): file, console, OTLP.

The OTLP exporters are imported lazily (an HTTP exporter never imports gRPC). Each signal differs only by its
OTLP exporter module and class, the path added to an HTTP endpoint, and the signal whose
``OTEL_EXPORTER_OTLP_<signal>_PROTOCOL`` variable picks the protocol of ``otlp``.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from otel_agent_trace._internal.settings import ConfigurationError

EXPORTER_NAMES = ("file", "otlp", "otlp_grpc", "otlp_http", "console", "none")
OTLP_NAMES = ("otlp", "otlp_grpc", "otlp_http")
_PROTOCOLS = {"grpc": "otlp_grpc", "http/protobuf": "otlp_http", "http": "otlp_http"}

_E = TypeVar("_E")


@dataclass(frozen=True)
class _Signal:
    """What tells one signal's OTLP exporter from another's."""

    module: str
    """The module under ``opentelemetry.exporter.otlp.proto.{grpc,http}``."""
    cls: str
    """The exporter class in it."""
    path: str
    """Added to an HTTP endpoint that does not end with it."""
    protocol_signal: str
    """``OTEL_EXPORTER_OTLP_<protocol_signal>_PROTOCOL`` picks the protocol of ``otlp``."""
    replaces: str = ""
    """A suffix of the HTTP endpoint dropped before `path` is added."""


_SIGNALS = {
    "traces": _Signal("trace_exporter", "OTLPSpanExporter", "/v1/traces", "TRACES"),
    "metrics": _Signal("metric_exporter", "OTLPMetricExporter", "/v1/metrics", "METRICS"),
    # The logs' own protocol variable, else the spans' one (they are the spans' content events); a traces endpoint
    # becomes the logs one.
    "logs": _Signal("_log_exporter", "OTLPLogExporter", "/v1/logs", "LOGS", replaces="/v1/traces"),
}
SignalName = Literal["traces", "metrics", "logs"]


def _otlp_protocol(protocol: str | None, signal: str = "TRACES") -> str:
    """``otlp_grpc`` or ``otlp_http``: ``protocol``, else the signal's or the general OTLP protocol variable.

    ``OTEL_EXPORTER_OTLP_<signal>_PROTOCOL`` (for ``LOGS``, then the ``TRACES`` one: the log records are the spans'
    content events, sent beside them), then ``OTEL_EXPORTER_OTLP_PROTOCOL``, else HTTP; an unsupported value
    is a `ConfigurationError`.
    """
    raw = (
        (
            protocol
            or os.environ.get(f"OTEL_EXPORTER_OTLP_{signal}_PROTOCOL")
            or (os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") if signal == "LOGS" else None)
            or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
            or "http/protobuf"
        )
        .strip()
        .lower()
    )
    if raw not in _PROTOCOLS:
        raise ConfigurationError(f"OTLP protocol {raw!r} is not supported; use grpc or http/protobuf")
    return _PROTOCOLS[raw]


def _http_endpoint(endpoint: str, signal: _Signal) -> str:
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith(signal.path) else f"{endpoint.removesuffix(signal.replaces)}{signal.path}"


def _otlp(
    signal: _Signal, kind: str, endpoint: str | None, headers: Mapping[str, str] | None, timeout: float | None
) -> Any:
    """The signal's OTLP exporter for ``kind`` (``otlp_grpc`` or ``otlp_http``)."""
    transport = "grpc" if kind == "otlp_grpc" else "http"
    module = importlib.import_module(f"opentelemetry.exporter.otlp.proto.{transport}.{signal.module}")
    exporter_class = getattr(module, signal.cls)
    if kind == "otlp_grpc":
        return exporter_class(
            endpoint=endpoint,
            insecure=True if endpoint and endpoint.startswith("http://") else None,
            headers=dict(headers) if headers else None,
            timeout=timeout,
        )
    return exporter_class(
        endpoint=_http_endpoint(endpoint, signal) if endpoint else None,
        headers=dict(headers) if headers else None,
        timeout=timeout,
    )


def build_signal_exporters(
    signal: SignalName,
    names: Iterable[str],
    *,
    file: Callable[[str | Path | None], _E],
    console: Callable[[], _E],
    endpoint: str | None,
    protocol: str | None,
    headers: Mapping[str, str] | None,
    store_dir: str | Path | None,
    timeout: float | None,
    strict: bool = False,
) -> list[_E]:
    """The exporters named for one signal: ``file(store_dir)``, ``console()``, the signal's OTLP exporters.

    Args:
        signal: Which signal's OTLP exporter ``otlp``/``otlp_grpc``/``otlp_http`` build.
        names: Exporter names (``none`` builds nothing).
        file: Builds the file store exporter from ``store_dir``.
        console: Builds the console exporter.
        endpoint: The collector's base address, else the OTLP exporters read ``OTEL_EXPORTER_OTLP_*`` themselves.
        protocol: The protocol of ``otlp``, else the signal's or the general OTLP protocol variable.
        headers: Headers of the OTLP requests.
        store_dir: The file store's directory.
        timeout: The OTLP exporters' timeout in seconds.
        strict: Raise on an unknown name and on an endpoint without ``http://``/``https://`` (the span exporters);
            otherwise unknown names are skipped and the endpoint is passed on as it is.

    Raises:
        ConfigurationError: an unsupported OTLP protocol; with ``strict``, an unknown name or a bad endpoint.
    """
    spec = _SIGNALS[signal]
    exporters: list[_E] = []
    for name in names:
        if name == "file":
            exporters.append(file(store_dir))
        elif name == "console":
            exporters.append(console())
        elif name in OTLP_NAMES:
            kind = _otlp_protocol(protocol, spec.protocol_signal) if name == "otlp" else name
            if strict and endpoint is not None and not endpoint.startswith(("http://", "https://")):
                raise ConfigurationError(f"OTLP endpoint {endpoint!r} must start with http:// or https://")
            exporter: _E = _otlp(spec, kind, endpoint, headers, timeout)
            exporters.append(exporter)
        elif strict and name != "none":
            raise ConfigurationError(f"unknown exporter {name!r}; choose from {', '.join(EXPORTER_NAMES)}")
    return exporters

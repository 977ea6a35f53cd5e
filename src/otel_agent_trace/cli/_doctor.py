"""``otel-agent-trace doctor``: the configuration in force, exporter reachability, store health and drop counts.

Exit code 0 when healthy, 1 when something needs attention (an invalid setting, an unreachable collector, a store
directory that cannot be written).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from otel_agent_trace import environment_variables as ev
from otel_agent_trace._internal.drops import dropped_spans
from otel_agent_trace._internal.settings import (
    DEFAULT_MAX_ATTRIBUTE_BYTES,
    DEFAULT_MAX_SPAN_BYTES,
    ConfigurationError,
    ContentMode,
    parse_bool,
    parse_content_mode,
    parse_positive_int,
)
from otel_agent_trace.exporters import check_store_dir, parse_exporter_names
from otel_agent_trace.exporters.file_store import DEFAULT_STORE_DIR
from otel_agent_trace.model import LoadReport, TraceFormatError, load_spans
from otel_agent_trace.processor._batch import DEFAULT_EXPORT_TIMEOUT_MILLIS, DEFAULT_SHUTDOWN_TIMEOUT_MILLIS

_OTLP_DEFAULTS = {"otlp_grpc": "http://localhost:4317", "otlp_http": "http://localhost:4318"}


@dataclass
class _Doctor:
    out: TextIO
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def setting(
        self, name: str, explicit: Any, env: str | None, default: Any, parse: Callable[[Any], Any] = str
    ) -> Any:
        """Print one setting with where it came from; an invalid value is a problem (the default is used)."""
        if explicit is not None:
            raw, source = explicit, "argument"
        elif env and os.environ.get(env) not in (None, ""):
            raw, source = os.environ[env], f"env {env}"
        else:
            raw, source = default, "default"
        try:
            value = parse(raw) if raw is not None else None
        except ConfigurationError as exc:
            self.problems.append(str(exc))
            value, source = default, f"{source}: INVALID, using the default"
        self.out.write(f"  {name:22} {value!s:40} [{source}]\n")
        return value


def add_parser(subparsers: Any) -> None:
    """Register the ``doctor`` subcommand."""
    parser = subparsers.add_parser(
        "doctor",
        help="check the configuration, the collector, the local store and dropped spans",
        description="Print the configuration in force (and where each value comes from), whether the OTLP "
        "endpoint accepts TCP connections, the health of the local store, and drop counts. Exit 1 on problems.",
    )
    parser.add_argument("--exporter", default=None, help="exporters to check, as for init() (default: as configured)")
    parser.add_argument("--endpoint", default=None, help="OTLP collector base address")
    parser.add_argument("--protocol", default=None, help="grpc or http/protobuf, for the otlp exporter")
    parser.add_argument("--store-dir", default=None, help="local store directory")
    parser.add_argument("--connect-timeout", type=float, default=2.0, help="seconds for the TCP check (default 2)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run ``doctor``; 0 when healthy, 1 when a problem was found."""
    out = out or sys.stdout
    doc = _Doctor(out)
    out.write("otel-agent-trace doctor\n\nConfiguration (value [where it comes from]):\n")
    names = doc.setting(
        "exporters", args.exporter, ev.OTEL_AGENT_TRACE_EXPORTER, "file", lambda v: ",".join(parse_exporter_names(v))
    )
    names = str(names).split(",") if names else []
    store = doc.setting("store_dir", args.store_dir, ev.OTEL_AGENT_TRACE_STORE_DIR, DEFAULT_STORE_DIR, Path)
    endpoints = _otlp_settings(doc, args, names)
    for name, env, default in (
        ("max_queue_size", ev.OTEL_AGENT_TRACE_MAX_QUEUE_SIZE, 2048),
        ("shutdown_timeout_ms", ev.OTEL_AGENT_TRACE_SHUTDOWN_TIMEOUT, DEFAULT_SHUTDOWN_TIMEOUT_MILLIS),
        ("max_attribute_bytes", ev.OTEL_AGENT_TRACE_MAX_ATTRIBUTE_BYTES, DEFAULT_MAX_ATTRIBUTE_BYTES),
        ("max_span_bytes", ev.OTEL_AGENT_TRACE_MAX_SPAN_BYTES, DEFAULT_MAX_SPAN_BYTES),
    ):
        doc.setting(name, None, env, default, _positive_int(env, default))
    _export_timeout(doc)
    capture_env = ev.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT
    doc.setting(
        "content_mode",
        None,
        capture_env,
        "NO_CONTENT",
        lambda v: parse_content_mode(capture_env, str(v), ContentMode.NO_CONTENT).value,
    )
    correlation_env = ev.OTEL_AGENT_TRACE_LOG_CORRELATION
    doc.setting("log_correlation", None, correlation_env, "true", lambda v: parse_bool(correlation_env, str(v), True))
    doc.setting("instrumentors", None, ev.OTEL_AGENT_TRACE_INSTRUMENTORS, "all")
    doc.setting("environment", None, ev.OTEL_AGENT_TRACE_ENVIRONMENT, None)

    out.write("\nExporter endpoints:\n")
    if not endpoints:
        out.write("  (no OTLP exporter configured)\n")
    for name, url in endpoints:
        _check_endpoint(doc, name, url, args.connect_timeout)
    out.write("\nLocal store:\n")
    if "file" in names and isinstance(store, Path):
        _check_store(doc, store)
    else:
        out.write("  (the file exporter is not configured)\n")
    out.write("\nDropped spans (this process):\n")
    counts = {k: v for k, v in dropped_spans().items() if v}
    out.write(f"  {counts or 'none'} (an application reads its own with otel_agent_trace.dropped_spans())\n")
    for note in doc.notes:
        out.write(f"\nnote: {note}\n")
    if doc.problems:
        out.write(f"\n{len(doc.problems)} problem(s):\n" + "".join(f"  - {p}\n" for p in doc.problems))
        return 1
    out.write("\nhealthy\n")
    return 0


def _export_timeout(doc: _Doctor) -> None:
    """As ``init()`` resolves it: ours, else the standard variable (seconds, read by the exporter), else 5000 ms."""
    ours = ev.OTEL_AGENT_TRACE_EXPORT_TIMEOUT
    standard = next(
        (f"OTEL_EXPORTER_OTLP_{k}TIMEOUT" for k in ("TRACES_", "") if os.environ.get(f"OTEL_EXPORTER_OTLP_{k}TIMEOUT")),
        None,
    )
    if not os.environ.get(ours) and standard:
        doc.out.write(
            f"  {'export_timeout':22} {os.environ[standard] + ' s':40} [env {standard}, read by the exporter]\n"
        )
        return
    doc.setting(
        "export_timeout_ms",
        None,
        ours,
        DEFAULT_EXPORT_TIMEOUT_MILLIS,
        _positive_int(ours, DEFAULT_EXPORT_TIMEOUT_MILLIS),
    )


def _positive_int(env: str, default: int) -> Callable[[Any], int]:
    return lambda raw: parse_positive_int(env, raw, default)


def _otlp_settings(doc: _Doctor, args: argparse.Namespace, names: list[str]) -> list[tuple[str, str]]:
    kinds = []
    for name in names:
        if name == "otlp":
            raw = (
                args.protocol
                or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
                or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
                or "http/protobuf"
            )
            kinds.append("otlp_grpc" if raw.strip().lower() == "grpc" else "otlp_http")
        elif name in _OTLP_DEFAULTS:
            kinds.append(name)
    endpoints = []
    for kind in dict.fromkeys(kinds):
        env = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" if os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") else None
        env = env or "OTEL_EXPORTER_OTLP_ENDPOINT"
        url = doc.setting(f"{kind} endpoint", args.endpoint, env, _OTLP_DEFAULTS[kind])
        endpoints.append((kind, str(url)))
    return endpoints


def _check_endpoint(doc: _Doctor, name: str, url: str, timeout: float) -> None:
    parts = urlsplit(url if "://" in url else f"http://{url}")
    host = parts.hostname or "localhost"
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        doc.problems.append(f"{name}: endpoint {url!r} has an invalid port")
        return
    started = time.monotonic()
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        doc.out.write(f"  {name} {host}:{port}: UNREACHABLE ({reason})\n")
        doc.problems.append(f"{name}: cannot connect to {host}:{port} ({reason}); spans would be dropped")
        return
    doc.out.write(f"  {name} {host}:{port}: reachable (TCP connect {1000 * (time.monotonic() - started):.0f} ms)\n")


def _check_store(doc: _Doctor, store: Path) -> None:
    if not store.exists():
        parent = next((p for p in store.absolute().parents if p.exists()), Path("/"))
        ok = os.access(parent, os.W_OK)
        doc.out.write(f"  {store}: does not exist yet (created on first write; {parent} writable: {ok})\n")
        if not ok:
            doc.problems.append(f"store {store} cannot be created: {parent} is not writable")
        return
    problem = check_store_dir(store)
    doc.out.write(f"  {store}: exists, {'writable' if problem is None else 'NOT WRITABLE'}\n")
    if problem is not None:
        doc.problems.append(f"store: {problem}; init() would write to a temporary directory instead")
        if not store.is_dir():
            return
    report = LoadReport()
    with contextlib.suppress(TraceFormatError):  # raised when every line is bad: the report lists them
        load_spans(store, report=report)
    doc.out.write(f"  files: {report.files}, good lines: {report.good_lines}, bad lines: {len(report.bad_lines)}\n")
    for bad in report.bad_lines[:20]:
        doc.out.write(f"    {bad.file}:{bad.line}: {bad.reason[:160]}\n")
    if len(report.bad_lines) > 20:
        doc.out.write(f"    ... and {len(report.bad_lines) - 20} more\n")
    if report.bad_lines:
        doc.notes.append(
            f"{report.summary()}: torn or corrupt lines (a crash mid-write, a full disk) are skipped by show/rca;"
            " every other line is read"
        )

"""Pytest fixtures that run a real OTLP collector (``rotel-agent``) on loopback.

The pipeline under test is::

    OTel SDK --OTLP gRPC/HTTP--> rotel-agent --OTLP http/protobuf--> OtlpSink (http.server in this process)

``rotel_collector`` yields a :class:`RotelCollector` with ``grpc_endpoint``, ``http_endpoint`` and
``wait_for_spans(n, timeout)``. ``otlp_sink`` yields a bare :class:`OtlpSink` for tests that export to it directly.
Only a missing ``rotel-agent`` binary skips; any other problem fails the test, with the collector log attached.
"""

from __future__ import annotations

import contextlib
import gzip
import http.server
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span

__all__ = [
    "OtlpSink",
    "ReceivedSpan",
    "RotelCollector",
    "any_value_to_python",
    "attributes_to_dict",
    "find_rotel_binary",
    "free_port",
    "otlp_sink",
    "rotel_collector",
    "start_rotel_collector",
]

ROTEL_BIN_ENV = "ROTEL_AGENT_BIN"
"""Environment variable that overrides where the ``rotel-agent`` binary is looked up."""

_STARTUP_TIMEOUT = 10.0
_START_ATTEMPTS = 3  # free_port() can race with other processes; retry with new ports.


# --------------------------------------------------------------------------------------------------------------------
# Decoding helpers
# --------------------------------------------------------------------------------------------------------------------


def any_value_to_python(value: AnyValue) -> Any:
    """Convert an OTLP ``AnyValue`` to the Python value the SDK accepted (arrays become tuples)."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return tuple(any_value_to_python(item) for item in value.array_value.values)
    if kind == "kvlist_value":
        return attributes_to_dict(value.kvlist_value.values)
    return getattr(value, kind)


def attributes_to_dict(attributes: Sequence[KeyValue]) -> dict[str, Any]:
    """Convert repeated OTLP ``KeyValue`` attributes to a plain dict."""
    return {kv.key: any_value_to_python(kv.value) for kv in attributes}


@dataclass(frozen=True)
class ReceivedSpan:
    """One protobuf span as the sink received it, with the resource and scope it was sent under."""

    span: Span
    resource: Resource
    scope: InstrumentationScope

    @property
    def name(self) -> str:
        return self.span.name

    @property
    def attributes(self) -> dict[str, Any]:
        return attributes_to_dict(self.span.attributes)

    @property
    def resource_attributes(self) -> dict[str, Any]:
        return attributes_to_dict(self.resource.attributes)


# --------------------------------------------------------------------------------------------------------------------
# Sink: an OTLP/HTTP traces endpoint in this process
# --------------------------------------------------------------------------------------------------------------------


class _OtlpSinkHandler(http.server.BaseHTTPRequestHandler):
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"  # keep-alive, as OTLP exporters expect
    server: _OtlpSinkServer

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        if path not in ("/v1/traces", "/v1/metrics", "/v1/logs"):
            self._reply(404, b"", "text/plain")
            return
        try:
            body = self._decoded_body()
            if path != "/v1/traces":  # accept and drop other signals
                self._reply(200, b"", "application/x-protobuf")
                return
            content_type = self.headers.get("Content-Type", "application/x-protobuf").split(";", 1)[0].strip()
            request = ExportTraceServiceRequest()
            if content_type == "application/json":
                json_format.Parse(body, request)
            else:
                request.ParseFromString(body)
        except Exception as exc:
            self.server.sink.record_error(f"{type(exc).__name__}: {exc} (headers: {dict(self.headers)})")
            self._reply(400, str(exc).encode(), "text/plain")
            return
        self.server.sink.add_request(request, dict(self.headers))
        self._reply(200, ExportTraceServiceResponse().SerializeToString(), "application/x-protobuf")

    def _decoded_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = self._read_chunked()
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        encoding = self.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding == "gzip":
            return gzip.decompress(body)
        if encoding == "deflate":
            return zlib.decompress(body)
        if encoding in ("identity", ""):
            return body
        raise ValueError(f"unsupported Content-Encoding {encoding!r}")

    def _read_chunked(self) -> bytes:
        chunks = []
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip(), 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()  # CRLF after each chunk

    def _reply(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        self.server.sink.record_access(format % args)


class _OtlpSinkServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    sink: OtlpSink


class OtlpSink:
    """Thread-safe OTLP/HTTP traces receiver on ``127.0.0.1`` (protobuf or JSON, gzip/deflate/identity)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._spans: list[ReceivedSpan] = []
        self._requests: list[ExportTraceServiceRequest] = []
        self._headers: list[dict[str, str]] = []
        self._errors: list[str] = []
        self._access_log: list[str] = []
        self._server = _OtlpSinkServer(("127.0.0.1", 0), _OtlpSinkHandler)
        self._server.sink = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="otlp-sink", daemon=True
        )
        self.port: int = self._server.server_address[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        """Base URL; traces are accepted at ``{endpoint}/v1/traces``."""
        self.extra_failure_info: Any = None
        """Optional zero-argument callable whose text is appended to ``wait_for_spans`` failures."""

    def start(self) -> OtlpSink:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> OtlpSink:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def add_request(self, request: ExportTraceServiceRequest, headers: dict[str, str]) -> None:
        received = [
            ReceivedSpan(span=span, resource=resource_spans.resource, scope=scope_spans.scope)
            for resource_spans in request.resource_spans
            for scope_spans in resource_spans.scope_spans
            for span in scope_spans.spans
        ]
        with self._cond:
            self._requests.append(request)
            self._headers.append(headers)
            self._spans.extend(received)
            self._cond.notify_all()

    def record_error(self, message: str) -> None:
        with self._cond:
            self._errors.append(message)
            self._cond.notify_all()

    def record_access(self, line: str) -> None:
        with self._cond:
            self._access_log.append(line)

    @property
    def spans(self) -> list[ReceivedSpan]:
        with self._cond:
            return list(self._spans)

    @property
    def requests(self) -> list[ExportTraceServiceRequest]:
        with self._cond:
            return list(self._requests)

    @property
    def request_headers(self) -> list[dict[str, str]]:
        with self._cond:
            return list(self._headers)

    @property
    def errors(self) -> list[str]:
        with self._cond:
            return list(self._errors)

    def clear(self) -> None:
        with self._cond:
            self._spans.clear()
            self._requests.clear()
            self._headers.clear()
            self._errors.clear()
            self._access_log.clear()

    def wait_for_spans(self, n: int, timeout: float = 10.0) -> list[ReceivedSpan]:
        """Block until at least ``n`` spans arrived; return all received so far, else fail with diagnostics."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._spans) < n and not self._errors:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            spans, errors, access = list(self._spans), list(self._errors), list(self._access_log)
        if len(spans) >= n and not errors:
            return spans
        details = [
            f"expected >= {n} spans at the OTLP sink within {timeout}s, got {len(spans)}: {[s.name for s in spans]}",
            f"sink decode errors: {errors}" if errors else "sink decode errors: none",
            "sink access log:\n  " + ("\n  ".join(access[-20:]) or "(no requests)"),
        ]
        if callable(self.extra_failure_info):
            details.append(self.extra_failure_info())
        pytest.fail("\n".join(details), pytrace=False)


# --------------------------------------------------------------------------------------------------------------------
# rotel-agent process
# --------------------------------------------------------------------------------------------------------------------


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago (nothing listens on it after this returns)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_rotel_binary() -> Path | None:
    """Locate ``rotel-agent``: ``$ROTEL_AGENT_BIN``, then the ``rotel`` package, then ``PATH``."""
    override = os.environ.get(ROTEL_BIN_ENV)
    if override:
        return Path(override)
    spec = importlib.util.find_spec("rotel")
    if spec is not None and spec.origin is not None:
        candidate = Path(spec.origin).parent / "rotel-agent"
        if candidate.exists():
            return candidate
    found = shutil.which("rotel-agent")
    return Path(found) if found else None


def _libpython_env() -> dict[str, str]:
    """``LD_LIBRARY_PATH`` with this interpreter's ``LIBDIR`` first.

    The ``rotel`` wheel's ``rotel-agent`` links ``libpython3.X.so.1.0`` of the Python it was built for (it embeds
    Python for its processors). A Debian or distro Python has that library on the loader's default path; an
    interpreter built under a prefix (pyenv's ``--enable-shared`` builds, e.g. 3.10.13) finds its own through an
    RPATH the ``rotel-agent`` binary does not have, so without this the binary exits 127 before it starts.
    """
    libdir = sysconfig.get_config_var("LIBDIR")
    if not libdir or not sysconfig.get_config_var("Py_ENABLE_SHARED"):
        return {}
    current = os.environ.get("LD_LIBRARY_PATH")
    return {"LD_LIBRARY_PATH": f"{libdir}{os.pathsep}{current}" if current else str(libdir)}


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class RotelCollector:
    """A running ``rotel-agent`` whose OTLP receivers forward traces to an :class:`OtlpSink`."""

    def __init__(self, binary: Path, sink: OtlpSink, workdir: Path, extra_args: Sequence[str] = ()) -> None:
        self.binary = binary
        self.sink = sink
        self.workdir = workdir
        self.extra_args = tuple(extra_args)
        self.log_path = workdir / "rotel-agent.log"
        self.grpc_port = 0
        self.http_port = 0
        self.command: list[str] = []
        self._process: subprocess.Popen[bytes] | None = None
        sink.extra_failure_info = self.diagnostics

    @property
    def grpc_endpoint(self) -> str:
        """OTLP/gRPC receiver, e.g. ``http://127.0.0.1:PORT`` (the ``http`` scheme makes the SDK use plaintext)."""
        return f"http://127.0.0.1:{self.grpc_port}"

    @property
    def http_endpoint(self) -> str:
        """OTLP/HTTP receiver base URL, e.g. ``http://127.0.0.1:PORT``; traces go to ``/v1/traces``."""
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def http_traces_endpoint(self) -> str:
        return f"{self.http_endpoint}/v1/traces"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def wait_for_spans(self, n: int, timeout: float = 10.0) -> list[ReceivedSpan]:
        """Block until the sink holds at least ``n`` spans; fail with the rotel log attached otherwise."""
        return self.sink.wait_for_spans(n, timeout)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def diagnostics(self) -> str:
        state = "running" if self.running else f"exited with {self._process.returncode if self._process else None}"
        return f"rotel-agent ({state}): {' '.join(self.command)}\n--- rotel-agent log ---\n{self.log_text()}"

    def _build_command(self) -> list[str]:
        return [
            str(self.binary),
            "start",
            "--otlp-grpc-endpoint",
            f"127.0.0.1:{self.grpc_port}",
            "--otlp-http-endpoint",
            f"127.0.0.1:{self.http_port}",
            "--exporter",
            "otlp",
            "--otlp-exporter-endpoint",
            self.sink.endpoint,
            "--otlp-exporter-protocol",
            "http",
            "--batch-timeout",
            "50ms",
            "--otlp-exporter-retry-initial-backoff",
            "100ms",
            "--otlp-exporter-retry-max-elapsed-time",
            "5s",
            "--pid-file",
            str(self.workdir / "rotel-agent.pid"),
            "--log-file",
            str(self.workdir / "rotel-agent.daemon.log"),
            *self.extra_args,
        ]

    def start(self) -> RotelCollector:
        if not os.access(self.binary, os.X_OK):
            pytest.fail(f"rotel-agent at {self.binary} is not executable", pytrace=False)
        env = {**os.environ, "NO_COLOR": "1", "RUST_LOG": os.environ.get("RUST_LOG", "info")}
        env = {k: v for k, v in env.items() if not k.startswith("ROTEL_")}  # flags only, no surprises
        env.update(_libpython_env())
        for _ in range(_START_ATTEMPTS):
            self.grpc_port, self.http_port = free_port(), free_port()
            while self.http_port == self.grpc_port:
                self.http_port = free_port()
            self.command = self._build_command()
            with self.log_path.open("ab") as log:
                log.write(f"$ {' '.join(self.command)}\n".encode())
                log.flush()
                self._process = subprocess.Popen(
                    self.command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env
                )
            if self._wait_until_listening():
                return self
            self._terminate()  # most likely a port race: try again with fresh ports
        pytest.fail(f"rotel-agent did not start listening within {_STARTUP_TIMEOUT}s\n{self.diagnostics()}")

    def _wait_until_listening(self) -> bool:
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if not self.running:
                return False
            if _port_open(self.grpc_port) and _port_open(self.http_port):
                time.sleep(0.1)  # config errors surface right after the listeners are bound
                return self.running
            time.sleep(0.02)
        return False

    def _terminate(self) -> None:
        process = self._process  # kept after exit so diagnostics() can show the return code
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)

    def stop(self) -> None:
        """Stop the collector (SIGTERM, then SIGKILL after 5 s); its ports are closed afterwards."""
        self._terminate()

    def __enter__(self) -> RotelCollector:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@contextlib.contextmanager
def start_rotel_collector(extra_args: Sequence[str] = ()) -> Iterator[RotelCollector]:
    """Run a sink and a ``rotel-agent`` for the duration of the block; skips if the binary is absent."""
    binary = find_rotel_binary()
    if binary is None or not binary.exists():
        pytest.skip(
            f"rotel-agent binary not found (looked at ${ROTEL_BIN_ENV}, the `rotel` package and PATH); "
            "install the dev extra (`pip install rotel`) to run collector tests"
        )
    with (
        tempfile.TemporaryDirectory(prefix="rotel-") as tmp,
        OtlpSink() as sink,
        RotelCollector(binary, sink, Path(tmp), extra_args) as collector,
    ):
        try:
            yield collector
        finally:
            collector.stop()
            # Shown by pytest only when the test fails ("Captured stdout teardown").
            sys.stdout.write(collector.diagnostics() + "\n")


@pytest.fixture
def otlp_sink() -> Iterator[OtlpSink]:
    """A bare OTLP/HTTP traces sink on 127.0.0.1 (``.endpoint``, ``.wait_for_spans(n, timeout)``)."""
    with OtlpSink() as sink:
        yield sink


@pytest.fixture
def rotel_collector() -> Iterator[RotelCollector]:
    """A fresh ``rotel-agent`` on free loopback ports, forwarding traces to an in-process sink."""
    with start_rotel_collector() as collector:
        yield collector

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


class _Handler(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"
    received: list[dict[str, Any]]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: bytes, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.received.append(
            {"method": self.command, "path": self.path, "headers": dict(self.headers.items()), "body": body}
        )
        path = self.path.split("?", 1)[0]
        if path == "/notfound":
            self._reply(404, b'{"error": "not found"}')
        elif path == "/error":
            self._reply(500, b'{"error": "boom"}')
        elif path == "/redirect":
            self._reply(302, b"", {"Location": "/ok"})
        elif path == "/echo":
            self._reply(200, body)
        elif path == "/big":
            self._reply(200, b"x" * 20_000)
        else:
            self._reply(200, b'{"result": "hello"}')

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle


class Server:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        handler = type("Handler", (_Handler,), {"received": self.received})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def last_headers(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.received[-1]["headers"].items()}

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture(scope="session")
def _server_session() -> Iterator[Server]:
    server = Server()
    yield server
    server.close()


@pytest.fixture
def server(_server_session: Server) -> Server:
    _server_session.received.clear()
    return _server_session


@pytest.fixture
def refused_url() -> str:
    """A URL on a local port nobody listens on."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/ok"


@pytest.fixture
def instrument(provider: TracerProvider) -> Iterator[Callable[..., Any]]:
    """``instrument(InstrumentorClass, **kwargs)`` instruments with the test provider; all undone after the test."""
    done: list[Any] = []

    def _instrument(cls: type[Any], **kwargs: Any) -> Any:
        instrumentor = cls()
        instrumentor.instrument(tracer_provider=provider, **kwargs)
        done.append(instrumentor)
        return instrumentor

    yield _instrument
    for instrumentor in reversed(done):
        instrumentor.uninstrument()


def only_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    spans = exporter.get_finished_spans()
    assert len(spans) == 1, [s.name for s in spans]
    return spans[0]


def traceparent_of(span: ReadableSpan) -> str:
    ctx = span.get_span_context()
    assert ctx is not None
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{ctx.trace_flags:02x}"


def json_body(text: str) -> Any:
    return json.loads(text)

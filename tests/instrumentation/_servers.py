"""Local mock HTTP servers for the instrumentor tests: a JSON/SSE handler base and a serving context."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar, TypeVar

_S = TypeVar("_S", bound=HTTPServer)


class JSONHandler(BaseHTTPRequestHandler):
    """Answers with JSON bodies or server-sent events; quiet; keep-alive for JSON, closed after a stream."""

    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"
    json_headers: ClassVar[dict[str, str]] = {}
    """Extra headers on every JSON answer (a provider's request id...)."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def read_json(self) -> Any:
        """The request body, parsed (``{}`` when empty)."""
        length = int(self.headers.get("content-length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def send_json(self, status: int, body: Any) -> None:
        """One JSON answer."""
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        for name, value in self.json_headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def send_sse(self, chunks: list[bytes]) -> None:
        """An event stream of already-encoded chunks; stops quietly when the client goes away."""
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        self.end_headers()
        for chunk in chunks:
            try:
                self.wfile.write(chunk)
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                return
        self.close_connection = True


@contextmanager
def serving(server: _S) -> Iterator[_S]:
    """Run ``server`` in a daemon thread for the duration of the block, then shut it down and close it."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()

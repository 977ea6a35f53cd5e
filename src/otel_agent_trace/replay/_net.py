"""The last line of "a replay costs no network call": TCP connections that no served layer intercepted.

httpx and httpx2 requests are served from the cassette before they reach a socket. Anything else that opens an
IPv4/IPv6 connection in the replayed program (``requests``, ``urllib``, ``aiohttp``, a database driver) stops the
replay as diverged, naming the address and the current span, unless ``allow_live``. Unix sockets and socket pairs
(event loops, multiprocessing) are left alone.
"""

from __future__ import annotations

import socket
from typing import Any

from opentelemetry import trace

from ._server import CassetteServer

__all__ = ["guard_sockets"]

_INET = (socket.AF_INET, socket.AF_INET6)


def _where() -> str:
    span = trace.get_current_span()
    name = getattr(span, "name", None)
    return f"span {name}" if isinstance(name, str) and name else "outside any span"


def guard_sockets(server: CassetteServer) -> None:
    """Patch ``socket.socket.connect``/``connect_ex`` so that TCP connections go through ``server``'s policy."""
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family not in _INET:
            return
        if server.allow_live:
            return  # counted as live where it was decided (an httpx request), or not a served kind at all
        target = f"{address[0]}:{address[1]}" if isinstance(address, tuple) and len(address) >= 2 else str(address)
        server.diverge(
            f"{_where()}: expected no network call, got a connection to {target} (only httpx/httpx2 requests and "
            "decorated tool calls are served)"
        )

    def guarded_connect(self: socket.socket, address: Any) -> None:
        check(self, address)
        connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        check(self, address)
        return connect_ex(self, address)

    socket.socket.connect = guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign,assignment]

"""Serving recorded HTTP exchanges at the ``httpx``/``httpx2`` transports (the SDKs' defaults) in a replayed program."""

from __future__ import annotations

import base64
import importlib
import importlib.util
import json
from collections.abc import Callable
from typing import Any

from opentelemetry import trace

from otel_agent_trace._internal.replay import NOT_SERVED, body_fingerprint, request_summary

from ._server import CassetteServer

LIBRARIES = ("httpx", "httpx2")

__all__ = ["install_http"]


def _fingerprint(request: Any) -> tuple[str, str, str, str]:
    body = getattr(request, "_content", None)
    digest, model = body_fingerprint(body if isinstance(body, bytes) else None)
    method, path = str(request.method), str(request.url.path)
    return method, path, digest, request_summary(method, path, model)


def _response(lib: Any, entry: dict[str, Any], request: Any) -> Any:
    if entry.get("error_type"):
        cls = getattr(lib, str(entry["error_type"]), None)
        if not (isinstance(cls, type) and issubclass(cls, lib.TransportError)):
            cls = lib.TransportError
        raise cls(str(entry.get("error_message") or ""), request=request)
    body = entry.get("body") or ""
    data = base64.b64decode(body) if entry.get("body_encoding") == "base64" else str(body).encode("utf-8")
    headers = [(str(k), str(v)) for k, v in json.loads(entry.get("headers") or "[]")]
    return lib.Response(
        int(entry.get("status") or 200),
        headers=headers,
        stream=lib.ByteStream(data),
        request=request,
        extensions={"http_version": b"HTTP/1.1"},
    )


def _entry(lib: Any, server: CassetteServer, request: Any) -> dict[str, Any] | object:
    """The exchange to serve; a request outside any span (a library's import-time fetch) is refused offline."""
    if not trace.get_current_span().get_span_context().is_valid:
        if server.allow_live:
            server.note_outside(live=True)
            return NOT_SERVED
        server.note_outside(live=False)
        raise lib.ConnectError(
            f"otel-agent-trace replay: {request.method} {request.url.path} made outside the recorded run is refused "
            "(no network in a replay)",
            request=request,
        )
    return server.serve_http(*_fingerprint(request))


def _patch(lib: Any, server: CassetteServer) -> None:
    sync_original: Callable[..., Any] = lib.HTTPTransport.handle_request
    async_original: Callable[..., Any] = lib.AsyncHTTPTransport.handle_async_request

    def handle_request(self: Any, request: Any) -> Any:
        entry = _entry(lib, server, request)
        if entry is NOT_SERVED:
            return sync_original(self, request)
        assert isinstance(entry, dict)
        return _response(lib, entry, request)

    async def handle_async_request(self: Any, request: Any) -> Any:
        entry = _entry(lib, server, request)
        if entry is NOT_SERVED:
            return await async_original(self, request)
        assert isinstance(entry, dict)
        return _response(lib, entry, request)

    lib.HTTPTransport.handle_request = handle_request
    lib.AsyncHTTPTransport.handle_async_request = handle_async_request


def install_http(server: CassetteServer) -> list[str]:
    """Patch the transports of ``httpx`` and ``httpx2`` (those installed) to serve from ``server``; their names."""
    patched = []
    for name in LIBRARIES:
        if importlib.util.find_spec(name) is not None:
            _patch(importlib.import_module(name), server)
            patched.append(name)
    return patched

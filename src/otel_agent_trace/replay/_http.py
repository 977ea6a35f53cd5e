"""Serving recorded HTTP exchanges at the httpx transport (every SDK's default transport) in a replayed program."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from otel_agent_trace._internal.replay import NOT_SERVED, body_fingerprint, request_summary

from ._server import CassetteServer

__all__ = ["install_http"]


def _fingerprint(request: Any) -> tuple[str, str, str, str]:
    body = getattr(request, "_content", None)
    digest, model = body_fingerprint(body if isinstance(body, bytes) else None)
    method, path = str(request.method), str(request.url.path)
    return method, path, digest, request_summary(method, path, model)


def _response(httpx: Any, entry: dict[str, Any], request: Any) -> Any:
    if entry.get("error_type"):
        cls = getattr(httpx, str(entry["error_type"]), None)
        if not (isinstance(cls, type) and issubclass(cls, httpx.TransportError)):
            cls = httpx.TransportError
        raise cls(str(entry.get("error_message") or ""), request=request)
    body = entry.get("body") or ""
    data = base64.b64decode(body) if entry.get("body_encoding") == "base64" else str(body).encode("utf-8")
    headers = [(str(k), str(v)) for k, v in json.loads(entry.get("headers") or "[]")]
    return httpx.Response(
        int(entry.get("status") or 200),
        headers=headers,
        stream=httpx.ByteStream(data),
        request=request,
        extensions={"http_version": b"HTTP/1.1"},
    )


def install_http(server: CassetteServer) -> bool:
    """Patch the httpx transports to serve from ``server``; False when httpx is not installed."""
    try:
        import httpx
    except ImportError:
        return False
    sync_original: Callable[..., Any] = httpx.HTTPTransport.handle_request
    async_original: Callable[..., Any] = httpx.AsyncHTTPTransport.handle_async_request

    def handle_request(self: Any, request: Any) -> Any:
        entry = server.serve_http(*_fingerprint(request))
        if entry is NOT_SERVED:
            return sync_original(self, request)
        assert isinstance(entry, dict)
        return _response(httpx, entry, request)

    async def handle_async_request(self: Any, request: Any) -> Any:
        entry = server.serve_http(*_fingerprint(request))
        if entry is NOT_SERVED:
            return await async_original(self, request)
        assert isinstance(entry, dict)
        return _response(httpx, entry, request)

    httpx.HTTPTransport.handle_request = handle_request  # type: ignore[method-assign]
    httpx.AsyncHTTPTransport.handle_async_request = handle_async_request  # type: ignore[method-assign]
    return True

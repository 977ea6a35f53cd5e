"""Reading an ``httpx2.Request`` and ``httpx2.Response`` for the CLIENT span."""

from __future__ import annotations

from typing import Any

from otel_agent_trace.instrumentation._http import Outgoing, ResponseInfo, copy_headers


def _prepare(instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any], capture: bool) -> Outgoing:
    """``Client.send(request, *, stream, auth, follow_redirects)``: the request gets its own copy of the headers."""
    request = args[0] if args else kwargs["request"]
    headers = copy_headers(request.headers)
    request.headers = headers
    # ``_content`` exists only once an in-memory body has been read; a streaming body is left alone.
    body = getattr(request, "_content", None) if capture else None
    return Outgoing(str(request.method), str(request.url), body, headers, args, kwargs)


def _read_response(response: Any, capture: bool) -> ResponseInfo:
    """Status, version, and the body when ``send(stream=False)`` already read it."""
    body = getattr(response, "_content", None) if capture else None
    return ResponseInfo(response.status_code, getattr(response, "http_version", None), body)

"""Reading a ``requests`` ``PreparedRequest`` and ``Response`` for the CLIENT span."""

from __future__ import annotations

from typing import Any

from otel_agent_trace.instrumentation._http import Outgoing, ResponseInfo, copy_headers


def _prepare(instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any], capture: bool) -> Outgoing:
    """``Session.send(request, **kwargs)``: the prepared request gets its own copy of the headers."""
    request = args[0] if args else kwargs["request"]
    headers = copy_headers(request.headers)
    request.headers = headers
    body = request.body if capture else None
    return Outgoing(str(request.method), str(request.url), body, headers, args, kwargs)


def _read_response(response: Any, capture: bool) -> ResponseInfo:
    """Status, protocol version, and the body when ``stream=False`` already read it (``_content`` is bytes)."""
    raw = getattr(response, "raw", None)
    body = None
    if capture:
        content = getattr(response, "_content", False)
        if isinstance(content, bytes):
            body = content
    return ResponseInfo(response.status_code, getattr(raw, "version", None), body)

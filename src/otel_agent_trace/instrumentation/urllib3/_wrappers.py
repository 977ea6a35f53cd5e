"""Reading ``HTTPConnectionPool.urlopen`` arguments and its ``HTTPResponse`` for the CLIENT span."""

from __future__ import annotations

from typing import Any

from otel_agent_trace.instrumentation._http import Outgoing, ResponseInfo, copy_headers

_HEADERS_POSITION = 3
"""``urlopen(method, url, body=None, headers=None, ...)``."""


def _absolute_url(pool: Any, url: str) -> str:
    if not url.startswith("/"):
        return url  # already absolute (proxy requests, or a caller passing the full URL)
    host = str(pool.host)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    port = pool.port
    return f"{pool.scheme}://{host}{url}" if port is None else f"{pool.scheme}://{host}:{port}{url}"


def _prepare(pool: Any, args: tuple[Any, ...], kwargs: dict[str, Any], capture: bool) -> Outgoing:
    """The pool's default headers are used when the call passes none: the copy starts from them."""
    method = args[0] if args else kwargs["method"]
    url = args[1] if len(args) > 1 else kwargs["url"]
    if len(args) > _HEADERS_POSITION:
        headers = copy_headers(args[_HEADERS_POSITION] if args[_HEADERS_POSITION] is not None else pool.headers)
        args = (*args[:_HEADERS_POSITION], headers, *args[_HEADERS_POSITION + 1 :])
    else:
        given = kwargs.get("headers")
        headers = copy_headers(given if given is not None else pool.headers)
        kwargs = {**kwargs, "headers": headers}
    body = None
    if capture:
        body = args[2] if len(args) > 2 else kwargs.get("body")
    return Outgoing(str(method), _absolute_url(pool, str(url)), body, headers, args, kwargs)


def _read_response(response: Any, capture: bool) -> ResponseInfo:
    """Status, version, and the body when ``preload_content=True`` already read it."""
    body = getattr(response, "_body", None) if capture else None
    return ResponseInfo(getattr(response, "status", None), getattr(response, "version", None), body)

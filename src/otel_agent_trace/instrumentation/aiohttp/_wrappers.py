"""Reading ``ClientSession._request`` arguments and its ``ClientResponse`` for the CLIENT span."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

from otel_agent_trace._internal.serialize import safe_json_dumps
from otel_agent_trace.instrumentation._http import Outgoing, ResponseInfo, copy_headers


def _headers_copy(headers: Any) -> MutableMapping[str, str]:
    if headers is None or isinstance(headers, Mapping):
        return copy_headers(headers)
    from multidict import CIMultiDict  # an iterable of pairs; multidict is an aiohttp dependency

    return CIMultiDict(headers)


def _full_url(session: Any, str_or_url: Any, params: Any) -> str:
    build = getattr(session, "_build_url", None)  # applies the session's base_url
    url = build(str_or_url) if build is not None else str_or_url
    if params:
        from yarl import URL

        url = URL(url).extend_query(params)
    return str(url)


def _prepare(session: Any, args: tuple[Any, ...], kwargs: dict[str, Any], capture: bool) -> Outgoing:
    """``_request(method, str_or_url, *, params, data, json, headers, ...)``: headers go in as a new mapping."""
    method = args[0] if args else kwargs["method"]
    str_or_url = args[1] if len(args) > 1 else kwargs["str_or_url"]
    headers = _headers_copy(kwargs.get("headers"))
    kwargs = {**kwargs, "headers": headers}
    body: object = None
    if capture:
        body = kwargs.get("data")
        if body is None and kwargs.get("json") is not None:
            body = safe_json_dumps(kwargs["json"])
    return Outgoing(str(method), _full_url(session, str_or_url, kwargs.get("params")), body, headers, args, kwargs)


def _read_response(response: Any, capture: bool) -> ResponseInfo:
    """Status and version; the body is still unread when ``_request`` returns, so it is never recorded."""
    return ResponseInfo(getattr(response, "status", None), getattr(response, "version", None), None)

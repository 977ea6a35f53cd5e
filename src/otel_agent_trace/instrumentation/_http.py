"""What the HTTP client instrumentors (requests, urllib3, httpx, httpx2, aiohttp) share.

Each instrumentor supplies two small functions: ``prepare`` reads the outgoing request (method, URL, body) and
gives the wrapped call a *copy* of its headers to carry ``traceparent``; ``read_response`` reads status code,
protocol version and an already-read body from the response. `SyncClientWrapper` and `AsyncClientWrapper` do the
rest: the CLIENT span per the stable HTTP semantic conventions, W3C trace-context injection, tool marking,
suppression of nested HTTP spans, and the error policy (our faults are logged and swallowed; the user's call runs
exactly once and its exceptions propagate unchanged).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, NamedTuple
from urllib.parse import SplitResult, unquote_plus, urlsplit

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE
from opentelemetry.semconv.attributes.http_attributes import (
    HTTP_REQUEST_METHOD,
    HTTP_REQUEST_METHOD_ORIGINAL,
    HTTP_RESPONSE_STATUS_CODE,
)
from opentelemetry.semconv.attributes.network_attributes import NETWORK_PROTOCOL_VERSION
from opentelemetry.semconv.attributes.server_attributes import SERVER_ADDRESS, SERVER_PORT
from opentelemetry.semconv.attributes.url_attributes import URL_FULL
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue

from otel_agent_trace._internal.context import attach_span, current_tool, is_enabled, is_http_instrumentation_enabled
from otel_agent_trace._internal.errors import log_internal_error
from otel_agent_trace._internal.tracing import record_failure
from otel_agent_trace.semconv.gen_ai import GEN_AI_TOOL_CALL_ID
from otel_agent_trace.semconv.tool import HTTP_REQUEST_BODY, HTTP_RESPONSE_BODY, TOOL_EXTERNAL, TOOL_PARENT_NAME

__all__ = [
    "BODY_LIMIT",
    "AsyncClientWrapper",
    "ClientCall",
    "Outgoing",
    "ResponseInfo",
    "SyncClientWrapper",
    "body_text",
    "copy_headers",
    "protocol_version",
    "redact_url",
    "url_attributes",
]

BODY_LIMIT = 8 * 1024
"""At most this many bytes of a request or response body are recorded."""

REDACTED = "REDACTED"

_KNOWN_METHODS = frozenset({"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY", "TRACE"})
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_SENSITIVE_QUERY_KEYS = frozenset(
    {
        "access_token",
        "api-key",
        "api_key",
        "apikey",
        "auth",
        "authorization",
        "awsaccesskeyid",
        "client_secret",
        "code",
        "id_token",
        "key",
        "password",
        "passwd",
        "pwd",
        "refresh_token",
        "secret",
        "session",
        "sig",
        "signature",
        "token",
        "x-amz-credential",
        "x-amz-security-token",
        "x-amz-signature",
        "x-goog-credential",
        "x-goog-signature",
    }
)
"""Query parameters whose values are replaced by ``REDACTED`` in ``url.full`` (compared lower-cased)."""
_VERSIONS = {"2.0": "2", "3.0": "3"}


class Outgoing(NamedTuple):
    """What ``prepare`` found in a request, and the arguments the wrapped call is to get."""

    method: str
    url: str
    body: object
    """The request body when content capture is on and the body is in memory, else None."""
    headers: MutableMapping[str, str] | None
    """A copy of the request headers, already in place in ``args``/``kwargs``, to inject ``traceparent`` into."""
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


class ResponseInfo(NamedTuple):
    """What ``read_response`` found in a response."""

    status_code: int | None
    version: object = None
    body: object = None
    """The response body if the library has already read it and content capture is on, else None."""


Prepare = Callable[[Any, tuple[Any, ...], dict[str, Any], bool], Outgoing]
ReadResponse = Callable[[Any, bool], ResponseInfo]


def _redact_query(query: str) -> str:
    items = query.split("&")
    for i, item in enumerate(items):
        key, sep, _ = item.partition("=")
        if sep:
            name = unquote_plus(key) if "%" in key or "+" in key else key
            if name.lower() in _SENSITIVE_QUERY_KEYS:
                items[i] = f"{key}={REDACTED}"
    return "&".join(items)


def _redact(url: str, parts: SplitResult) -> str:
    netloc, query = parts.netloc, parts.query
    if "@" not in netloc and not query:
        return url
    if "@" in netloc:
        netloc = f"{REDACTED}:{REDACTED}@{netloc.rpartition('@')[2]}"
    if query:
        query = _redact_query(query)
    return parts._replace(netloc=netloc, query=query).geturl()


def redact_url(url: str) -> str:
    """``url`` with ``user:password@`` and the values of secret-looking query parameters replaced by REDACTED."""
    if "@" not in url and "?" not in url:
        return url
    return _redact(url, urlsplit(url))


def url_attributes(url: str) -> dict[str, AttributeValue]:
    """``url.full`` (redacted), ``server.address`` and ``server.port`` of an absolute URL."""
    parts = urlsplit(url)
    attributes: dict[str, AttributeValue] = {URL_FULL: _redact(url, parts)}
    host = parts.hostname
    if host:
        attributes[SERVER_ADDRESS] = host
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = _DEFAULT_PORTS.get(parts.scheme.lower())
    if port is not None:
        attributes[SERVER_PORT] = port
    return attributes


def protocol_version(version: object) -> str | None:
    """``network.protocol.version`` from ``11`` (http.client), ``"HTTP/1.1"`` (httpx) or ``(1, 1)`` (aiohttp)."""
    if isinstance(version, bool) or version is None:
        return None
    if isinstance(version, int):
        major, minor = divmod(version, 10)
        text = f"{major}.{minor}"
    elif isinstance(version, str):
        text = version.upper().removeprefix("HTTP/")
    elif isinstance(version, tuple) and len(version) == 2:
        text = f"{version[0]}.{version[1]}"
    else:
        return None
    return _VERSIONS.get(text, text) or None


def body_text(body: object) -> str | None:
    """At most the first `BODY_LIMIT` bytes of an in-memory body, as text; None for streams, files, generators."""
    if isinstance(body, str):
        if len(body) <= BODY_LIMIT // 4:
            return body
        body = body.encode("utf-8", "replace")
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body[:BODY_LIMIT]).decode("utf-8", "replace")
    return None


def copy_headers(headers: Any) -> MutableMapping[str, str]:
    """A copy of ``headers`` of the same kind when it can copy itself (keeps case-insensitivity), else a dict."""
    if headers is None:
        return {}
    copy = getattr(headers, "copy", None)
    if copy is not None and hasattr(headers, "keys"):
        result = copy()
        if isinstance(result, MutableMapping) or hasattr(result, "__setitem__"):
            return result  # type: ignore[no-any-return]
    return dict(headers)


class ClientCall:
    """The CLIENT span of one outgoing HTTP request."""

    __slots__ = ("span",)

    def __init__(self, tracer: trace.Tracer, method: str, url: str, body: object) -> None:
        """Start the span; all attributes are computed first so that a fault here leaves no span behind."""
        upper = method.upper()
        attributes: dict[str, AttributeValue]
        if upper in _KNOWN_METHODS:
            name = upper
            attributes = {HTTP_REQUEST_METHOD: upper}
            if upper != method:
                attributes[HTTP_REQUEST_METHOD_ORIGINAL] = method
        else:
            name = "HTTP"
            attributes = {HTTP_REQUEST_METHOD: "_OTHER", HTTP_REQUEST_METHOD_ORIGINAL: method}
        attributes.update(url_attributes(url))
        tool = current_tool()
        if tool is not None:
            attributes[TOOL_EXTERNAL] = True
            attributes[TOOL_PARENT_NAME] = tool.name
            if tool.call_id:
                attributes[GEN_AI_TOOL_CALL_ID] = tool.call_id
        if body is not None:
            text = body_text(body)
            if text is not None:
                attributes[HTTP_REQUEST_BODY] = text
        self.span = tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes)

    def inject(self, carrier: MutableMapping[str, str]) -> None:
        """Write ``traceparent`` (and any other configured propagator fields) for this span into ``carrier``."""
        propagate.inject(carrier, context=trace.set_span_in_context(self.span))

    def attach(self) -> object:
        """Make the span current and suppress nested HTTP spans (e.g. urllib3 under requests)."""
        return attach_span(self.span, suppress_http=True)

    def set_response(self, info: ResponseInfo) -> None:
        """Record status code, protocol version and body; status ERROR for codes >= 400 (CLIENT span rule)."""
        attributes: dict[str, AttributeValue] = {}
        status = info.status_code
        if status is not None:
            attributes[HTTP_RESPONSE_STATUS_CODE] = status
            if status >= 400:
                attributes[ERROR_TYPE] = str(status)
                self.span.set_status(Status(StatusCode.ERROR))
        version = protocol_version(info.version)
        if version is not None:
            attributes[NETWORK_PROTOCOL_VERSION] = version
        if info.body is not None:
            text = body_text(info.body)
            if text is not None:
                attributes[HTTP_RESPONSE_BODY] = text
        self.span.set_attributes(attributes)


def _start(
    tracer: trace.Tracer, prepare: Prepare, capture: bool, instance: Any, args: Any, kwargs: Any, where: str
) -> tuple[ClientCall | None, object, Any, Any]:
    """Start the span, inject headers, make the span current; on an internal fault, go on with what worked."""
    call = token = None
    try:
        outgoing = prepare(instance, args, kwargs, capture)
        call = ClientCall(tracer, outgoing.method, outgoing.url, outgoing.body)
        if outgoing.headers is not None:
            call.inject(outgoing.headers)
        args, kwargs = outgoing.args, outgoing.kwargs
        token = call.attach()
    except Exception:  # noqa: BLE001 - telemetry faults never reach the user (plain try: this is the hot path)
        log_internal_error(where)
    return call, token, args, kwargs


def _fail(call: ClientCall, exc: Exception, where: str) -> None:
    try:
        record_failure(call.span, exc)
    except Exception:  # noqa: BLE001 - see _start
        log_internal_error(where)


def _finish(call: ClientCall, response: Any, read_response: ReadResponse, capture: bool, where: str) -> None:
    try:
        call.set_response(read_response(response, capture))
    except Exception:  # noqa: BLE001 - see _start
        log_internal_error(where)


def _end(call: ClientCall, token: object, where: str) -> None:
    try:
        if token is not None:
            otel_context.detach(token)  # type: ignore[arg-type]
        call.span.end()
    except Exception:  # noqa: BLE001 - see _start
        log_internal_error(where)


class _ClientWrapperBase:
    __slots__ = ("_capture", "_prepare", "_read_response", "_tracer", "_where")

    def __init__(
        self,
        tracer: trace.Tracer,
        capture: Callable[[], bool],
        where: str,
        prepare: Prepare,
        read_response: ReadResponse,
    ) -> None:
        self._tracer = tracer
        self._capture = capture
        self._where = where
        self._prepare = prepare
        self._read_response = read_response


class SyncClientWrapper(_ClientWrapperBase):
    """wrapt wrapper of a synchronous send method: one CLIENT span per call."""

    __slots__ = ()

    def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        """Trace one request; the user's call runs exactly once, outside our error handling."""
        if not (is_enabled() and is_http_instrumentation_enabled()):
            return wrapped(*args, **kwargs)
        where = self._where
        capture = self._capture()
        call, token, args, kwargs = _start(self._tracer, self._prepare, capture, instance, args, kwargs, where)
        if call is None:
            return wrapped(*args, **kwargs)
        try:
            response = wrapped(*args, **kwargs)
        except Exception as exc:
            _fail(call, exc, where)
            raise
        else:
            _finish(call, response, self._read_response, capture, where)
            return response
        finally:
            _end(call, token, where)


class AsyncClientWrapper(_ClientWrapperBase):
    """wrapt wrapper of a coroutine send method: one CLIENT span per call."""

    __slots__ = ()

    async def __call__(self, wrapped: Callable[..., Awaitable[Any]], instance: Any, args: Any, kwargs: Any) -> Any:
        """Trace one request; the user's call runs exactly once, outside our error handling."""
        if not (is_enabled() and is_http_instrumentation_enabled()):
            return await wrapped(*args, **kwargs)
        where = self._where
        capture = self._capture()
        call, token, args, kwargs = _start(self._tracer, self._prepare, capture, instance, args, kwargs, where)
        if call is None:
            return await wrapped(*args, **kwargs)
        try:
            response = await wrapped(*args, **kwargs)
        except Exception as exc:
            _fail(call, exc, where)
            raise
        else:
            _finish(call, response, self._read_response, capture, where)
            return response
        finally:
            _end(call, token, where)

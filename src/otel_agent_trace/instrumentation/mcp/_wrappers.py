"""Wrappers of the MCP client's ``ClientSession.call_tool`` and of the server's ``tools/call`` handler.

The client span is current while the request is sent, and its W3C context goes into the request's ``_meta``
(``traceparent``/``tracestate``, SEP-414). The server extracts it, so its span is the client span's child even
across processes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import INVALID_SPAN, Span, SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue

from otel_agent_trace._internal.context import ToolScope, is_enabled, use_tool
from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace._internal.serialize import safe_json_dumps
from otel_agent_trace._internal.tracing import record_failure
from otel_agent_trace.semconv.agent import AGENT_STEP_ACTION_TYPE, AgentStepActionTypeValues
from otel_agent_trace.semconv.error import ERROR_TYPE
from otel_agent_trace.semconv.gen_ai import (
    GEN_AI_OPERATION_NAME,
    GEN_AI_TOOL_CALL_ARGUMENTS,
    GEN_AI_TOOL_CALL_RESULT,
    GEN_AI_TOOL_NAME,
    GenAiOperationNameValues,
)
from otel_agent_trace.semconv.mcp import MCP_METHOD_NAME, MCP_PROTOCOL_VERSION, McpMethodNameValues
from otel_agent_trace.semconv.tool import TOOL_STATUS

TOOLS_CALL = McpMethodNameValues.TOOLS_CALL.value
TOOL_ERROR = "tool_error"
"""``error.type`` of a call whose result has ``isError`` set (the value the MCP SDK uses too)."""

_EXECUTE_TOOL = GenAiOperationNameValues.EXECUTE_TOOL.value
_TOOL_CALL = AgentStepActionTypeValues.TOOL_CALL.value


class Config:
    """What the wrappers share: the tracer and the content-capture switch."""

    __slots__ = ("capture_content", "inject_meta", "tracer")

    def __init__(self, tracer: trace.Tracer, capture_content: Callable[[], bool], inject_meta: bool) -> None:
        self.tracer = tracer
        self.capture_content = capture_content
        self.inject_meta = inject_meta


def _tool_attributes(name: str, method: str = TOOLS_CALL) -> Iterator[tuple[str, AttributeValue]]:
    yield GEN_AI_OPERATION_NAME, _EXECUTE_TOOL
    yield GEN_AI_TOOL_NAME, name
    yield MCP_METHOD_NAME, method
    yield AGENT_STEP_ACTION_TYPE, _TOOL_CALL


def _result_is_error(result: Any) -> bool:
    """``isError`` of a ``CallToolResult`` (mcp 2 ``is_error``, mcp 1 ``isError``) or of its wire dict."""
    if isinstance(result, Mapping):
        return result.get("isError") is True
    flag = getattr(result, "is_error", None)
    if flag is None:
        flag = getattr(result, "isError", None)
    return flag is True


def _result_payload(result: Any) -> Any:
    """What a tool returned, for ``gen_ai.tool.call.result``: structured content if any, else the content blocks."""
    if isinstance(result, Mapping):
        return result.get("structuredContent") or result.get("content")
    structured = getattr(result, "structured_content", None) or getattr(result, "structuredContent", None)
    if structured is not None:
        return structured
    return getattr(result, "content", result)


def _finish_result(span: Span, result: Any, capture: bool) -> None:
    if capture:
        span.set_attribute(GEN_AI_TOOL_CALL_RESULT, safe_json_dumps(_result_payload(result)))
    if _result_is_error(result):
        span.set_attribute(ERROR_TYPE, TOOL_ERROR)
        span.set_attribute(TOOL_STATUS, "error")
        span.set_status(Status(StatusCode.ERROR, "tool returned isError"))
    else:
        span.set_attribute(TOOL_STATUS, "ok")


def _start(config: Config, name: str, arguments: Any, kind: SpanKind, parent: otel_context.Context | None) -> Span:
    attributes = dict(_tool_attributes(name))
    if arguments is not None and config.capture_content():
        attributes[GEN_AI_TOOL_CALL_ARGUMENTS] = safe_json_dumps(arguments)
    return config.tracer.start_span(f"{_EXECUTE_TOOL} {name}", parent, kind, attributes=attributes)


def _client_call(args: Any, kwargs: Mapping[str, Any]) -> tuple[str, Any]:
    """``(name, arguments)`` of ``ClientSession.call_tool(name, arguments=None, ...)``."""
    name = args[0] if args else kwargs["name"]
    arguments = args[1] if len(args) > 1 else kwargs.get("arguments")
    return str(name), arguments


def _with_trace_meta(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` with a copy of ``meta`` carrying the current W3C trace context (the caller's dict is untouched)."""
    meta = dict(kwargs.get("meta") or {})
    propagate.inject(meta)
    return {**kwargs, "meta": meta}


class CallToolWrapper:
    """``ClientSession.call_tool``: a CLIENT ``execute_tool {name}`` span around the ``tools/call`` round trip."""

    __slots__ = ("_config",)

    def __init__(self, config: Config) -> None:
        self._config = config

    async def __call__(self, wrapped: Callable[..., Awaitable[Any]], instance: Any, args: Any, kwargs: Any) -> Any:
        if not is_enabled():
            return await wrapped(*args, **kwargs)
        span: Span = INVALID_SPAN
        capture = False
        call_kwargs = kwargs
        with handle_internal_errors("mcp.ClientSession.call_tool"):
            name, arguments = _client_call(args, kwargs)
            capture = self._config.capture_content()
            span = _start(self._config, name, arguments, SpanKind.CLIENT, None)
        token = otel_context.attach(trace.set_span_in_context(span))
        try:
            with handle_internal_errors("mcp.ClientSession.call_tool.inject"):
                if self._config.inject_meta and span.is_recording():
                    call_kwargs = _with_trace_meta(kwargs)
            try:
                result = await wrapped(*args, **call_kwargs)
            except Exception as exc:
                _fail(span, exc, "mcp.ClientSession.call_tool.error")
                raise
            with handle_internal_errors("mcp.ClientSession.call_tool.result"):
                _finish_result(span, result, capture)
            return result
        finally:
            otel_context.detach(token)
            span.end()


def _fail(span: Span, exc: Exception, where: str) -> None:
    """Record a tool call's exception (status ERROR, ``error.type``, tool status ``error``)."""
    with handle_internal_errors(where):
        record_failure(span, exc)
        span.set_attribute(TOOL_STATUS, "error")


def parent_context(meta: Mapping[str, Any] | None) -> otel_context.Context | None:
    """The parent of a server span: the W3C context in the request's ``_meta``, else the ambient one.

    When the ambient span already belongs to the propagated trace (the MCP SDK's own server span, or a transport
    that carries the context in-process), the ambient context is kept so that span stays our parent.
    """
    if not meta or "traceparent" not in meta:
        return None
    extracted = propagate.extract(meta)
    remote = trace.get_current_span(extracted).get_span_context()
    if not remote.is_valid:
        return None
    if trace.get_current_span().get_span_context().trace_id == remote.trace_id:
        return None
    return extracted


class _ServerToolHandler:
    """A server's ``tools/call`` handler, wrapped: a SERVER ``execute_tool {name}`` span around it."""

    __slots__ = ("_config", "_handler")

    def __init__(self, config: Config, handler: Callable[..., Awaitable[Any]]) -> None:
        self._config = config
        self._handler = handler

    async def __call__(self, ctx: Any, params: Any) -> Any:
        if not is_enabled():
            return await self._handler(ctx, params)
        span: Span = INVALID_SPAN
        capture = False
        name = ""
        with handle_internal_errors("mcp.server.tools/call"):
            name = str(params.name)
            capture = self._config.capture_content()
            parent = parent_context(getattr(ctx, "meta", None))
            span = _start(self._config, name, getattr(params, "arguments", None), SpanKind.SERVER, parent)
            version = getattr(ctx, "protocol_version", None)
            if isinstance(version, str):
                span.set_attribute(MCP_PROTOCOL_VERSION, version)
        token = otel_context.attach(trace.set_span_in_context(span))
        try:
            with use_tool(ToolScope(name)):
                try:
                    result = await self._handler(ctx, params)
                except Exception as exc:
                    _fail(span, exc, "mcp.server.tools/call.error")
                    raise
            with handle_internal_errors("mcp.server.tools/call.result"):
                _finish_result(span, result, capture)
            return result
        finally:
            otel_context.detach(token)
            span.end()


class GetRequestHandlerWrapper:
    """``Server.get_request_handler``: hands the runner a traced ``tools/call`` handler."""

    __slots__ = ("_config", "_entry_type")

    def __init__(self, config: Config, entry_type: type[Any]) -> None:
        self._config = config
        self._entry_type = entry_type

    def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        entry = wrapped(*args, **kwargs)
        if entry is None or not is_enabled():
            return entry
        method = args[0] if args else kwargs.get("method")
        if method != TOOLS_CALL:
            return entry
        with handle_internal_errors("mcp.Server.get_request_handler"):
            return self._entry_type(entry.params_type, _ServerToolHandler(self._config, entry.handler))
        return entry

"""``execute_tool {name}`` spans for the Python functions google-genai runs itself (automatic function calling).

With ``config.tools=[my_function]`` the SDK calls the model, runs ``my_function`` with the arguments the model
chose (``_extra_utils.invoke_function_from_dict_args``), sends the result back and calls the model again. We
wrap that one invocation function (sync and async twin): each tool run gets its span, between the two model
spans, so the trace reads model -> tool -> model as an agent's does. The SDK turns a tool's exception into an
``{"error": ...}`` answer to the model; the span records the exception first (status ERROR).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind

from otel_agent_trace._internal.context import ToolScope, is_enabled, use_tool
from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace._internal.replay import mark_result_kind
from otel_agent_trace._internal.serialize import safe_json_dumps
from otel_agent_trace._internal.tracing import record_failure
from otel_agent_trace.semconv.agent import AGENT_STEP_ACTION_TYPE
from otel_agent_trace.semconv.gen_ai import (
    GEN_AI_OPERATION_NAME,
    GEN_AI_TOOL_CALL_ARGUMENTS,
    GEN_AI_TOOL_CALL_RESULT,
    GEN_AI_TOOL_DESCRIPTION,
    GEN_AI_TOOL_NAME,
    GEN_AI_TOOL_TYPE,
)
from otel_agent_trace.semconv.tool import TOOL_LATENCY_MS, TOOL_STATUS

from ._wrappers import Config

EXECUTE_TOOL = "execute_tool"


class _ToolRun:
    __slots__ = ("capture", "span", "start_ns")

    def __init__(self, span: Span, capture: bool, start_ns: int) -> None:
        self.span = span
        self.capture = capture
        self.start_ns = start_ns

    def done(self, status: str) -> None:
        self.span.set_attribute(TOOL_STATUS, status)
        self.span.set_attribute(TOOL_LATENCY_MS, (time.time_ns() - self.start_ns) / 1e6)

    def finish(self, result: Any) -> None:
        with handle_internal_errors("google_genai.tool.finish"):
            self.done("ok")
            if self.capture:
                self.span.set_attribute(GEN_AI_TOOL_CALL_RESULT, safe_json_dumps(result))
                mark_result_kind(self.span, result)
        self.span.end()

    def fail(self, exc: BaseException) -> None:
        with handle_internal_errors("google_genai.tool.fail"):
            self.done("error")
            record_failure(self.span, exc)
        self.span.end()


def _function_and_args(args: Any, kwargs: Any) -> tuple[Any, Any]:
    call_args = args[0] if args else kwargs.get("args")
    function = args[1] if len(args) > 1 else kwargs.get("function_to_invoke")
    return function, call_args


def _start(config: Config, args: Any, kwargs: Any) -> tuple[_ToolRun, str] | None:
    started: tuple[_ToolRun, str] | None = None
    with handle_internal_errors("google_genai.tool.start"):
        function, call_args = _function_and_args(args, kwargs)
        raw_name = getattr(function, "__name__", None)
        name = raw_name if isinstance(raw_name, str) and raw_name else type(function).__name__
        attributes: dict[str, Any] = {
            GEN_AI_OPERATION_NAME: EXECUTE_TOOL,
            GEN_AI_TOOL_NAME: name,
            GEN_AI_TOOL_TYPE: "function",
            AGENT_STEP_ACTION_TYPE: "tool_call",
        }
        doc = getattr(function, "__doc__", None)
        if isinstance(doc, str) and doc.strip():
            attributes[GEN_AI_TOOL_DESCRIPTION] = doc.strip().split("\n", 1)[0]
        capture = config.capture()
        if capture:
            attributes[GEN_AI_TOOL_CALL_ARGUMENTS] = safe_json_dumps(call_args)
        start_ns = time.time_ns()
        span = config.tracer.start_span(
            f"{EXECUTE_TOOL} {name}", kind=SpanKind.INTERNAL, attributes=attributes, start_time=start_ns
        )
        started = (_ToolRun(span, capture, start_ns), name)
    return started


class ToolWrapper:
    """``_extra_utils.invoke_function_from_dict_args(args, function)``: one ``execute_tool`` span per run."""

    __slots__ = ("_config",)

    def __init__(self, config: Config) -> None:
        self._config = config

    def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if not is_enabled():
            return wrapped(*args, **kwargs)
        started = _start(self._config, args, kwargs)
        if started is None:
            return wrapped(*args, **kwargs)
        run, name = started
        with (
            trace.use_span(run.span, end_on_exit=False, record_exception=False, set_status_on_exception=False),
            use_tool(ToolScope(name)),
        ):
            try:
                result = wrapped(*args, **kwargs)
            except Exception as exc:
                run.fail(exc)
                raise
        run.finish(result)
        return result


class AsyncToolWrapper:
    """``_extra_utils.invoke_function_from_dict_args_async``: the async twin."""

    __slots__ = ("_config",)

    def __init__(self, config: Config) -> None:
        self._config = config

    async def __call__(self, wrapped: Callable[..., Awaitable[Any]], instance: Any, args: Any, kwargs: Any) -> Any:
        if not is_enabled():
            return await wrapped(*args, **kwargs)
        started = _start(self._config, args, kwargs)
        if started is None:
            return await wrapped(*args, **kwargs)
        run, name = started
        with (
            trace.use_span(run.span, end_on_exit=False, record_exception=False, set_status_on_exception=False),
            use_tool(ToolScope(name)),
        ):
            try:
                result = await wrapped(*args, **kwargs)
            except Exception as exc:
                run.fail(exc)
                raise
        run.finish(result)
        return result

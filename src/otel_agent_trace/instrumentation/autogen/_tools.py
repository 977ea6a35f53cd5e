"""The tool wrappers of the AutoGen instrumentor: ``BaseTool.run_json`` and ``CodeExecutorAgent.execute_code_block``.

Both are ``execute_tool`` spans under the agent step that ran them (which they mark as a ``tool_call`` step). Our
tool span replaces autogen-core's own one for the same call (`quiet_tool_span`): one span per call.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind

from otel_agent_trace._internal.context import ToolScope, attach_span, is_enabled, use_tool
from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace._internal.serialize import safe_json_dumps
from otel_agent_trace._internal.tracing import record_failure
from otel_agent_trace.instrumentation.autogen import _extract as X
from otel_agent_trace.instrumentation.autogen._wrappers import Config, current_turn
from otel_agent_trace.semconv import gen_ai as G
from otel_agent_trace.semconv import tool as T

_in_our_tool: contextvars.ContextVar[bool] = contextvars.ContextVar("otel_agent_trace_autogen_tool", default=False)


def _tool_span(config: Config, name: str, attrs: dict[str, Any]) -> Span:
    attrs[G.GEN_AI_OPERATION_NAME] = G.GenAiOperationNameValues.EXECUTE_TOOL.value
    attrs[G.GEN_AI_TOOL_NAME] = name
    return config.tracer.start_span(f"execute_tool {name}", kind=SpanKind.INTERNAL, attributes=attrs)


async def _run_tool(
    config: Config, span: Span, name: str, call_id: str | None, call: Callable[[], Any], result_of: Callable[[Any], Any]
) -> Any:
    turn = current_turn()
    if turn is not None:
        turn.ran_tool()
    token = attach_span(span, suppress_http=False)
    started = time.perf_counter()
    ours = _in_our_tool.set(True)
    try:
        with use_tool(ToolScope(name, call_id)):
            result = await call()
    except BaseException as exc:
        with handle_internal_errors("autogen.tool.end"):
            span.set_attribute(T.TOOL_STATUS, "error")
            span.set_attribute(T.TOOL_LATENCY_MS, (time.perf_counter() - started) * 1000)
            record_failure(span, exc)
            span.end()
        raise
    finally:
        _in_our_tool.reset(ours)
        otel_context.detach(token)
    with handle_internal_errors("autogen.tool.end"):
        status, value = result_of(result)
        span.set_attribute(T.TOOL_STATUS, status)
        span.set_attribute(T.TOOL_LATENCY_MS, (time.perf_counter() - started) * 1000)
        if config.capture():
            span.set_attribute(G.GEN_AI_TOOL_CALL_RESULT, safe_json_dumps(value))
        if status == "error":
            span.set_status(trace.Status(trace.StatusCode.ERROR, "tool reported an error"))
        span.end()
    return result


def _plain_result(result: Any) -> tuple[str, Any]:
    return "ok", result


def _code_result(result: Any) -> tuple[str, Any]:
    exit_code = getattr(result, "exit_code", None)
    value = {"exit_code": exit_code, "output": getattr(result, "output", None)}
    return ("error" if isinstance(exit_code, int) and exit_code != 0 else "ok"), value


class ToolWrapper:
    """``BaseTool.run_json``: an ``execute_tool {name}`` span (AutoGen's own span for the call is not made)."""

    def __init__(self, config: Config) -> None:
        self.config = config

    async def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if not is_enabled():
            return await wrapped(*args, **kwargs)
        span: Span | None = None
        name = "tool"
        call_id: str | None = None
        with handle_internal_errors("autogen.tool.start"):
            name = X.text(getattr(instance, "name", None)) or type(instance).__name__
            call_id = X.text(kwargs.get("call_id", args[2] if len(args) > 2 else None))
            attrs: dict[str, Any] = {G.GEN_AI_TOOL_TYPE: G.GenAiToolTypeValues.FUNCTION.value}
            description = X.text(getattr(instance, "description", None))
            if description is not None:
                attrs[G.GEN_AI_TOOL_DESCRIPTION] = description
            if call_id is not None:
                attrs[G.GEN_AI_TOOL_CALL_ID] = call_id
            if self.config.capture():
                attrs[G.GEN_AI_TOOL_CALL_ARGUMENTS] = safe_json_dumps(kwargs.get("args", args[0] if args else None))
            span = _tool_span(self.config, name, attrs)
        if span is None:
            return await wrapped(*args, **kwargs)
        return await _run_tool(self.config, span, name, call_id, lambda: wrapped(*args, **kwargs), _plain_result)


class CodeExecutionWrapper:
    """``CodeExecutorAgent.execute_code_block``: ``execute_tool code_execution``, code in, terminal output out."""

    def __init__(self, config: Config) -> None:
        self.config = config

    async def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if not is_enabled():
            return await wrapped(*args, **kwargs)
        span: Span | None = None
        with handle_internal_errors("autogen.code.start"):
            executor = getattr(instance, "_code_executor", None)
            attrs: dict[str, Any] = {G.GEN_AI_TOOL_TYPE: G.GenAiToolTypeValues.EXTENSION.value}
            attrs[G.GEN_AI_TOOL_DESCRIPTION] = f"code execution ({type(executor).__name__})"
            if self.config.capture():
                blocks = X.code_blocks(kwargs.get("code_blocks", args[0] if args else None))
                attrs[G.GEN_AI_TOOL_CALL_ARGUMENTS] = safe_json_dumps(blocks)
            span = _tool_span(self.config, "code_execution", attrs)
        if span is None:
            return await wrapped(*args, **kwargs)
        return await _run_tool(
            self.config, span, "code_execution", None, lambda: wrapped(*args, **kwargs), _code_result
        )


def quiet_tool_span(original: Callable[..., Any]) -> Callable[..., Any]:
    """AutoGen's ``trace_tool_span``, yielding our ``execute_tool`` span instead of a second one inside ours."""

    @contextmanager
    def trace_tool_span(*args: Any, **kwargs: Any) -> Iterator[Span]:
        if _in_our_tool.get():
            ours = _in_our_tool.set(False)  # a tool the tool calls gets its own span again
            try:
                yield trace.get_current_span()
            finally:
                _in_our_tool.reset(ours)
            return
        with original(*args, **kwargs) as span:
            yield span

    trace_tool_span.otel_agent_trace_original = original  # type: ignore[attr-defined]
    return trace_tool_span

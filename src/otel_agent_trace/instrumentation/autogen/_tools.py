"""The tool wrappers of the AutoGen instrumentor: ``BaseTool.run_json`` and ``CodeExecutorAgent.execute_code_block``.

Both are ``execute_tool`` spans under the agent step that ran them (which they mark as a ``tool_call`` step). Our
tool span replaces autogen-core's own one for the same call (`quiet_tool_span`): one span per call.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind

from otel_agent_trace._internal.context import ToolScope, use_tool
from otel_agent_trace._internal.serialize import safe_json_dumps
from otel_agent_trace.instrumentation.autogen import _extract as X
from otel_agent_trace.instrumentation.autogen import _scopes as S
from otel_agent_trace.semconv import gen_ai as G
from otel_agent_trace.semconv import tool as T

_in_our_tool: contextvars.ContextVar[bool] = contextvars.ContextVar("otel_agent_trace_autogen_tool", default=False)


class _ToolCall:
    __slots__ = ("call_id", "name", "started")

    def __init__(self, name: str, call_id: str | None) -> None:
        self.name = name
        self.call_id = call_id
        self.started = time.perf_counter()


class _ToolSpanWrapper(S.SpanWrapper):
    """An ``execute_tool {name}`` span around the call, in a `ToolScope`; `result_of` gives status and result."""

    def _start_tool(self, name: str, call_id: str | None, attrs: dict[str, Any]) -> tuple[Span, _ToolCall]:
        turn = S.turn.get()
        if turn is not None:
            turn.ran_tool()
        attrs[G.GEN_AI_OPERATION_NAME] = G.GenAiOperationNameValues.EXECUTE_TOOL.value
        attrs[G.GEN_AI_TOOL_NAME] = name
        span = self.config.tracer.start_span(f"execute_tool {name}", kind=SpanKind.INTERNAL, attributes=attrs)
        return span, _ToolCall(name, call_id)

    def scope(self, state: _ToolCall) -> Iterable[tuple[contextvars.ContextVar[Any], Any]]:
        return ((_in_our_tool, True),)

    async def call(self, wrapped: Callable[..., Any], args: Any, kwargs: Any, state: _ToolCall) -> Any:
        with use_tool(ToolScope(state.name, state.call_id)):
            return await wrapped(*args, **kwargs)

    def result_of(self, result: Any) -> tuple[str, Any]:
        """(tool status, the result as recorded)."""
        return "ok", result

    def finish(self, span: Span, state: _ToolCall, result: Any, exc: BaseException | None) -> None:
        span.set_attribute(T.TOOL_LATENCY_MS, (time.perf_counter() - state.started) * 1000)
        if exc is not None:
            span.set_attribute(T.TOOL_STATUS, "error")
            return
        status, value = self.result_of(result)
        span.set_attribute(T.TOOL_STATUS, status)
        if self.config.capture():
            span.set_attribute(G.GEN_AI_TOOL_CALL_RESULT, safe_json_dumps(value))
        if status == "error":
            span.set_status(trace.Status(trace.StatusCode.ERROR, "tool reported an error"))


class ToolWrapper(_ToolSpanWrapper):
    """``BaseTool.run_json``: an ``execute_tool {name}`` span (AutoGen's own span for the call is not made)."""

    where = "tool"

    def start(self, instance: Any, args: Any, kwargs: Any) -> tuple[Span, _ToolCall]:
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
        return self._start_tool(name, call_id, attrs)


class CodeExecutionWrapper(_ToolSpanWrapper):
    """``CodeExecutorAgent.execute_code_block``: ``execute_tool code_execution``, code in, terminal output out."""

    where = "code"

    def start(self, instance: Any, args: Any, kwargs: Any) -> tuple[Span, _ToolCall]:
        executor = getattr(instance, "_code_executor", None)
        attrs: dict[str, Any] = {G.GEN_AI_TOOL_TYPE: G.GenAiToolTypeValues.EXTENSION.value}
        attrs[G.GEN_AI_TOOL_DESCRIPTION] = f"code execution ({type(executor).__name__})"
        if self.config.capture():
            blocks = X.code_blocks(kwargs.get("code_blocks", args[0] if args else None))
            attrs[G.GEN_AI_TOOL_CALL_ARGUMENTS] = safe_json_dumps(blocks)
        return self._start_tool("code_execution", None, attrs)

    def result_of(self, result: Any) -> tuple[str, Any]:
        exit_code = getattr(result, "exit_code", None)
        value = {"exit_code": exit_code, "output": getattr(result, "output", None)}
        return ("error" if isinstance(exit_code, int) and exit_code != 0 else "ok"), value


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

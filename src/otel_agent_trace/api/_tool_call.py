"""The tool-call operation of the manual API: ``tool_call``, the ``execute_tool`` span and its handle."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from otel_agent_trace._internal.context import ToolScope, use_tool
from otel_agent_trace._internal.errors import guarded
from otel_agent_trace._internal.replay import arguments_hash, recording, replay_server
from otel_agent_trace._internal.settings import capture_content
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import gen_ai as G
from otel_agent_trace.semconv import replay as rp
from otel_agent_trace.semconv import tool as T

from ._operation import SpanHandle
from ._spans import _bound_arguments, _SpanOperation, _step_attributes
from ._values import budget, put_content, serialized, text


class ToolCallHandle(SpanHandle):
    """Handle of a tool call span; ``set_result`` records what the tool returned."""

    __slots__ = ("_args", "_started")
    _started: float

    @guarded(default=None)
    def set_arguments(self, arguments: Any) -> None:
        """Record the arguments (content capture only)."""
        if capture_content():
            self._note_arguments(self._set_content(G.GEN_AI_TOOL_CALL_ARGUMENTS, arguments))

    def _note_arguments(self, serialized_arguments: str | None) -> None:
        """Recording or replaying: fingerprint the serialized arguments (a replay matches tool calls by it)."""
        if serialized_arguments is not None and (replay_server() is not None or recording()):
            self._args = serialized_arguments
            self.span.set_attribute(rp.REPLAY_ARGUMENTS_HASH, arguments_hash(serialized_arguments))

    @guarded(default=None)
    def set_result(self, result: Any) -> None:
        """Record the tool's result (content capture only)."""
        if capture_content():
            self._set_content(G.GEN_AI_TOOL_CALL_RESULT, result)
            if replay_server() is not None or recording():
                self.span.set_attribute(rp.REPLAY_RESULT_KIND, "str" if issubclass(type(result), str) else "json")

    def _before_end(self, exc: BaseException | None) -> None:
        started = getattr(self, "_started", None)
        if started is not None:
            self.span.set_attribute(T.TOOL_LATENCY_MS, (time.perf_counter() - started) * 1000.0)
        self.span.set_attribute(T.TOOL_STATUS, "error" if isinstance(exc, Exception) else "ok")


class tool_call(_SpanOperation):
    """A tool execution: an ``execute_tool {name}`` span with arguments, result, latency and error.

    HTTP calls made inside it (with an HTTP instrumentor on) are marked as this tool's external interactions.
    """

    _handle_cls = ToolCallHandle
    _replay_kind = "tool"

    def __init__(
        self,
        name: str,
        *,
        call_id: str | None = None,
        arguments: Any = None,
        description: str | None = None,
        tool_type: str = "function",
    ) -> None:
        super().__init__()
        self.name = text(name) or "tool"
        self.call_id, self.description = text(call_id), text(description, budget())
        self.arguments, self.tool_type = arguments, text(tool_type) or "function"

    def _clone(self) -> tool_call:
        return tool_call(
            self.name,
            call_id=self.call_id,
            arguments=self.arguments,
            description=self.description,
            tool_type=self.tool_type,
        )

    def _span_name(self) -> str:
        return f"execute_tool {self.name}"

    def _attributes(self) -> dict[str, Any]:
        attrs = _step_attributes(A.AgentStepActionTypeValues.TOOL_CALL.value)
        attrs[G.GEN_AI_OPERATION_NAME] = G.GenAiOperationNameValues.EXECUTE_TOOL.value
        attrs[G.GEN_AI_TOOL_NAME] = self.name
        attrs[G.GEN_AI_TOOL_TYPE] = self.tool_type
        if self.call_id:
            attrs[G.GEN_AI_TOOL_CALL_ID] = self.call_id
        if self.description:
            attrs[G.GEN_AI_TOOL_DESCRIPTION] = self.description
        if self.arguments is not None and capture_content():
            put_content(attrs, G.GEN_AI_TOOL_CALL_ARGUMENTS, self.arguments)
        return attrs

    def _scopes(self, handle: SpanHandle, stack: ExitStack) -> None:
        assert isinstance(handle, ToolCallHandle)
        handle._started = time.perf_counter()
        stack.enter_context(use_tool(ToolScope(self.name, self.call_id)))
        if self.arguments is not None and capture_content() and (replay_server() is not None or recording()):
            handle._note_arguments(serialized(self.arguments)[0])

    def _on_call(self, handle: Any, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if self.arguments is None and capture_content():
            handle.set_arguments(_bound_arguments(func, args, kwargs))

    def _on_return(self, handle: Any, result: Any) -> None:
        handle.set_result(result)

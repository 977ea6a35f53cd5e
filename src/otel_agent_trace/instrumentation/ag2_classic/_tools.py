"""The tool wrappers of the AG2 Classic instrumentor: function tools and code execution, ``execute_tool`` spans.

- `FunctionWrapper`: ``ConversableAgent.execute_function``/``a_execute_function`` (tools from
  ``register_function``/``register_for_execution``): ``execute_tool {name}``, arguments and result with content
  capture, ``(False, ...)`` results and exceptions as errors.
- `CodeWrapper`: ``LocalCommandLineCodeExecutor.execute_code_blocks`` (the executor path) and
  ``ConversableAgent.execute_code_blocks`` (the legacy path): ``execute_tool code_execution``, code as arguments,
  exit code and terminal output as result. One span per execution (the executor inside the legacy path adds none).
"""

from __future__ import annotations

import contextvars
from typing import Any

from opentelemetry import trace

from otel_agent_trace._internal.serialize import safe_json_dumps
from otel_agent_trace._internal.tracing import record_failure
from otel_agent_trace.instrumentation.ag2_classic._spans import Opened, Wrapper, open_span
from otel_agent_trace.instrumentation.ag2_classic._wrappers import current_turn
from otel_agent_trace.semconv import gen_ai as G
from otel_agent_trace.semconv import tool as T

_in_code: contextvars.ContextVar[bool] = contextvars.ContextVar("otel_agent_trace_ag2c_code", default=False)


def _mark_turn(name: str) -> None:
    turn = current_turn.get()
    if turn is not None:
        turn.data["tools"].append(name)


def _tool_attrs(name: str, tool_type: str) -> dict[str, Any]:
    return {
        G.GEN_AI_OPERATION_NAME: G.GenAiOperationNameValues.EXECUTE_TOOL.value,
        G.GEN_AI_TOOL_NAME: name,
        G.GEN_AI_TOOL_TYPE: tool_type,
    }


def _fail(span: Any, message: str) -> None:
    span.set_attribute(T.TOOL_STATUS, "error")
    span.set_status(trace.Status(trace.StatusCode.ERROR, message))


class FunctionWrapper(Wrapper):
    """``execute_function(func_call, call_id=None, ...)`` -> ``(success, {"name", "role", "content"})``."""

    label = "ag2_classic.tool"

    def begin(self, instance: Any, args: Any, kwargs: Any) -> Opened | None:
        func_call = kwargs.get("func_call", args[0] if args else None)
        call = func_call if isinstance(func_call, dict) else {}
        raw = call.get("name")
        name = raw if isinstance(raw, str) and raw else "function"
        attrs = _tool_attrs(name, G.GenAiToolTypeValues.FUNCTION.value)
        call_id = kwargs.get("call_id", args[1] if len(args) > 1 else None)
        if isinstance(call_id, str) and call_id:
            attrs[G.GEN_AI_TOOL_CALL_ID] = call_id
        if self.config.capture():
            arguments = call.get("arguments")
            attrs[G.GEN_AI_TOOL_CALL_ARGUMENTS] = (
                arguments if isinstance(arguments, str) else safe_json_dumps(arguments)
            )
        _mark_turn(name)
        return open_span(self.config, f"execute_tool {name}", attrs, "tool")

    def end(self, opened: Opened, result: Any, exc: BaseException | None) -> None:
        span = opened.span
        if exc is not None:
            span.set_attribute(T.TOOL_STATUS, "error")
            record_failure(span, exc)
            return
        ok, payload = result if isinstance(result, tuple) and len(result) == 2 else (True, result)
        content = payload.get("content") if isinstance(payload, dict) else payload
        if self.config.capture():
            span.set_attribute(G.GEN_AI_TOOL_CALL_RESULT, safe_json_dumps(content))
        if ok is False:
            _fail(span, "tool reported an error")
        else:
            span.set_attribute(T.TOOL_STATUS, "ok")


def _blocks(value: Any) -> list[dict[str, Any]]:
    out = []
    for block in value if isinstance(value, (list, tuple)) else []:
        if isinstance(block, tuple) and len(block) == 2:  # the legacy path: (language, code)
            out.append({"language": block[0], "code": block[1]})
        else:
            out.append({"language": getattr(block, "language", None), "code": getattr(block, "code", None)})
    return out


class CodeWrapper(Wrapper):
    """``execute_code_blocks(code_blocks)``: ``execute_tool code_execution``."""

    label = "ag2_classic.code"

    def begin(self, instance: Any, args: Any, kwargs: Any) -> Opened | None:
        if _in_code.get():
            return None
        attrs = _tool_attrs("code_execution", G.GenAiToolTypeValues.EXTENSION.value)
        attrs[G.GEN_AI_TOOL_DESCRIPTION] = f"code execution ({type(instance).__name__})"
        if self.config.capture():
            attrs[G.GEN_AI_TOOL_CALL_ARGUMENTS] = safe_json_dumps(
                _blocks(kwargs.get("code_blocks", args[0] if args else None))
            )
        _mark_turn("code_execution")
        opened = open_span(self.config, "execute_tool code_execution", attrs, "code_execution")
        opened.set_var(_in_code, True)
        return opened

    def end(self, opened: Opened, result: Any, exc: BaseException | None) -> None:
        span = opened.span
        if exc is not None:
            span.set_attribute(T.TOOL_STATUS, "error")
            record_failure(span, exc)
            return
        if isinstance(result, tuple) and len(result) >= 2:  # legacy: (exitcode, logs)
            exit_code, output = result[0], result[1]
        else:
            exit_code, output = getattr(result, "exit_code", None), getattr(result, "output", None)
        if self.config.capture():
            span.set_attribute(G.GEN_AI_TOOL_CALL_RESULT, safe_json_dumps({"exit_code": exit_code, "output": output}))
        if isinstance(exit_code, int) and exit_code != 0:
            _fail(span, f"exit code {exit_code}")
        else:
            span.set_attribute(T.TOOL_STATUS, "ok")

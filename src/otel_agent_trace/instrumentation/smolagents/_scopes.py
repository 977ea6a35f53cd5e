"""The span scopes of the smolagents instrumentor: a span, the context it makes current, and how it ends.

A run scope owns its `RunState` and its step in progress; a step scope the tool calls the model asked for (their ids
go on the tool spans); a tool scope makes the tool current for HTTP spans; a chat scope suppresses the provider SDK
instrumentors under it and summarizes a stream.
"""

from __future__ import annotations

import contextvars
import threading
import time
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry.trace import Span

from otel_agent_trace._internal.context import (
    RunState,
    ToolScope,
    attach_span,
    suppress_llm_instrumentation,
    use_run,
    use_tool,
)
from otel_agent_trace._internal.errors import handle_internal_errors, log_internal_error
from otel_agent_trace._internal.replay import mark_result_kind
from otel_agent_trace._internal.serialize import safe_json_dumps
from otel_agent_trace._internal.tracing import error_event_attributes, record_failure
from otel_agent_trace.instrumentation.smolagents import _extract as X
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import error as E
from otel_agent_trace.semconv import gen_ai as G
from otel_agent_trace.semconv import tool as T

if TYPE_CHECKING:
    from otel_agent_trace.instrumentation.smolagents._config import Config


_Tokens = list[Any]

_STEP_HANDLER = "next_step"
"""``agent_trace.error.handler`` of a step error the agent loop goes on from (the model sees it in its memory)."""
_MAX_STEPS_HANDLER = "provide_final_answer"
"""``agent_trace.error.handler`` of ``AgentMaxStepsError``: the agent asks the model for a final answer instead."""

_REASONING = A.AgentStepActionTypeValues.REASONING.value
_TOOL_CALL = A.AgentStepActionTypeValues.TOOL_CALL.value
_RESPONSE = A.AgentStepActionTypeValues.RESPONSE.value
_PLANNING = A.AgentStepActionTypeValues.PLANNING.value


class _Scope:
    """A span and the context it makes current while the traced code runs; ends once."""

    __slots__ = ("config", "ended", "span")
    where = "smolagents.scope"

    def __init__(self, config: Config, span: Span) -> None:
        self.config = config
        self.span = span
        self.ended = False

    def _managers(self) -> tuple[AbstractContextManager[Any], ...]:
        return ()

    def _suppress_http(self) -> bool:
        return False

    def enter(self) -> _Tokens:
        """Make the span (and this scope's context) current; returns what `leave` needs."""
        tokens: _Tokens = []
        with handle_internal_errors(f"{self.where}.enter"):
            tokens.append(attach_span(self.span, suppress_http=self._suppress_http()))
            for manager in self._managers():
                manager.__enter__()
                tokens.append(manager)
        return tokens

    def leave(self, tokens: _Tokens) -> None:
        """Undo `enter`, innermost first."""
        with handle_internal_errors(f"{self.where}.leave"):
            for token in reversed(tokens):
                if isinstance(token, contextvars.Token):
                    otel_context.detach(token)
                else:
                    token.__exit__(None, None, None)

    def on_item(self, item: Any) -> None:
        """Record one item a traced generator yielded."""

    def _finish_attributes(self, result: Any) -> None:
        """Subclass hook: set what the successful end tells."""

    def _end(self) -> None:
        self.ended = True
        self.span.end()

    def finish(self, result: Any = None) -> None:
        """The traced call returned (or its generator was exhausted): record the outcome and end the span."""
        if self.ended:
            return
        with handle_internal_errors(f"{self.where}.finish"):
            self._finish_attributes(result)
        self._end()

    def fail(self, exc: BaseException) -> None:
        """The traced call raised ``exc``: record it (status ERROR, ``error.type``) and end the span."""
        if self.ended:
            return
        with handle_internal_errors(f"{self.where}.fail"):
            record_failure(self.span, exc)
            self._failed(exc)
        self._end()

    def _failed(self, exc: BaseException) -> None:
        """Subclass hook: what else a failure tells."""

    def abandon(self) -> None:
        """The traced generator was closed or dropped unfinished: end the span as it is."""
        if not self.ended:
            self._end()


_current_run: contextvars.ContextVar[_RunScope | None] = contextvars.ContextVar(
    "otel_agent_trace_smolagents_run", default=None
)
_current_tool: contextvars.ContextVar[object | None] = contextvars.ContextVar(
    "otel_agent_trace_smolagents_tool", default=None
)


class _RunScope(_Scope):
    """One ``MultiStepAgent.run``: the ``invoke_agent`` span, its `RunState`, its step in progress."""

    __slots__ = ("agent", "errors_seen", "name", "output", "run", "started", "step")
    where = "smolagents.run"

    def __init__(self, config: Config, span: Span, agent: Any, name: str, run: RunState) -> None:
        super().__init__(config, span)
        self.agent = agent
        self.name = name
        self.run = run
        self.step: _StepScope | None = None
        self.errors_seen: set[int] = set()
        self.started = time.time()
        self.output: Any = _NOTHING

    def enter(self) -> _Tokens:
        tokens = super().enter()
        with handle_internal_errors(f"{self.where}.enter"):
            tokens.append(_ContextVarReset(_current_run, _current_run.set(self)))
            manager = use_run(self.run)
            manager.__enter__()
            tokens.append(manager)
        return tokens

    def on_item(self, item: Any) -> None:
        if isinstance(item, self.config.final_answer_step_cls):
            self.output = getattr(item, "output", None)

    def handled_error(self, error: BaseException, handler: str) -> None:
        """An ``agent_trace.error`` event (``handled=True``) for an error the agent went on from."""
        if id(error) in self.errors_seen:
            return
        self.errors_seen.add(id(error))
        self.span.add_event(E.ERROR_EVENT_NAME, error_event_attributes(error, handled=True, handler=handler))
        self.span.set_attribute(E.ERROR_HANDLED, True)

    def _finish_attributes(self, result: Any) -> None:
        config = self.config
        # Errors the loop swallowed outside a step (final answer checks, max steps): read back from the memory.
        steps = getattr(getattr(self.agent, "memory", None), "steps", None)
        if isinstance(steps, list):
            for memory_step in steps:
                error = getattr(memory_step, "error", None)
                if not isinstance(error, config.agent_error):
                    continue
                start = getattr(getattr(memory_step, "timing", None), "start_time", None)
                if isinstance(start, float) and start < self.started:
                    continue  # a step of an earlier run (``reset=False``)
                handler = _MAX_STEPS_HANDLER if isinstance(error, config.max_steps_error) else _STEP_HANDLER
                self.handled_error(error, handler)
        if config.capture():
            output = self.output if self.output is not _NOTHING else getattr(result, "output", result)
            self.span.set_attribute(A.AGENT_STEP_OUTPUT, safe_json_dumps(output))


class _ContextVarReset:
    """`_Scope.leave` token of a plain ``ContextVar.set``."""

    __slots__ = ("token", "var")

    def __init__(self, var: contextvars.ContextVar[Any], token: contextvars.Token[Any]) -> None:
        self.var = var
        self.token = token

    def __exit__(self, *exc_info: Any) -> None:
        self.var.reset(self.token)


_NOTHING: Any = object()


class _StepScope(_Scope):
    """One agent step (action, planning, final answer): the ``step {index}`` span and the tool calls it asked for."""

    __slots__ = ("action_type", "lock", "memory_step", "pending", "run_scope")
    where = "smolagents.step"

    def __init__(self, config: Config, span: Span, run_scope: _RunScope, action_type: str, memory_step: Any) -> None:
        super().__init__(config, span)
        self.run_scope = run_scope
        self.action_type = action_type
        self.memory_step = memory_step
        self.pending: dict[str, list[tuple[str, Any]]] = {}
        self.lock = threading.Lock()

    def on_item(self, item: Any) -> None:
        config = self.config
        if isinstance(item, config.tool_call_cls):
            if self.action_type != _RESPONSE:
                self.action_type = _TOOL_CALL
            name, call_id = getattr(item, "name", None), getattr(item, "id", None)
            if isinstance(name, str) and isinstance(call_id, str):
                with self.lock:
                    self.pending.setdefault(name, []).append((call_id, getattr(item, "arguments", None)))
        elif isinstance(item, config.action_output_cls) and getattr(item, "is_final_answer", False):
            self.action_type = _RESPONSE
        elif isinstance(item, config.planning_step_cls):
            self.memory_step = item

    def take_call_id(self, tool_name: str, arguments: Any) -> str | None:
        """The id of the call of ``tool_name`` with ``arguments`` this step asked for (else its next one, or None).

        Parallel calls of one tool run in threads in any order: the arguments tell them apart.
        """
        with self.lock:
            calls = self.pending.get(tool_name)
            if not calls:
                return None
            index = next((i for i, call in enumerate(calls) if call[1] == arguments), 0)
            return calls.pop(index)[0]

    def _end(self) -> None:
        if self.run_scope.step is self:
            self.run_scope.step = None
        super()._end()

    def _finish_attributes(self, result: Any) -> None:
        self.span.set_attribute(A.AGENT_STEP_ACTION_TYPE, self.action_type)
        if self.config.capture():
            self._content(result)

    def _content(self, result: Any) -> None:
        memory_step = self.memory_step
        if memory_step is None:  # ``provide_final_answer`` returns the model's message
            content = getattr(result, "content", None)
            if content is not None:
                self.span.set_attribute(A.AGENT_STEP_OUTPUT, safe_json_dumps(content))
            return
        code = getattr(memory_step, "code_action", None)
        if code:
            self.span.set_attribute(A.AGENT_STEP_INPUT, safe_json_dumps(code))
        output = getattr(memory_step, "observations", None) or getattr(memory_step, "plan", None)
        if output:
            self.span.set_attribute(A.AGENT_STEP_OUTPUT, safe_json_dumps(output))

    def _failed(self, exc: BaseException) -> None:
        self.span.set_attribute(A.AGENT_STEP_ACTION_TYPE, self.action_type)
        config = self.config
        if isinstance(exc, config.agent_error) and not isinstance(exc, config.generation_error):
            self.run_scope.handled_error(exc, _STEP_HANDLER)  # ``_run_stream`` keeps it in memory and goes on


class _ToolScope(_Scope):
    """One ``Tool.__call__``: the ``execute_tool`` span, with the tool made current for HTTP spans under it."""

    __slots__ = ("call_id", "name", "start_ns", "tool")
    where = "smolagents.tool"

    def __init__(self, config: Config, span: Span, tool: Any, name: str, call_id: str | None, start_ns: int) -> None:
        super().__init__(config, span)
        self.tool = tool
        self.name = name
        self.call_id = call_id
        self.start_ns = start_ns

    def enter(self) -> _Tokens:
        tokens = super().enter()
        with handle_internal_errors(f"{self.where}.enter"):
            tokens.append(_ContextVarReset(_current_tool, _current_tool.set(self.tool)))
            manager = use_tool(ToolScope(self.name, self.call_id))
            manager.__enter__()
            tokens.append(manager)
        return tokens

    def _latency(self, status: str) -> None:
        self.span.set_attribute(T.TOOL_STATUS, status)
        self.span.set_attribute(T.TOOL_LATENCY_MS, (time.time_ns() - self.start_ns) / 1e6)

    def _finish_attributes(self, result: Any) -> None:
        self._latency("ok")
        if self.config.capture():
            self.span.set_attribute(G.GEN_AI_TOOL_CALL_RESULT, safe_json_dumps(result))
            mark_result_kind(self.span, result)

    def _failed(self, exc: BaseException) -> None:
        self._latency("error")


class _ChatScope(_Scope):
    """One model call: the ``chat`` CLIENT span; the provider SDK instrumentors and HTTP are suppressed under it."""

    __slots__ = ("capture", "summary")
    where = "smolagents.chat"

    def __init__(self, config: Config, span: Span, capture: bool, stream: bool) -> None:
        super().__init__(config, span)
        self.capture = capture
        self.summary = X.StreamSummary(capture) if stream else None

    def _suppress_http(self) -> bool:
        return not self.config.capture_http

    def _managers(self) -> tuple[AbstractContextManager[Any], ...]:
        return (suppress_llm_instrumentation(),)

    def on_item(self, item: Any) -> None:
        summary = self.summary
        if summary is not None:
            try:
                summary.observe(item)
            except Exception:  # noqa: BLE001 - per delta, cheaper than handle_internal_errors; same policy
                log_internal_error(f"{self.where}.observe")

    def _finish_attributes(self, result: Any) -> None:
        summary = self.summary
        if summary is not None:
            self.span.set_attributes(summary.attributes())
        else:
            self.span.set_attributes(X.response_attributes(result, capture=self.capture))

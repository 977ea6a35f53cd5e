"""The span scopes of the CrewAI instrumentor: how each crew run, task, agent, tool and LLM call opens its span.

The context variables that tie them together live here too; the wrappers that run the user's call are in `_wrappers`.
"""

from __future__ import annotations

import contextvars
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import INVALID_SPAN, Span, SpanKind

from otel_agent_trace._internal.context import (
    RunState,
    ToolScope,
    attach_span,
    current_run,
    suppress_llm_instrumentation,
    use_run,
    use_tool,
)
from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace._internal.replay import mark_result_kind
from otel_agent_trace._internal.serialize import safe_json_dumps
from otel_agent_trace._internal.tracing import error_event_attributes, record_failure
from otel_agent_trace.instrumentation.crewai import _extract as X
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import error as E
from otel_agent_trace.semconv import gen_ai as G
from otel_agent_trace.semconv import tool as T

if TYPE_CHECKING:
    from otel_agent_trace.instrumentation.crewai._wrappers import Config

_TOOL = "tool"


_LLM = "llm"


_HANDOFF = "handoff"


class _Step:
    """A task step in progress: what ran inside it."""

    __slots__ = ("kinds",)

    def __init__(self) -> None:
        self.kinds: set[str] = set()


class _AgentScope:
    """An agent executing a task."""

    __slots__ = ("agent", "role", "span", "task")

    def __init__(self, agent: Any, task: Any, role: str, span: Span) -> None:
        self.agent = agent
        self.task = task
        self.role = role
        self.span = span


class _LLMScope:
    """An LLM call in progress; CrewAI's call-completed event adds usage to its span."""

    __slots__ = ("llm", "span")

    def __init__(self, llm: Any, span: Span) -> None:
        self.llm = llm
        self.span = span


_crew: contextvars.ContextVar[Any] = contextvars.ContextVar("otel_agent_trace_crewai_crew", default=None)


_step: contextvars.ContextVar[_Step | None] = contextvars.ContextVar("otel_agent_trace_crewai_step", default=None)


_agent: contextvars.ContextVar[_AgentScope | None] = contextvars.ContextVar(
    "otel_agent_trace_crewai_agent", default=None
)


_tool: contextvars.ContextVar[Any] = contextvars.ContextVar("otel_agent_trace_crewai_tool", default=None)


_llm: contextvars.ContextVar[_LLMScope | None] = contextvars.ContextVar("otel_agent_trace_crewai_llm", default=None)


def _note(kind: str) -> None:
    step = _step.get()
    if step is not None:
        step.kinds.add(kind)


def _arg(args: tuple[Any, ...], kwargs: dict[str, Any], index: int, name: str) -> Any:
    if len(args) > index:
        return args[index]
    return kwargs.get(name)


def _fail(span: Span, exc: BaseException, where: str) -> None:
    with handle_internal_errors(where):
        record_failure(span, exc)


def _end(span: Span, stack: ExitStack) -> None:
    with handle_internal_errors("crewai.end"):
        stack.close()
    span.end()


# --- crew runs --------------------------------------------------------------------------------------------------------


@contextmanager
def _crew_scope(config: Config, crew: Any, inputs: Any) -> Iterator[Span | None]:
    """The ``invoke_workflow`` span of a crew run, current with its run state (``None`` when not traced)."""
    span: Span | None = None
    stack = ExitStack()
    with handle_internal_errors("crewai.kickoff.start"):
        name = X.crew_name(crew)
        run = RunState(agent_name=name)
        attributes = X.workflow_attributes(crew, name, run.run_id)
        if config.capture() and inputs:
            attributes[A.AGENT_STEP_INPUT] = safe_json_dumps(inputs)
        span = config.tracer.start_span(f"{X.INVOKE_WORKFLOW} {name}", attributes=attributes)
        token = attach_span(span, suppress_http=False)
        stack.callback(otel_context.detach, token)
        stack.enter_context(use_run(run))
        crew_token = _crew.set(crew)
        stack.callback(_crew.reset, crew_token)
    try:
        yield span
    except Exception as exc:
        if span is not None:
            _fail(span, exc, "crewai.kickoff.fail")
        raise
    finally:
        if span is not None:
            _end(span, stack)


def _crew_traced(crew: Any) -> bool:
    # ``kickoff_async`` runs ``kickoff`` in a thread with this context; ``stream=True`` re-enters ``kickoff``.
    return _crew.get() is not crew and getattr(crew, "stream", False) is not True


def _crew_output(config: Config, span: Span | None, result: Any) -> None:
    if span is None or not config.capture():
        return
    with handle_internal_errors("crewai.kickoff.output"):
        span.set_attribute(A.AGENT_STEP_OUTPUT, X.raw_output(result))


# --- tasks ------------------------------------------------------------------------------------------------------------


@contextmanager
def _task_scope(config: Config, task: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Iterator[Span | None]:
    span: Span | None = None
    step = _Step()
    stack = ExitStack()
    with handle_internal_errors("crewai.task.start"):
        name = X.task_name(task)
        agent = _arg(args, kwargs, 0, "agent") or getattr(task, "agent", None)
        attributes: dict[str, Any] = {
            A.AGENT_STEP_NAME: name,
            A.AGENT_STEP_ACTION_TYPE: A.AgentStepActionTypeValues.REASONING.value,
        }
        if agent is not None:
            attributes[G.GEN_AI_AGENT_NAME] = X.agent_role(agent)
        run = current_run()
        if run is not None:
            attributes[A.AGENT_STEP_INDEX] = run.next_step()
            attributes[A.AGENT_RUN_ID] = run.run_id
        if config.capture():
            attributes[A.AGENT_STEP_INPUT] = X.task_input(task, _arg(args, kwargs, 1, "context"))
        span = config.tracer.start_span(f"step {name}", attributes=attributes)
        stack.callback(otel_context.detach, attach_span(span, suppress_http=False))
        stack.callback(_step.reset, _step.set(step))
    try:
        yield span
    except Exception as exc:
        if span is not None:
            _fail(span, exc, "crewai.task.fail")
        raise
    finally:
        if span is not None:
            with handle_internal_errors("crewai.task.end"):
                span.set_attribute(A.AGENT_STEP_ACTION_TYPE, _action_type(step.kinds))
            _end(span, stack)


def _action_type(kinds: set[str]) -> str:
    if _HANDOFF in kinds:
        return A.AgentStepActionTypeValues.HANDOFF.value
    if _TOOL in kinds:
        return A.AgentStepActionTypeValues.TOOL_CALL.value
    if _LLM in kinds:
        return A.AgentStepActionTypeValues.LLM_CALL.value
    return A.AgentStepActionTypeValues.REASONING.value


def _task_output(config: Config, span: Span | None, result: Any) -> None:
    if span is None or not config.capture():
        return
    with handle_internal_errors("crewai.task.output"):
        span.set_attribute(A.AGENT_STEP_OUTPUT, X.raw_output(result))


# --- agents -----------------------------------------------------------------------------------------------------------


def _is_retry(agent: Any, task: Any) -> bool:
    """CrewAI retries a failed ``execute_task`` by calling it again from inside the failed one: record, no span."""
    outer = _agent.get()
    if outer is None or outer.agent is not agent or outer.task is not task:
        return False
    with handle_internal_errors("crewai.agent.retry"):
        error = sys.exc_info()[1]
        attempt = getattr(agent, "_times_executed", None)
        outer.span.add_event(
            E.ERROR_EVENT_NAME,
            error_event_attributes(
                error if error is not None else "retry",
                handled=True,
                handler="retry",
                retry_attempt=attempt if isinstance(attempt, int) else None,
            ),
        )
        outer.span.set_attribute(E.ERROR_HANDLED, True)
        outer.span.set_attribute(E.ERROR_HANDLER, "retry")
    return True


@contextmanager
def _agent_scope(config: Config, agent: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Iterator[Span | None]:
    span: Span | None = None
    stack = ExitStack()
    with handle_internal_errors("crewai.agent.start"):
        task = _arg(args, kwargs, 0, "task")
        role = X.agent_role(agent)
        attributes: dict[str, Any] = X.agent_attributes(agent, role, _arg(args, kwargs, 2, "tools"))
        outer = _agent.get()
        if outer is not None:
            attributes[A.AGENT_PARENT_NAME] = outer.role
            parent_id = getattr(outer.agent, "id", None)
            if parent_id is not None:
                attributes[A.AGENT_PARENT_ID] = str(parent_id)
            attributes[A.AGENT_STEP_ACTION_TYPE] = A.AgentStepActionTypeValues.HANDOFF.value
            _note(_HANDOFF)
        run = current_run()
        if run is not None:
            attributes[A.AGENT_RUN_ID] = run.run_id
        if config.capture() and task is not None:
            attributes[A.AGENT_STEP_INPUT] = X.task_input(task, _arg(args, kwargs, 1, "context"))
        span = config.tracer.start_span(f"{X.INVOKE_AGENT} {role}", attributes=attributes)
        stack.callback(otel_context.detach, attach_span(span, suppress_http=False))
        stack.callback(_agent.reset, _agent.set(_AgentScope(agent, task, role, span)))
    try:
        yield span
    except Exception as exc:
        if span is not None:
            _fail(span, exc, "crewai.agent.fail")
        raise
    finally:
        if span is not None:
            _end(span, stack)


def _agent_output(config: Config, span: Span | None, result: Any) -> None:
    if span is None or not config.capture():
        return
    with handle_internal_errors("crewai.agent.output"):
        span.set_attribute(A.AGENT_STEP_OUTPUT, result if isinstance(result, str) else safe_json_dumps(result))


# --- tools ------------------------------------------------------------------------------------------------------------


class _ToolCall:
    __slots__ = ("capture", "span", "stack", "start_ns")

    def __init__(self, span: Span, stack: ExitStack, capture: bool) -> None:
        self.span = span
        self.stack = stack
        self.capture = capture
        self.start_ns = time.monotonic_ns()

    def finish(self, result: Any) -> None:
        with handle_internal_errors("crewai.tool.finish"):
            span = self.span
            span.set_attribute(T.TOOL_LATENCY_MS, (time.monotonic_ns() - self.start_ns) / 1e6)
            if X.is_tool_failure(result):
                message = str(getattr(result, "message", result))
                span.set_attribute(T.TOOL_STATUS, "error")
                span.set_attribute(E.ERROR_TYPE, "ToolFailure")
                span.set_status(trace.Status(trace.StatusCode.ERROR, message[:1024]))
            else:
                span.set_attribute(T.TOOL_STATUS, "ok")
            if self.capture:
                span.set_attribute(G.GEN_AI_TOOL_CALL_RESULT, safe_json_dumps(result))
                mark_result_kind(span, result)
        _end(self.span, self.stack)

    def fail(self, exc: BaseException) -> None:
        with handle_internal_errors("crewai.tool.fail"):
            self.span.set_attribute(T.TOOL_LATENCY_MS, (time.monotonic_ns() - self.start_ns) / 1e6)
            self.span.set_attribute(T.TOOL_STATUS, "error")
            record_failure(self.span, exc)
        _end(self.span, self.stack)


def _start_tool(config: Config, instance: Any, arguments: Any) -> _ToolCall | None:
    """Start an ``execute_tool`` span, unless this very tool is already running here (a wrapper calling its tool)."""
    underlying = getattr(instance, "_original_tool", None) or instance
    if _tool.get() is underlying:
        return None
    call: _ToolCall | None = None
    with handle_internal_errors("crewai.tool.start"):
        name = str(getattr(instance, "name", None) or type(instance).__name__)
        capture = config.capture()
        attributes = X.tool_attributes(instance, name)
        if capture:
            attributes[G.GEN_AI_TOOL_CALL_ARGUMENTS] = safe_json_dumps(arguments)
        kind = type(getattr(instance, "_original_tool", None) or instance).__name__
        _note(_HANDOFF if kind in X.DELEGATION_TOOLS else _TOOL)
        span = config.tracer.start_span(f"{X.EXECUTE_TOOL} {name}", attributes=attributes)
        stack = ExitStack()
        stack.callback(otel_context.detach, attach_span(span, suppress_http=False))
        stack.enter_context(use_tool(ToolScope(name)))
        stack.callback(_tool.reset, _tool.set(underlying))
        call = _ToolCall(span, stack, capture)
    return call


# --- LLM calls --------------------------------------------------------------------------------------------------------


def _start_llm(config: Config, llm: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Span, ExitStack]:
    span: Span = INVALID_SPAN
    stack = ExitStack()
    with handle_internal_errors("crewai.llm.start"):
        attributes, model = X.llm_request_attributes(llm)
        if config.capture():
            X.llm_content_attributes(_arg(args, kwargs, 0, "messages"), _arg(args, kwargs, 1, "tools"), attributes)
        name = f"{X.CHAT} {model}" if model else X.CHAT
        span = config.tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes)
        _note(_LLM)
        stack.callback(otel_context.detach, attach_span(span, suppress_http=not config.capture_http))
        stack.callback(_llm.reset, _llm.set(_LLMScope(llm, span)))
        stack.enter_context(suppress_llm_instrumentation())
    return span, stack


def _finish_llm(config: Config, span: Span, stack: ExitStack, result: Any) -> None:
    with handle_internal_errors("crewai.llm.finish"):
        span.set_attributes(X.llm_result_attributes(result, capture=config.capture()))
    _end(span, stack)

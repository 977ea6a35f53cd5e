"""The span-making operations of the manual API: agent runs, steps, tool calls and decisions."""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from typing import Any, TypeVar

from opentelemetry.trace import INVALID_SPAN, SpanKind

from otel_agent_trace._internal.context import RunState, ToolScope, current_run, use_run, use_tool
from otel_agent_trace._internal.errors import guarded, handle_internal_errors
from otel_agent_trace._internal.replay import NOT_SERVED, arguments_hash, recording, replay_server
from otel_agent_trace._internal.serialize import content_hash
from otel_agent_trace._internal.settings import capture_content
from otel_agent_trace._internal.tracing import get_tracer
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import decision as D
from otel_agent_trace.semconv import gen_ai as G
from otel_agent_trace.semconv import replay as rp
from otel_agent_trace.semconv import tool as T

from ._operation import Operation, SpanHandle, attach_span
from ._values import budget, func_name, number, put_content, serialized, text, text_list

_F = TypeVar("_F", bound=Callable[..., Any])


@functools.lru_cache(maxsize=1024)
def _signature(func: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(func)


def _bound_arguments(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The call's arguments by parameter name (computed only with content capture on; signatures are cached)."""
    try:
        bound = _signature(func).bind_partial(*args, **kwargs)
    except Exception:  # noqa: BLE001 - no signature (a hostile __signature__, a builtin): positions and names
        return {"args": list(args), "kwargs": kwargs}
    return {k: v for k, v in bound.arguments.items() if k not in ("self", "cls")}


def _step_attributes(action_type: str) -> dict[str, Any]:
    run = current_run()
    attrs: dict[str, Any] = {A.AGENT_STEP_ACTION_TYPE: action_type}
    if run is not None:
        attrs[A.AGENT_STEP_INDEX] = run.next_step()
        attrs[A.AGENT_RUN_ID] = run.run_id
    return attrs


_PLAN_ACTIONS = frozenset({A.AgentStepActionTypeValues.PLANNING.value, G.GenAiOperationNameValues.PLAN.value})
"""Step action types that make the step the GenAI ``plan`` operation (the agent's planning phase)."""


def _plan_attributes(attrs: dict[str, Any]) -> None:
    """A planning step as the GenAI plan span: ``gen_ai.operation.name`` = ``plan`` and the run's agent."""
    attrs[G.GEN_AI_OPERATION_NAME] = G.GenAiOperationNameValues.PLAN.value
    run = current_run()
    if run is not None:
        if run.agent_name:
            attrs[G.GEN_AI_AGENT_NAME] = run.agent_name
        if run.agent_id:
            attrs[G.GEN_AI_AGENT_ID] = run.agent_id


class _SpanOperation(Operation[Any]):
    """An operation that opens a span, makes it current, and ends it on exit."""

    _handle_cls: type[SpanHandle] = SpanHandle
    _replay_kind: str | None = None
    """``tool``/``step``: in a replay, decorated calls are numbered by name and may be served (`_serve`)."""
    _replay_index = -1

    def _span_name(self) -> str:
        raise NotImplementedError

    def _attributes(self) -> dict[str, Any]:
        raise NotImplementedError

    def _scopes(self, handle: SpanHandle, stack: ExitStack) -> None:
        """Subclass hook: enter extra context (run, tool) into ``stack`` while the span is current."""

    def _enter(self) -> Any:
        stack = ExitStack()
        attributes: dict[str, Any] = {}
        with handle_internal_errors("api.attributes"):
            attributes = self._attributes()
        span: Any = INVALID_SPAN
        with handle_internal_errors("api.start_span"):
            span = get_tracer().start_span(self._span_name(), kind=SpanKind.INTERNAL, attributes=attributes)
        handle = self._handle_cls(span, stack)
        with handle_internal_errors("api.attach"):
            attach_span(span, stack)
        with handle_internal_errors("api.scopes"):
            self._scopes(handle, stack)
        server = replay_server()
        if server is not None and self._replay_kind is not None:
            with handle_internal_errors("api.replay"):
                self._replay_index = server.occurrence(self._replay_kind, getattr(self, "name", None) or "step")
        return handle

    def _serve(self, handle: Any) -> Any:
        server = replay_server()
        if server is None or self._replay_kind is None:
            return NOT_SERVED
        arguments = getattr(handle, "_args", None)
        return server.serve(self._replay_kind, getattr(self, "name", None) or "step", self._replay_index, arguments)

    def _fallback(self) -> Any:
        handle = self._handle_cls(INVALID_SPAN, ExitStack())
        if isinstance(handle, AgentRunHandle):
            handle.run = RunState()
        return handle

    def _exit(self, handle: Any, exc: BaseException | None) -> None:
        handle._finish(exc)


# --- agent runs -------------------------------------------------------------------------------------------------------


class AgentRunHandle(SpanHandle):
    """Handle of an agent run span (``invoke_agent``)."""

    __slots__ = ("run",)
    run: RunState

    @guarded(default=None)
    def set_output(self, output: Any) -> None:
        """Record the run's final output (content capture only)."""
        if capture_content():
            self._set_content(A.AGENT_STEP_OUTPUT, output)


class agent_run(_SpanOperation):
    """An agent run: an ``invoke_agent {name}`` span; steps inside it are numbered from 0.

    A run started inside another run is a sub-agent: it records the parent agent's name and id.

    Example::

        with agent_run("planner", agent_id="planner-1", version="2.1", config={"model": "gpt-4o"}):
            ...
    """

    _handle_cls = AgentRunHandle

    def __init__(
        self,
        name: str,
        *,
        agent_id: str | None = None,
        description: str | None = None,
        version: str | None = None,
        config: Any = None,
    ) -> None:
        super().__init__()
        self.name = text(name) or "agent"
        self.agent_id, self.description, self.version = text(agent_id), text(description, budget()), text(version)
        self.config = config

    def _clone(self) -> agent_run:
        return agent_run(
            self.name, agent_id=self.agent_id, description=self.description, version=self.version, config=self.config
        )

    def _span_name(self) -> str:
        return f"invoke_agent {self.name}"

    def _attributes(self) -> dict[str, Any]:
        outer = current_run()
        parent = outer if outer is not None and outer.agent_name is not None else None  # not a session's counter
        self._run = RunState(agent_name=self.name, agent_id=self.agent_id, parent=parent)
        attrs: dict[str, Any] = {
            G.GEN_AI_OPERATION_NAME: G.GenAiOperationNameValues.INVOKE_AGENT.value,
            G.GEN_AI_AGENT_NAME: self.name,
            A.AGENT_RUN_ID: self._run.run_id,
            A.AGENT_STEP_ACTION_TYPE: A.AgentStepActionTypeValues.HANDOFF.value
            if self._run.parent
            else A.AgentStepActionTypeValues.REASONING.value,
        }
        if self.agent_id:
            attrs[G.GEN_AI_AGENT_ID] = self.agent_id
        if self.description:
            attrs[G.GEN_AI_AGENT_DESCRIPTION] = self.description
        if self.version:
            attrs[G.GEN_AI_AGENT_VERSION] = self.version
        if self.config is not None:
            attrs[A.AGENT_CONFIG_HASH] = content_hash(self.config)
            put_content(attrs, A.AGENT_CONFIG, self.config)
        parent = self._run.parent
        if parent is not None:
            if parent.agent_name:
                attrs[A.AGENT_PARENT_NAME] = parent.agent_name
            if parent.agent_id:
                attrs[A.AGENT_PARENT_ID] = parent.agent_id
            attrs[A.AGENT_STEP_INDEX] = parent.next_step()
        return attrs

    def _scopes(self, handle: SpanHandle, stack: ExitStack) -> None:
        run = getattr(self, "_run", None) or RunState(agent_name=self.name, agent_id=self.agent_id)
        assert isinstance(handle, AgentRunHandle)
        handle.run = run
        run.span = handle.span
        stack.enter_context(use_run(run))

    def _on_call(self, handle: Any, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if capture_content():
            handle._set_content(A.AGENT_STEP_INPUT, _bound_arguments(func, args, kwargs))

    def _on_return(self, handle: Any, result: Any) -> None:
        handle.set_output(result)


# --- steps ------------------------------------------------------------------------------------------------------------


class StepHandle(SpanHandle):
    """Handle of an agent step span."""

    __slots__ = ()

    @guarded(default=None)
    def set_input(self, value: Any) -> None:
        """Record the step's input (content capture only)."""
        if capture_content():
            self._set_content(A.AGENT_STEP_INPUT, value)

    @guarded(default=None)
    def set_output(self, value: Any) -> None:
        """Record the step's output (content capture only)."""
        if capture_content():
            self._set_content(A.AGENT_STEP_OUTPUT, value)


class agent_step(_SpanOperation):
    """One step of an agent run: a ``step {name}`` span with its index and action type.

    As a decorator the step is named after the function unless ``name`` is given, and (with content capture)
    records the call's arguments as input and its return value as output. A planning step
    (``action_type="planning"`` or ``"plan"``) is the GenAI ``plan`` operation: it also carries
    ``gen_ai.operation.name`` = ``plan`` and its run's ``gen_ai.agent.name``/``id``.
    """

    _handle_cls = StepHandle
    _replay_kind = "step"

    def __init__(self, name: str | None = None, *, action_type: str = "reasoning") -> None:
        super().__init__()
        self.name = text(name)
        self.action_type = text(action_type) or "reasoning"

    def __new__(cls, name: Any = None, **kwargs: Any) -> Any:
        if callable(name):  # bare ``@agent_step``: decorate right away
            op = super().__new__(cls)
            op.__init__(None, **kwargs)  # type: ignore[misc]
            return op(name)
        return super().__new__(cls)

    def _clone(self) -> agent_step:
        return agent_step(self.name, action_type=self.action_type)

    def __call__(self, func: _F) -> _F:
        if self.name is None:
            self.name = func_name(func, "step")
        return super().__call__(func)

    def _span_name(self) -> str:
        return f"step {self.name or 'step'}"

    def _attributes(self) -> dict[str, Any]:
        attrs = _step_attributes(self.action_type)
        attrs[A.AGENT_STEP_NAME] = self.name or "step"
        if self.action_type in _PLAN_ACTIONS:
            _plan_attributes(attrs)
        return attrs

    def _on_call(self, handle: Any, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if capture_content():
            handle.set_input(_bound_arguments(func, args, kwargs))

    def _on_return(self, handle: Any, result: Any) -> None:
        handle.set_output(result)


step = agent_step
"""Short alias of `agent_step`."""


# --- tool calls -------------------------------------------------------------------------------------------------------


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


# --- decisions --------------------------------------------------------------------------------------------------------


class DecisionHandle(SpanHandle):
    """Handle of a decision span; ``choose`` records the option taken."""

    __slots__ = ()

    @guarded(default=None)
    def choose(self, chosen: Any, *, rationale: str | None = None, confidence: float | None = None) -> None:
        """Record the chosen option, and why (rationale: content capture only) and how sure (0..1)."""
        self._set_content(D.DECISION_CHOSEN, chosen)
        if rationale is not None and capture_content():
            self.set_attribute(D.DECISION_RATIONALE, text(rationale, budget()))
        self.set_attribute(D.DECISION_CONFIDENCE, number(confidence))


class decision(_SpanOperation):
    """A decision point: a ``decision {name}`` span with condition, options, the chosen one and the rationale.

    As a decorator, the function's return value is recorded as the chosen option.
    """

    _handle_cls = DecisionHandle

    def __init__(
        self,
        name: str,
        *,
        condition: str | None = None,
        options: Sequence[str] | None = None,
        chosen: Any = None,
        rationale: str | None = None,
        confidence: float | None = None,
    ) -> None:
        super().__init__()
        self.name = text(name) or "decision"
        self.condition, self.options, self.chosen = text(condition, budget()), options, chosen
        self.rationale, self.confidence = rationale, confidence

    def _clone(self) -> decision:
        return decision(
            self.name,
            condition=self.condition,
            options=self.options,
            chosen=self.chosen,
            rationale=self.rationale,
            confidence=self.confidence,
        )

    def _span_name(self) -> str:
        return f"decision {self.name}"

    def _attributes(self) -> dict[str, Any]:
        attrs = _step_attributes(A.AgentStepActionTypeValues.DECISION.value)
        attrs[D.DECISION_NAME] = self.name
        if self.condition is not None:
            attrs[D.DECISION_CONDITION] = self.condition
        if self.options is not None:
            attrs[D.DECISION_OPTIONS] = text_list(self.options, budget())
        return attrs

    def _scopes(self, handle: SpanHandle, stack: ExitStack) -> None:
        if self.chosen is not None or self.rationale is not None or self.confidence is not None:
            assert isinstance(handle, DecisionHandle)
            if self.chosen is not None:
                handle.choose(self.chosen, rationale=self.rationale, confidence=self.confidence)
            else:
                if self.rationale is not None and capture_content():
                    handle.set_attribute(D.DECISION_RATIONALE, text(self.rationale, budget()))
                handle.set_attribute(D.DECISION_CONFIDENCE, number(self.confidence))

    def _on_return(self, handle: Any, result: Any) -> None:
        if result is not None:
            handle.choose(result)

    def _keeps_result(self) -> bool:
        return True  # the chosen option is recorded whatever the content setting

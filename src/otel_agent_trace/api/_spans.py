"""The span-making operations of the manual API: agent runs and steps (tool calls and decisions: their modules)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any, TypeVar

from opentelemetry.trace import INVALID_SPAN, SpanKind

from otel_agent_trace._internal.context import RunState, current_run, use_run
from otel_agent_trace._internal.errors import guarded, handle_internal_errors
from otel_agent_trace._internal.replay import NOT_SERVED, replay_server
from otel_agent_trace._internal.serialize import content_hash
from otel_agent_trace._internal.settings import capture_content
from otel_agent_trace._internal.tracing import get_tracer
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import gen_ai as G

from ._operation import Operation, SpanHandle, attach_span
from ._values import budget, func_name, put_content, text

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

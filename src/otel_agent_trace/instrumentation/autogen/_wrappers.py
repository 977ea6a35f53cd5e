"""The wrappers of the AutoGen instrumentor: team runs, agent turns, speaker selection, tools, code execution.

A team run (``BaseGroupChat.run_stream``, which ``run`` drives) is an async generator: `TracedTeamStream` makes the
``invoke_workflow`` span (and the `_TeamRun` holding the step counter) current for each ``__anext__``, so the
runtime task AutoGen starts in the first one, and every handler task it spawns, inherit it. Agent turns and speaker
selections run in those tasks; their spans name the team span as parent explicitly, so AutoGen's own runtime spans
(``autogen publish``/``process``) do not come between the team and its steps.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind

from otel_agent_trace._internal.context import RunState, attach_span, is_enabled, use_run
from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace._internal.serialize import safe_json_dumps
from otel_agent_trace._internal.tracing import record_failure
from otel_agent_trace.instrumentation.autogen import _extract as X
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import decision as D
from otel_agent_trace.semconv import gen_ai as G

_RESPONSE = A.AgentStepActionTypeValues.RESPONSE.value
_TOOL_CALL = A.AgentStepActionTypeValues.TOOL_CALL.value
_HANDOFF = A.AgentStepActionTypeValues.HANDOFF.value
_DECISION = A.AgentStepActionTypeValues.DECISION.value
_TOOL_EVENTS = frozenset({"ToolCallRequestEvent", "ToolCallExecutionEvent", "CodeGenerationEvent"})
_CODE_EVENTS = frozenset({"CodeExecutionEvent"})
_HANDOFF_MESSAGES = frozenset({"HandoffMessage"})


class Config:
    """What every wrapper needs: the tracer and the content switch."""

    __slots__ = ("capture", "tracer")

    def __init__(self, tracer: trace.Tracer, capture: Callable[[], bool]) -> None:
        self.tracer = tracer
        self.capture = capture


class _TeamRun:
    """One team run: its span, its `RunState` (step counter, run id), how it stopped."""

    __slots__ = ("condition", "reason", "run", "span")

    def __init__(self, span: Span, run: RunState) -> None:
        self.span = span
        self.run = run
        self.condition: str | None = None
        self.reason: str | None = None


class _Turn:
    """One agent turn: the messages it produced (`LogMessageWrapper` adds them) and what it did."""

    __slots__ = ("action_type", "produced")

    def __init__(self) -> None:
        self.produced: list[Any] = []
        self.action_type = _RESPONSE

    def add(self, message: Any) -> None:
        kind = type(message).__name__
        if kind in _HANDOFF_MESSAGES:
            self.action_type = _HANDOFF
        elif kind in _TOOL_EVENTS or kind in _CODE_EVENTS:
            self.ran_tool()
        if len(self.produced) < X.MAX_MESSAGES:
            self.produced.append(message)

    def ran_tool(self) -> None:
        """A tool or code execution ran in this turn (a handoff stays the turn's action)."""
        if self.action_type != _HANDOFF:
            self.action_type = _TOOL_CALL


_team: contextvars.ContextVar[_TeamRun | None] = contextvars.ContextVar("otel_agent_trace_autogen_team", default=None)
_selection: contextvars.ContextVar[Span | None] = contextvars.ContextVar(
    "otel_agent_trace_autogen_selection", default=None
)
_turn: contextvars.ContextVar[_Turn | None] = contextvars.ContextVar("otel_agent_trace_autogen_turn", default=None)


def current_turn() -> _Turn | None:
    """The agent turn in progress here, if any (tools mark it as a ``tool_call`` step)."""
    return _turn.get()


def _parent(team: _TeamRun | None) -> otel_context.Context | None:
    return trace.set_span_in_context(team.span) if team is not None else None


def _step_attributes(team: _TeamRun | None, action_type: str) -> dict[str, Any]:
    attrs: dict[str, Any] = {A.AGENT_STEP_ACTION_TYPE: action_type}
    if team is not None:
        attrs[A.AGENT_STEP_INDEX] = team.run.next_step()
        attrs[A.AGENT_RUN_ID] = team.run.run_id
    return attrs


# --- team run -------------------------------------------------------------------------------------------------


class TracedTeamStream:
    """``run_stream``'s async generator, with the team span current while it runs; ends the span exactly once."""

    def __init__(self, config: Config, inner: Any, team: _TeamRun) -> None:
        self._config = config
        self._inner = inner
        self._team = team
        self._ended = False

    def __aiter__(self) -> TracedTeamStream:
        return self

    def _enter(self) -> list[Any]:
        tokens: list[Any] = []
        with handle_internal_errors("autogen.team.enter"):
            tokens.append(attach_span(self._team.span, suppress_http=False))
            tokens.append(_team.set(self._team))
            manager = use_run(self._team.run)
            manager.__enter__()
            tokens.append(manager)
        return tokens

    def _leave(self, tokens: list[Any]) -> None:
        with handle_internal_errors("autogen.team.leave"):
            for token in reversed(tokens):
                if isinstance(token, contextvars.Token):
                    if token.var is _team:
                        _team.reset(token)
                    else:
                        otel_context.detach(token)
                else:
                    token.__exit__(None, None, None)

    async def _resume(self, method: Callable[..., Any], *args: Any) -> Any:
        tokens = self._enter()
        try:
            item = await method(*args)
        except StopAsyncIteration:
            self._end(None)
            raise
        except BaseException as exc:
            self._end(exc)
            raise
        finally:
            self._leave(tokens)
        self._on_item(item)
        return item

    async def __anext__(self) -> Any:
        return await self._resume(self._inner.__anext__)

    async def asend(self, value: Any) -> Any:
        return await self._resume(self._inner.asend, value)

    async def athrow(self, *args: Any) -> Any:
        return await self._resume(self._inner.athrow, *args)

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            self._end(None)

    def _on_item(self, item: Any) -> None:
        with handle_internal_errors("autogen.team.item"):
            if type(item).__name__ == "TaskResult":
                reason = X.text(getattr(item, "stop_reason", None))
                if reason is not None:
                    self._team.reason = reason
                if self._config.capture():
                    produced = X.messages(getattr(item, "messages", None), True)
                    self._team.span.set_attribute(A.AGENT_STEP_OUTPUT, safe_json_dumps(produced[-1:]))

    def _end(self, exc: BaseException | None) -> None:
        if self._ended:
            return
        self._ended = True
        with handle_internal_errors("autogen.team.end"):
            span = self._team.span
            if self._team.condition is not None:
                span.set_attribute(A.TERMINATION_CONDITION, self._team.condition)
            if self._team.reason is not None:
                span.set_attribute(A.TERMINATION_REASON, self._team.reason)
            if exc is not None and not isinstance(exc, GeneratorExit):
                record_failure(span, exc)
            span.end()

    def __del__(self) -> None:  # abandoned unread: the span still ends
        self._end(None)


def start_team(config: Config, team: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _TeamRun | None:
    """The team run's ``invoke_workflow`` span (not current yet) and its `_TeamRun`."""
    name = X.text(getattr(team, "name", None)) or type(team).__name__
    participants = X.names([getattr(p, "name", None) for p in getattr(team, "_participants", None) or ()])
    run = RunState(agent_name=name)
    attrs: dict[str, Any] = {
        G.GEN_AI_OPERATION_NAME: G.GenAiOperationNameValues.INVOKE_WORKFLOW.value,
        G.GEN_AI_WORKFLOW_NAME: name,
        A.AGENT_RUN_ID: run.run_id,
    }
    if participants:
        attrs[A.AGENT_HANDOFFS] = participants
    if config.capture():
        task = kwargs.get("task", args[0] if args else None)
        if task is not None:
            payload = X.messages(task, True) if isinstance(task, (list, tuple)) else task
            if not isinstance(task, (str, list, tuple)):
                payload = [X.message(task, True)]
            attrs[A.AGENT_STEP_INPUT] = safe_json_dumps(payload)
    span = config.tracer.start_span(f"invoke_workflow {name}", kind=SpanKind.INTERNAL, attributes=attrs)
    run.span = span
    return _TeamRun(span, run)


class RunStreamWrapper:
    """``BaseGroupChat.run_stream``: the team run span around the stream."""

    def __init__(self, config: Config) -> None:
        self.config = config

    def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if not is_enabled():
            return wrapped(*args, **kwargs)
        team: _TeamRun | None = None
        with handle_internal_errors("autogen.team.start"):
            team = start_team(self.config, instance, args, kwargs)
        inner = wrapped(*args, **kwargs)
        if team is None:
            return inner
        return TracedTeamStream(self.config, inner, team)


class TerminationWrapper:
    """``BaseGroupChatManager._signal_termination``: which condition stopped the run (its ``StopMessage`` source)."""

    def __init__(self, config: Config) -> None:
        self.config = config

    async def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        with handle_internal_errors("autogen.termination"):
            team = _team.get()
            message = args[0] if args else kwargs.get("message")
            if team is not None and message is not None:
                team.condition = X.text(getattr(message, "source", None))
                team.reason = X.text(getattr(message, "content", None))
        return await wrapped(*args, **kwargs)


# --- agent turns ----------------------------------------------------------------------------------------------


class TurnWrapper:
    """``ChatAgentContainer.handle_request``: one agent's turn, a ``step {agent}`` span of the team run.

    Input: the messages the agent received since its last turn (its buffer); output: the messages and events it
    produced. Each is ``{"id", "source", "type"}`` (plus ``content`` with content capture), the shape the RCA's
    message links read to tell who wrote what each turn answered.
    """

    def __init__(self, config: Config) -> None:
        self.config = config

    async def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if not is_enabled():
            return await wrapped(*args, **kwargs)
        span: Span | None = None
        turn = _Turn()
        with handle_internal_errors("autogen.turn.start"):
            span = self._start(instance)
        if span is None:
            return await wrapped(*args, **kwargs)
        token = attach_span(span, suppress_http=False)
        turn_token = _turn.set(turn)
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as exc:
            self._end(span, turn, exc)
            raise
        finally:
            _turn.reset(turn_token)
            otel_context.detach(token)
        self._end(span, turn, None)
        return result

    def _start(self, container: Any) -> Span:
        agent = getattr(container, "_agent", None)
        name = X.text(getattr(agent, "name", None)) or type(agent).__name__
        team = _team.get()
        attrs = _step_attributes(team, _RESPONSE)
        attrs[A.AGENT_STEP_NAME] = name
        attrs[G.GEN_AI_AGENT_NAME] = name
        description = X.text(getattr(agent, "description", None))
        if description is not None:
            attrs[G.GEN_AI_AGENT_DESCRIPTION] = description
        agent_id = getattr(container, "id", None)
        if agent_id is not None:
            attrs[G.GEN_AI_AGENT_ID] = str(agent_id)
        received = X.messages(list(getattr(container, "_message_buffer", None) or ()), self.config.capture())
        attrs[A.AGENT_STEP_INPUT] = safe_json_dumps(received)
        return self.config.tracer.start_span(
            f"step {name}", context=_parent(team), kind=SpanKind.INTERNAL, attributes=attrs
        )

    def _end(self, span: Span, turn: _Turn, exc: BaseException | None) -> None:
        with handle_internal_errors("autogen.turn.end"):
            span.set_attribute(A.AGENT_STEP_ACTION_TYPE, turn.action_type)
            span.set_attribute(A.AGENT_STEP_OUTPUT, safe_json_dumps(X.messages(turn.produced, self.config.capture())))
            if exc is not None:
                record_failure(span, exc)
            span.end()


class LogMessageWrapper:
    """``ChatAgentContainer._log_message``: each message or event of the turn in progress, for its output."""

    def __init__(self, config: Config) -> None:
        self.config = config

    async def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        with handle_internal_errors("autogen.turn.message"):
            turn = _turn.get()
            message = args[0] if args else kwargs.get("message")
            if turn is not None and message is not None:
                turn.add(message)
        return await wrapped(*args, **kwargs)


# --- speaker selection ----------------------------------------------------------------------------------------


class SelectSpeakerWrapper:
    """``select_speaker`` of the RoundRobin, Selector and Swarm managers: a ``decision speaker_selection`` span."""

    def __init__(self, config: Config) -> None:
        self.config = config

    async def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if not is_enabled():
            return await wrapped(*args, **kwargs)
        span: Span | None = None
        with handle_internal_errors("autogen.select.start"):
            team = _team.get()
            attrs = _step_attributes(team, _DECISION)
            attrs[D.DECISION_NAME] = "speaker_selection"
            attrs[D.DECISION_CONDITION] = X.selection_method(instance)
            options = X.candidates(instance)
            if options:
                attrs[D.DECISION_OPTIONS] = options
            span = self.config.tracer.start_span(
                "decision speaker_selection", context=_parent(team), kind=SpanKind.INTERNAL, attributes=attrs
            )
        if span is None:
            return await wrapped(*args, **kwargs)
        token = attach_span(span, suppress_http=False)
        selection = _selection.set(span)
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as exc:
            with handle_internal_errors("autogen.select.end"):
                record_failure(span, exc)
                span.end()
            raise
        finally:
            _selection.reset(selection)
            otel_context.detach(token)
        with handle_internal_errors("autogen.select.end"):
            picked = X.chosen(result)
            if picked is not None:
                span.set_attribute(D.DECISION_CHOSEN, picked)
            span.end()
        return result


class SelectorAnswerWrapper:
    """``BaseOpenAIChatCompletionClient.create``: in a speaker selection, the selector's answer is the rationale.

    Content capture only; outside a selection it calls straight through.
    """

    def __init__(self, config: Config) -> None:
        self.config = config

    async def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        result = await wrapped(*args, **kwargs)
        with handle_internal_errors("autogen.select.rationale"):
            span = _selection.get()
            if span is not None and self.config.capture():
                answer = X.text(getattr(result, "content", None))
                if answer is not None:
                    span.set_attribute(D.DECISION_RATIONALE, safe_json_dumps(answer))  # the last attempt's answer
        return result

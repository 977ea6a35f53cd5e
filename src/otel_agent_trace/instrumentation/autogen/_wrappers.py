"""The team-run and agent-turn wrappers of the AutoGen instrumentor, and the termination it records.

A team run (``BaseGroupChat.run_stream``, which ``run`` drives) is an async generator: `TracedTeamStream` makes the
``invoke_workflow`` span (and the `TeamRun` holding the step counter) current for each ``__anext__``, so the
runtime task AutoGen starts in the first one, and every handler task it spawns, inherit it (see `_scopes`).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.trace import Span, SpanKind

from otel_agent_trace._internal.context import RunState, attach_span, is_enabled, use_run
from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace._internal.serialize import safe_json_dumps
from otel_agent_trace._internal.tracing import record_failure
from otel_agent_trace.instrumentation.autogen import _extract as X
from otel_agent_trace.instrumentation.autogen import _scopes as S
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import gen_ai as G

# --- team run -------------------------------------------------------------------------------------------------


class TracedTeamStream:
    """``run_stream``'s async generator, with the team span current while it runs; ends the span exactly once."""

    def __init__(self, config: S.Config, inner: Any, team: S.TeamRun) -> None:
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
            tokens.append(S.team.set(self._team))
            manager = use_run(self._team.run)
            manager.__enter__()
            tokens.append(manager)
        return tokens

    def _leave(self, tokens: list[Any]) -> None:
        with handle_internal_errors("autogen.team.leave"):
            for token in reversed(tokens):
                if isinstance(token, contextvars.Token):
                    if token.var is S.team:
                        S.team.reset(token)
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


def start_team(config: S.Config, team: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> S.TeamRun | None:
    """The team run's ``invoke_workflow`` span (not current yet) and its `TeamRun`."""
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
    return S.TeamRun(span, run)


class RunStreamWrapper:
    """``BaseGroupChat.run_stream``: the team run span around the stream."""

    def __init__(self, config: S.Config) -> None:
        self.config = config

    def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if not is_enabled():
            return wrapped(*args, **kwargs)
        team: S.TeamRun | None = None
        with handle_internal_errors("autogen.team.start"):
            team = start_team(self.config, instance, args, kwargs)
        inner = wrapped(*args, **kwargs)
        if team is None:
            return inner
        return TracedTeamStream(self.config, inner, team)


class TerminationWrapper:
    """``BaseGroupChatManager._signal_termination``: which condition stopped the run (its ``StopMessage`` source)."""

    def __init__(self, config: S.Config) -> None:
        self.config = config

    async def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        with handle_internal_errors("autogen.termination"):
            team = S.team.get()
            message = args[0] if args else kwargs.get("message")
            if team is not None and message is not None:
                team.condition = X.text(getattr(message, "source", None))
                team.reason = X.text(getattr(message, "content", None))
        return await wrapped(*args, **kwargs)


# --- agent turns ----------------------------------------------------------------------------------------------


class TurnWrapper(S.SpanWrapper):
    """``ChatAgentContainer.handle_request``: one agent's turn, a ``step {agent}`` span of the team run.

    Input: the messages the agent received since its last turn (its buffer); output: the messages and events it
    produced. Each is ``{"id", "source", "type"}`` (plus ``content`` with content capture), the shape the RCA's
    message links read to tell who wrote what each turn answered.
    """

    where = "turn"

    def start(self, instance: Any, args: Any, kwargs: Any) -> tuple[Span, S.Turn]:
        agent = getattr(instance, "_agent", None)
        name = X.text(getattr(agent, "name", None)) or type(agent).__name__
        team = S.team.get()
        attrs = S.step_attributes(team, S.RESPONSE)
        attrs[A.AGENT_STEP_NAME] = name
        attrs[G.GEN_AI_AGENT_NAME] = name
        description = X.text(getattr(agent, "description", None))
        if description is not None:
            attrs[G.GEN_AI_AGENT_DESCRIPTION] = description
        agent_id = getattr(instance, "id", None)
        if agent_id is not None:
            attrs[G.GEN_AI_AGENT_ID] = str(agent_id)
        received = X.messages(list(getattr(instance, "_message_buffer", None) or ()), self.config.capture())
        attrs[A.AGENT_STEP_INPUT] = safe_json_dumps(received)
        span = self.config.tracer.start_span(
            f"step {name}", context=S.parent(team), kind=SpanKind.INTERNAL, attributes=attrs
        )
        return span, S.Turn()

    def scope(self, state: S.Turn) -> Iterable[tuple[contextvars.ContextVar[Any], Any]]:
        return ((S.turn, state),)

    def finish(self, span: Span, state: S.Turn, result: Any, exc: BaseException | None) -> None:
        span.set_attribute(A.AGENT_STEP_ACTION_TYPE, state.action_type)
        span.set_attribute(A.AGENT_STEP_OUTPUT, safe_json_dumps(X.messages(state.produced, self.config.capture())))


class LogMessageWrapper:
    """``ChatAgentContainer._log_message``: each message or event of the turn in progress, for its output."""

    def __init__(self, config: S.Config) -> None:
        self.config = config

    async def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        with handle_internal_errors("autogen.turn.message"):
            turn = S.turn.get()
            message = args[0] if args else kwargs.get("message")
            if turn is not None and message is not None:
                turn.add(message)
        return await wrapped(*args, **kwargs)

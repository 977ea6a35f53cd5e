"""What the AutoGen wrappers share: `Config`, the run/turn/selection state in context variables, `SpanWrapper`.

A team run (``BaseGroupChat.run_stream``) sets `team` for the runtime task AutoGen starts in it, and every handler
task that one spawns inherits it; an agent turn sets `turn`, a speaker selection `selection`. Step and decision spans
name the team span as parent explicitly (`parent`), so AutoGen's own runtime spans (``autogen publish``/``process``)
do not come between the team and its steps.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span

from otel_agent_trace._internal.context import RunState, attach_span, is_enabled
from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace._internal.tracing import record_failure
from otel_agent_trace.instrumentation.autogen import _extract as X
from otel_agent_trace.semconv import agent as A

RESPONSE = A.AgentStepActionTypeValues.RESPONSE.value
TOOL_CALL = A.AgentStepActionTypeValues.TOOL_CALL.value
HANDOFF = A.AgentStepActionTypeValues.HANDOFF.value
DECISION = A.AgentStepActionTypeValues.DECISION.value
_TOOL_EVENTS = frozenset(
    {"ToolCallRequestEvent", "ToolCallExecutionEvent", "CodeGenerationEvent", "CodeExecutionEvent"}
)
_HANDOFF_MESSAGES = frozenset({"HandoffMessage"})


class Config:
    """What every wrapper needs: the tracer and the content switch."""

    __slots__ = ("capture", "tracer")

    def __init__(self, tracer: trace.Tracer, capture: Callable[[], bool]) -> None:
        self.tracer = tracer
        self.capture = capture


class TeamRun:
    """One team run: its span, its `RunState` (step counter, run id), how it stopped."""

    __slots__ = ("condition", "reason", "run", "span")

    def __init__(self, span: Span, run: RunState) -> None:
        self.span = span
        self.run = run
        self.condition: str | None = None
        self.reason: str | None = None


class Turn:
    """One agent turn: the messages it produced (``LogMessageWrapper`` adds them) and what it did."""

    __slots__ = ("action_type", "produced")

    def __init__(self) -> None:
        self.produced: list[Any] = []
        self.action_type = RESPONSE

    def add(self, message: Any) -> None:
        """A message or event the turn produced."""
        kind = type(message).__name__
        if kind in _HANDOFF_MESSAGES:
            self.action_type = HANDOFF
        elif kind in _TOOL_EVENTS:
            self.ran_tool()
        if len(self.produced) < X.MAX_MESSAGES:
            self.produced.append(message)

    def ran_tool(self) -> None:
        """A tool or code execution ran in this turn (a handoff stays the turn's action)."""
        if self.action_type != HANDOFF:
            self.action_type = TOOL_CALL


class Selection:
    """One speaker selection in progress: its span; for a MagenticOne step, the progress ledger its model wrote."""

    __slots__ = ("ledger", "magentic", "replanned", "span")

    def __init__(self, span: Span, magentic: bool = False) -> None:
        self.span = span
        self.magentic = magentic
        self.ledger: dict[str, Any] | None = None
        """The last progress ledger the orchestrator's model answered (the one it acts on)."""
        self.replanned = False
        """The orchestrator re-planned instead of asking a speaker (its next step is a selection of its own)."""


team: contextvars.ContextVar[TeamRun | None] = contextvars.ContextVar("otel_agent_trace_autogen_team", default=None)
selection: contextvars.ContextVar[Selection | None] = contextvars.ContextVar(
    "otel_agent_trace_autogen_selection", default=None
)
turn: contextvars.ContextVar[Turn | None] = contextvars.ContextVar("otel_agent_trace_autogen_turn", default=None)


def parent(run: TeamRun | None) -> otel_context.Context | None:
    """The context naming the team span as parent (``None``: the current one)."""
    return trace.set_span_in_context(run.span) if run is not None else None


def step_attributes(run: TeamRun | None, action_type: str) -> dict[str, Any]:
    """Action type, and the run's next step index and run id when in a team run."""
    attrs: dict[str, Any] = {A.AGENT_STEP_ACTION_TYPE: action_type}
    if run is not None:
        attrs[A.AGENT_STEP_INDEX] = run.run.next_step()
        attrs[A.AGENT_RUN_ID] = run.run.run_id
    return attrs


class SpanWrapper:
    """Base of the async wrappers that run the wrapped call under a span of theirs.

    `start` makes the span and the wrapper's state (``None``: call straight through), `scope` names the context
    variables to set while the call runs, `finish` records the outcome; the span is current during the call, ended
    exactly once, the user's exception is recorded on it and re-raised, and our faults are logged and swallowed.
    """

    where = "span"
    """The name our faults are logged under (``autogen.<where>.start``/``.end``)."""

    def __init__(self, config: Config) -> None:
        self.config = config

    def start(self, instance: Any, args: Any, kwargs: Any) -> tuple[Span, Any] | None:
        """The span (not current yet) and the state `finish` gets."""
        raise NotImplementedError

    def scope(self, state: Any) -> Iterable[tuple[contextvars.ContextVar[Any], Any]]:
        """(context variable, value) pairs set while the call runs."""
        return ()

    def finish(self, span: Span, state: Any, result: Any, exc: BaseException | None) -> None:
        """Record the outcome on ``span`` before it ends (``exc`` is recorded by the caller)."""

    async def call(self, wrapped: Callable[..., Any], args: Any, kwargs: Any, state: Any) -> Any:
        """Await the wrapped call (a subclass may put a scope of its own around it)."""
        return await wrapped(*args, **kwargs)

    async def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if not is_enabled():
            return await wrapped(*args, **kwargs)
        started: tuple[Span, Any] | None = None
        with handle_internal_errors(f"autogen.{self.where}.start"):
            started = self.start(instance, args, kwargs)
        if started is None:
            return await wrapped(*args, **kwargs)
        span, state = started
        token = attach_span(span, suppress_http=False)
        tokens: list[tuple[contextvars.ContextVar[Any], contextvars.Token[Any]]] = []
        with handle_internal_errors(f"autogen.{self.where}.start"):
            tokens.extend((var, var.set(value)) for var, value in self.scope(state))
        try:
            result = await self.call(wrapped, args, kwargs, state)
        except BaseException as exc:
            self._end(span, state, None, exc)
            raise
        finally:
            for var, var_token in reversed(tokens):
                var.reset(var_token)
            otel_context.detach(token)
        self._end(span, state, result, None)
        return result

    def _end(self, span: Span, state: Any, result: Any, exc: BaseException | None) -> None:
        with handle_internal_errors(f"autogen.{self.where}.end"):
            try:
                self.finish(span, state, result, exc)
                if exc is not None:
                    record_failure(span, exc)
            finally:
                span.end()

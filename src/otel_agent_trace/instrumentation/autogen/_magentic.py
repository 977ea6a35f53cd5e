"""MagenticOne's orchestrator: its planning as ``step`` spans, each progress ledger as a speaker-selection decision.

``MagenticOneOrchestrator`` does not choose in ``select_speaker``: ``handle_start`` asks its model for a fact sheet
and a plan, then each ``_orchestrate_step`` asks it for a progress ledger (JSON: whether the request is satisfied,
whether the team is stalled, the next speaker and why, the instruction for them). On a stall it re-plans
(``_update_task_ledger``) and starts over (``_reenter_outer_loop``, which runs the next ``_orchestrate_step``).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.trace import Span, SpanKind

from otel_agent_trace._internal.context import attach_span
from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace._internal.serialize import safe_json_dumps
from otel_agent_trace.instrumentation.autogen import _extract as X
from otel_agent_trace.instrumentation.autogen import _scopes as S
from otel_agent_trace.instrumentation.autogen._selection import SelectSpeakerWrapper, answer, entry, start_decision
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import decision as D
from otel_agent_trace.semconv import gen_ai as G

LEDGER = "progress_ledger"
"""``agent_trace.decision.condition`` of MagenticOne's choices."""
_PLANNING = A.AgentStepActionTypeValues.PLANNING.value


class _Planning:
    """A planning step in progress; ``ended`` once `ReenterWrapper` has ended it, before the loop starts."""

    __slots__ = ("ended", "orchestrator", "span")

    def __init__(self, span: Span, orchestrator: Any) -> None:
        self.span = span
        self.orchestrator = orchestrator
        self.ended = False

    def end(self, capture: bool) -> None:
        """Record the fact sheet and plan (content capture) and end the span, once."""
        if self.ended:
            return
        self.ended = True
        try:
            if capture:
                plan = {key: getattr(self.orchestrator, f"_{key}", None) for key in ("facts", "plan")}
                self.span.set_attribute(A.AGENT_STEP_OUTPUT, safe_json_dumps(plan))
        finally:
            self.span.end()


_planning: contextvars.ContextVar[_Planning | None] = contextvars.ContextVar(
    "otel_agent_trace_autogen_planning", default=None
)


class PlanningWrapper(S.SpanWrapper):
    """``handle_start`` (``plan``) and ``_update_task_ledger`` (``replan``): a ``step {orchestrator}`` planning span.

    The start's span ends when the loop starts (`ReenterWrapper`): the fact sheet and plan calls are under it, the
    decisions and turns that follow are not. A re-plan marks the ledger decision in progress as re-planned.
    """

    where = "planning"

    def start(self, instance: Any, args: Any, kwargs: Any) -> tuple[Span, _Planning]:
        selection = S.selection.get()
        replan = selection is not None and selection.magentic
        if selection is not None and replan:
            selection.replanned = True
        name = X.text(getattr(instance, "_name", None)) or type(instance).__name__
        team = S.team.get()
        attrs = S.step_attributes(team, _PLANNING)
        attrs[A.AGENT_STEP_NAME] = "replan" if replan else "plan"
        attrs[G.GEN_AI_AGENT_NAME] = name
        span = self.config.tracer.start_span(
            f"step {name}", context=S.parent(team), kind=SpanKind.INTERNAL, attributes=attrs
        )
        return span, _Planning(span, instance)

    def scope(self, state: _Planning) -> Iterable[tuple[contextvars.ContextVar[Any], Any]]:
        return ((_planning, state),)

    def _end(self, span: Span, state: _Planning, result: Any, exc: BaseException | None) -> None:
        if state.ended:
            return
        if exc is not None:
            super()._end(span, state, result, exc)
            state.ended = True
            return
        with handle_internal_errors("autogen.planning.end"):
            state.end(self.config.capture())


class ReenterWrapper:
    """``_reenter_outer_loop``: ends the planning step, and runs the loop under the team span instead."""

    def __init__(self, config: S.Config) -> None:
        self.config = config

    async def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        token = None
        with handle_internal_errors("autogen.planning.end"):
            planning = _planning.get()
            team = S.team.get()
            if planning is not None and not planning.ended:
                planning.end(self.config.capture())
                if team is not None:
                    token = attach_span(team.span, suppress_http=False)
        try:
            return await wrapped(*args, **kwargs)
        finally:
            if token is not None:
                otel_context.detach(token)


class LedgerStepWrapper(SelectSpeakerWrapper):
    """``_orchestrate_step``: one progress ledger, a ``decision speaker_selection`` span.

    Chosen: the ledger's next speaker; none when the ledger says the request is satisfied (the orchestrator then
    writes the final answer, under this span, and stops the run) or when the orchestrator re-planned (the re-plan
    step and the decision after it are the team's children; this span lasts until they end). Rationale (content
    capture): the ledger's reason for the next speaker, or for the request being satisfied.
    """

    where = "ledger"

    def start(self, instance: Any, args: Any, kwargs: Any) -> tuple[Span, S.Selection]:
        options = X.names(getattr(instance, "_participant_names", None))
        selection = start_decision(self.config, LEDGER, options, True)
        return selection.span, selection

    def finish(self, span: Span, state: S.Selection, result: Any, exc: BaseException | None) -> None:
        ledger = state.ledger
        if ledger is None:
            return
        done = answer(ledger, "is_request_satisfied") is True
        picked = X.text(answer(ledger, "next_speaker"))
        if not done and not state.replanned and picked is not None:
            span.set_attribute(D.DECISION_CHOSEN, picked)
        reason = X.text(entry(ledger, "is_request_satisfied" if done else "next_speaker").get("reason"))
        if self.config.capture() and reason is not None:
            span.set_attribute(D.DECISION_RATIONALE, safe_json_dumps(reason))

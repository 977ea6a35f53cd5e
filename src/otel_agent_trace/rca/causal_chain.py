"""Causal chain: from the trigger (the root cause) to the run's final outcome, with the reason for each link."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from otel_agent_trace.model import Trace

from .blame import BlameResult, blame
from .context import AnalysisContext, build_context
from .links import Link, path_to, up_to_root
from .signals import BaselineProfile


@dataclass(frozen=True)
class ChainStep:
    """One step of the chain; ``reason`` says why it led to the next step (empty for the outcome)."""

    span_id: str
    name: str
    type: str
    agent: str
    role: str
    """``trigger``, ``intermediate``, ``failure`` (where the failure surfaced) or ``outcome`` (the run's root)."""
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return {
            "span_id": self.span_id,
            "name": self.name,
            "type": self.type,
            "agent": self.agent,
            "role": self.role,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class CausalChain:
    """Steps from trigger to outcome, in causal order."""

    trace_id: str
    steps: tuple[ChainStep, ...]
    links: tuple[Link, ...]

    @property
    def span_ids(self) -> list[str]:
        """Ids of the chain's spans, trigger first."""
        return [s.span_id for s in self.steps]

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return {
            "trace_id": self.trace_id,
            "steps": [s.to_dict() for s in self.steps],
            "links": [link.to_dict() for link in self.links],
        }


def causal_chain(
    trace: Trace,
    *,
    baseline: BaselineProfile | None = None,
    context: AnalysisContext | None = None,
    blamed: BlameResult | None = None,
) -> CausalChain:
    """The chain from the trigger (the most blamed span) through the failure span up to the run's outcome.

    The trigger-to-failure part is the shortest chain of cause links (data flow, returned results, exception
    propagation, a swallowed error resurfacing, time spent before a deadline); from the failure the exception's
    way up through failed ancestors follows. Each step but the last carries the reason it led to the next.

    Args:
        trace: the run.
        baseline: a profile of passing runs.
        context: a precomputed `build_context` result.
        blamed: a precomputed `blame` result.

    Returns:
        The chain; empty for a run that did not fail.
    """
    ctx = context or build_context(trace, baseline)
    if ctx.failure is None:
        return CausalChain(trace.trace_id, (), ())
    ranking = blamed or blame(trace, context=ctx)
    trigger = ranking.steps[0].span_id if ranking.steps else ctx.failure
    links = path_to(ctx, trigger)
    if trigger != ctx.failure and not links:
        links = [Link(trigger, ctx.failure, "blamed", "blamed by the evidence; no direct causal link was found")]
    links = [*links, *up_to_root(ctx, ctx.failure)]
    ids = [trigger] + [link.effect for link in links]
    view = ctx.view
    steps = []
    for index, span_id in enumerate(ids):
        if index == 0:
            role = "trigger"
        elif span_id == ctx.failure:
            role = "failure"
        elif index == len(ids) - 1:
            role = "outcome"
        else:
            role = "intermediate"
        reason = links[index].reason if index < len(links) else ""
        steps.append(
            ChainStep(
                span_id, view.by_id[span_id].name, view.kind[span_id], view.agent_of.get(span_id, ""), role, reason
            )
        )
    return CausalChain(trace.trace_id, tuple(steps), tuple(links))

"""Traceback: walk back from the failure to the first step where the run deviated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from otel_agent_trace.model import Trace

from .blame import BlameResult, blame
from .context import AnalysisContext, build_context
from .links import path_to
from .signals import BaselineProfile, Evidence


@dataclass(frozen=True)
class Frame:
    """One step of the walk back. ``relation`` says how this step caused the previous frame."""

    span_id: str
    name: str
    type: str
    relation: str
    reason: str
    anomalies: tuple[Evidence, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return {
            "span_id": self.span_id,
            "name": self.name,
            "type": self.type,
            "relation": self.relation,
            "reason": self.reason,
            "anomalies": [a.to_dict() for a in self.anomalies],
        }


@dataclass(frozen=True)
class TracebackResult:
    """Frames from the failure (first) back to the deviation (last)."""

    trace_id: str
    failure_span_id: str | None
    deviation_span_id: str | None
    frames: tuple[Frame, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return {
            "trace_id": self.trace_id,
            "failure_span_id": self.failure_span_id,
            "deviation_span_id": self.deviation_span_id,
            "frames": [f.to_dict() for f in self.frames],
        }


def traceback(
    trace: Trace,
    *,
    baseline: BaselineProfile | None = None,
    context: AnalysisContext | None = None,
    blamed: BlameResult | None = None,
) -> TracebackResult:
    """Walk back from the failure to the first step where the run deviated.

    The walk follows cause links backwards (see `causes_of`: data producers, failed children, earlier handled
    errors, slow spans on a timeout) along the shortest chain to the most blamed span, which is where the run
    deviated. Every frame lists the anomalies of its span.

    Args:
        trace: the run.
        baseline: a profile of passing runs, to count deviations from them as anomalies.
        context: a precomputed `build_context` result.
        blamed: a precomputed `blame` result.

    Returns:
        The frames; none for a run that did not fail.
    """
    ctx = context or build_context(trace, baseline)
    if ctx.failure is None:
        return TracebackResult(trace.trace_id, None, None, ())
    ranking = blamed or blame(trace, context=ctx)
    target = ranking.steps[0].span_id if ranking.steps else ctx.failure
    view = ctx.view
    error = ctx.failure_error()
    reason = f"{error.type}: {error.message}" if error else "the run failed here"
    frames = [_frame(ctx, ctx.failure, "failure", reason)]
    links = path_to(ctx, target)
    for link in reversed(links):
        frames.append(_frame(ctx, link.cause, link.kind, link.reason))
    if target != ctx.failure and not links:
        frames.append(_frame(ctx, target, "blamed", "most blamed step; no causal link to the failure was found"))
    deviation = next((f.span_id for f in reversed(frames) if f.anomalies), frames[-1].span_id)
    del view
    return TracebackResult(trace.trace_id, ctx.failure, deviation, tuple(frames))


def _frame(ctx: AnalysisContext, span_id: str, relation: str, reason: str) -> Frame:
    span = ctx.view.by_id[span_id]
    return Frame(span_id, span.name, ctx.view.kind[span_id], relation, reason, tuple(ctx.anomalies.get(span_id, ())))

"""`analyze`: every analysis of one run in one JSON-serializable report (rendered by `text_report`, `html_report`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from otel_agent_trace.model import Trace

from .agents import AgentBlame, agent_blame
from .blame import BlameResult, StepBlame, blame
from .causal_chain import CausalChain, causal_chain
from .context import build_context
from .dependencies import DependencyGraph
from .outcome import FailureInfo
from .propagation import PropagationResult, error_propagation
from .signals import BaselineProfile, Evidence
from .traceback import TracebackResult, traceback

if TYPE_CHECKING:
    from .judge import Judge, JudgeOutcome
    from .verify import VerifyResult

CANDIDATES = 5
"""How many of the most blamed spans the report lists as candidates (at least 3 when the run has them)."""
_INDIRECT = ("upstream_deviation", "data_provenance", "propagated", "provenance")


@dataclass(frozen=True)
class RootCause:
    """A blamed span and why: the root cause, or one of the next candidates."""

    span_id: str
    name: str
    type: str
    agent: str
    score: float
    why: tuple[str, ...]
    evidence: tuple[Evidence, ...] = ()
    """The evidence behind ``why``, strongest direct evidence first."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return {
            "span_id": self.span_id,
            "name": self.name,
            "type": self.type,
            "agent": self.agent,
            "score": round(self.score, 6),
            "why": list(self.why),
            "evidence": [e.to_dict() for e in self.evidence],
        }

    @classmethod
    def of(cls, step: StepBlame) -> RootCause:
        """The candidate for one blamed span: what is wrong with it first, then how it connects to the failure."""
        ordered = [e for e in step.evidence if e.kind not in _INDIRECT]
        ordered += [e for e in step.evidence if e.kind in _INDIRECT]
        why = tuple(dict.fromkeys(e.detail for e in ordered))[:4]
        return cls(step.span_id, step.name, step.type, step.agent, step.score, why, tuple(ordered))


@dataclass(frozen=True)
class RcaReport:
    """Root-cause analysis of one run."""

    trace_id: str
    failed: bool
    span_count: int
    duration_ns: int
    root_cause: RootCause | None
    failure_span_id: str | None
    blame: BlameResult
    traceback: TracebackResult
    causal_chain: CausalChain
    propagation: PropagationResult
    dependencies: DependencyGraph
    candidates: tuple[RootCause, ...] = ()
    """The most blamed spans (`CANDIDATES`), the root cause first."""
    agents: tuple[AgentBlame, ...] = ()
    """Blame per agent, summing to 1, most blamed first."""
    failure: FailureInfo | None = None
    """How the run failed (user, evaluation or exception), ``None`` if it did not."""
    baseline_runs: int = 0
    """How many passing runs the baseline was learned from (0: no baseline)."""
    judge: JudgeOutcome | None = None
    """What came of the LLM judge, when one was given."""
    verification: VerifyResult | None = None
    """Counterfactual verdicts on the top candidates (`rca.verify`), when they were verified by replay."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form (``json.dumps`` works on it as is)."""
        data: dict[str, Any] = {
            "trace_id": self.trace_id,
            "failed": self.failed,
            "span_count": self.span_count,
            "duration_ns": self.duration_ns,
            "root_cause": self.root_cause.to_dict() if self.root_cause else None,
            "failure_span_id": self.failure_span_id,
            "blame": self.blame.to_dict(),
            "traceback": self.traceback.to_dict(),
            "causal_chain": self.causal_chain.to_dict(),
            "error_propagation": self.propagation.to_dict(),
            "dependencies": self.dependencies.to_dict(),
            "candidates": [c.to_dict() for c in self.candidates],
            "agents": [a.to_dict() for a in self.agents],
            "failure": self.failure.to_dict() if self.failure else None,
            "baseline_runs": self.baseline_runs,
            "judge": self.judge.to_dict() if self.judge else None,
        }
        if self.verification is not None:
            data["verification"] = self.verification.to_dict()
        return data


def analyze(
    trace: Trace,
    *,
    baseline: BaselineProfile | None = None,
    failed: bool | None = None,
    expected: str | None = None,
    reason: str | None = None,
    judge: Judge | None = None,
) -> RcaReport:
    """Run every analysis on one trace, sharing the computed view and data-flow graph.

    Args:
        trace: the run.
        baseline: a profile of passing runs (`baseline_profile`), to count deviations from them.
        failed: the caller's verdict: ``True`` when the run is wrong even if nothing in the trace says so,
            ``False`` to analyse it as a passing run; ``None`` reads the trace (a failing evaluation result, else
            an unhandled exception).
        expected: what the run should have produced (its content guides the search for where it went wrong).
        reason: why the run is wrong, in the caller's words.
        judge: an optional `rca.judge.Judge`; it re-ranks the top candidates and its verdict is merged into the
            blame, marked as such.

    Returns:
        The report; for a run that did not fail, ``root_cause`` is ``None`` and the analyses are empty.
    """
    ctx = build_context(trace, baseline, failed=failed, expected=expected, reason=reason)
    blamed = blame(trace, context=ctx)
    judged = None
    if judge is not None and blamed.steps:
        from .judge import judge_blame  # the judge plug-in is optional: loaded only when one is given

        outcome = ctx.outcome
        blamed, judged = judge_blame(
            trace,
            blamed,
            judge,
            expected=outcome.expected if outcome else expected,
            reason=reason or (outcome.detail if outcome else None),
        )
    candidates = tuple(RootCause.of(step) for step in blamed.steps[:CANDIDATES])
    return RcaReport(
        trace_id=trace.trace_id,
        failed=ctx.failure is not None,
        span_count=len(trace.spans),
        duration_ns=trace.end_ns - trace.start_ns,
        root_cause=candidates[0] if candidates else None,
        failure_span_id=ctx.failure,
        blame=blamed,
        traceback=traceback(trace, context=ctx, blamed=blamed),
        causal_chain=causal_chain(trace, context=ctx, blamed=blamed),
        propagation=error_propagation(trace, context=ctx),
        dependencies=ctx.graph,
        candidates=candidates,
        agents=agent_blame(blamed),
        failure=ctx.outcome,
        baseline_runs=baseline.runs if baseline is not None else 0,
        judge=judged,
    )

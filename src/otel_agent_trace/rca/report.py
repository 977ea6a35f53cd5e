"""`analyze`: every analysis of one run in one JSON-serializable report (rendered by `text_report`, `html_report`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from otel_agent_trace.model import Trace

from .blame import BlameResult, blame
from .causal_chain import CausalChain, causal_chain
from .context import build_context
from .dependencies import DependencyGraph
from .propagation import PropagationResult, error_propagation
from .signals import BaselineProfile
from .traceback import TracebackResult, traceback


@dataclass(frozen=True)
class RootCause:
    """The most blamed span and why."""

    span_id: str
    name: str
    type: str
    agent: str
    score: float
    why: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return {
            "span_id": self.span_id,
            "name": self.name,
            "type": self.type,
            "agent": self.agent,
            "score": round(self.score, 6),
            "why": list(self.why),
        }


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

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form (``json.dumps`` works on it as is)."""
        return {
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
        }


def analyze(trace: Trace, *, baseline: BaselineProfile | None = None) -> RcaReport:
    """Run every analysis on one trace, sharing the computed view and data-flow graph.

    Args:
        trace: the run.
        baseline: a profile of passing runs (`baseline_profile`), to count deviations from them.

    Returns:
        The report; for a run that did not fail, ``root_cause`` is ``None`` and the analyses are empty.
    """
    ctx = build_context(trace, baseline)
    blamed = blame(trace, context=ctx)
    root = None
    if blamed.steps:
        top = blamed.steps[0]
        # what is wrong with the span itself first, then how it connects to the failure
        indirect = ("upstream_deviation", "data_provenance", "propagated")
        ordered = [e for e in top.evidence if e.kind not in indirect] + [e for e in top.evidence if e.kind in indirect]
        why = tuple(dict.fromkeys(e.detail for e in ordered))[:4]
        root = RootCause(top.span_id, top.name, top.type, top.agent, top.score, why)
    return RcaReport(
        trace_id=trace.trace_id,
        failed=ctx.failure is not None,
        span_count=len(trace.spans),
        duration_ns=trace.end_ns - trace.start_ns,
        root_cause=root,
        failure_span_id=ctx.failure,
        blame=blamed,
        traceback=traceback(trace, context=ctx, blamed=blamed),
        causal_chain=causal_chain(trace, context=ctx, blamed=blamed),
        propagation=error_propagation(trace, context=ctx),
        dependencies=ctx.graph,
    )

"""The shared, computed-once inputs of every analysis of one trace."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from otel_agent_trace.model import Trace

from .dependencies import DependencyGraph, dependency_graph
from .outcome import FailureInfo, find_failure
from .provenance import Provenance, provenance
from .signals import BaselineProfile, Evidence, anomalies
from .view import ErrorInfo, TraceView


@dataclass(frozen=True)
class AnalysisContext:
    """A trace with its view, data-flow graph, anomalies and failure span, built once by `build_context`."""

    trace: Trace
    view: TraceView
    graph: DependencyGraph
    anomalies: dict[str, list[Evidence]]
    failure: str | None
    """The span where the failure surfaced (`FailureInfo.span_id`), ``None`` for a run that did not fail."""
    outcome: FailureInfo | None = None
    """How the run failed (`find_failure`): the user's word, a failing evaluation, or an exception."""

    @cached_property
    def provenance(self) -> Provenance:
        """Content provenance of the trace (computed on first use)."""
        return provenance(self.view)

    def failure_error(self) -> ErrorInfo | None:
        """The unhandled error of the failure span (or its last error)."""
        if self.failure is None:
            return None
        errors = self.view.errors.get(self.failure, [])
        unhandled = [e for e in errors if not e.handled]
        chosen = unhandled or errors
        return chosen[-1] if chosen else None

    def failure_time_ns(self) -> int:
        """When the failure surfaced."""
        error = self.failure_error()
        if error is not None:
            return error.time_ns
        return self.view.by_id[self.failure].end_ns if self.failure else self.trace.end_ns


def build_context(
    trace: Trace,
    baseline: BaselineProfile | None = None,
    *,
    failed: bool | None = None,
    expected: str | None = None,
    reason: str | None = None,
) -> AnalysisContext:
    """Compute the view, graph, anomalies and failure of ``trace`` (optionally against a passing-run baseline).

    ``failed``, ``expected`` and ``reason`` are the caller's verdict on the run (`find_failure`).
    """
    view = TraceView(trace)
    outcome = find_failure(view, failed=failed, expected=expected, reason=reason)
    failure = outcome.span_id if outcome else None
    return AnalysisContext(trace, view, dependency_graph(trace, view), anomalies(view, baseline), failure, outcome)

"""Error propagation: which spans the first error reached, through parent/child links and data dependencies."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from otel_agent_trace.model import Trace

from .context import AnalysisContext, build_context
from .signals import BaselineProfile
from .view import ErrorInfo


@dataclass(frozen=True)
class Reached:
    """A span the first error reached; ``via`` is the span it came from, ``relation`` how."""

    span_id: str
    name: str
    relation: str
    """``origin``, ``parent`` (the exception propagated up), ``caught`` (a parent handled it), ``data`` (a value
    from an affected span's output entered its input) or ``resurfaced`` (the same error type was raised again)."""
    via: str | None
    hops: int
    failed: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return {
            "span_id": self.span_id,
            "name": self.name,
            "relation": self.relation,
            "via": self.via,
            "hops": self.hops,
            "failed": self.failed,
        }


@dataclass(frozen=True)
class PropagationResult:
    """The first error of a run and everything it reached, in order of reach."""

    trace_id: str
    first_error: ErrorInfo | None
    reached: tuple[Reached, ...]
    reached_outcome: bool
    """Whether the error reached the run's root span."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return {
            "trace_id": self.trace_id,
            "first_error": self.first_error.to_dict() if self.first_error else None,
            "reached": [r.to_dict() for r in self.reached],
            "reached_outcome": self.reached_outcome,
        }


def first_error(ctx: AnalysisContext) -> ErrorInfo | None:
    """The run's earliest error that a retry did not recover from (else its earliest error), at its origin span."""
    errors = ctx.view.all_errors()
    lasting = [e for e in errors if not any(a.kind == "recovered_error" for a in ctx.anomalies.get(e.span_id, []))]
    chosen = lasting or errors
    return chosen[0] if chosen else None


def error_propagation(
    trace: Trace,
    *,
    baseline: BaselineProfile | None = None,
    context: AnalysisContext | None = None,
    max_spans: int = 100_000,
) -> PropagationResult:
    """Follow the run's first error (see `first_error`) to every span it reached.

    From the erroring span: up to each parent that failed too (``parent``) or that caught it (``caught``, then on
    through the catcher's output); along data edges to every consumer of an affected span's output (``data``); and
    to later errors of the same type (``resurfaced``). Breadth first, so ``hops`` is the shortest distance.

    Args:
        trace: the run.
        baseline: unused by this analysis except through the shared context.
        context: a precomputed `build_context` result.
        max_spans: stop after reaching this many spans.

    Returns:
        The first error and the reached spans; empty for a run without errors.
    """
    ctx = context or build_context(trace, baseline)
    error = first_error(ctx)
    if error is None:
        return PropagationResult(trace.trace_id, None, (), False)
    view = ctx.view
    origin = error.span_id
    reached = {origin: Reached(origin, view.by_id[origin].name, "origin", None, 0, view.by_id[origin].is_error)}
    queue = deque([origin])
    short = error.type.rsplit(".", 1)[-1]
    later_same = [
        e.span_id
        for e in view.all_errors()
        if e.time_ns > error.time_ns
        and e.type.rsplit(".", 1)[-1] == short
        and not view.is_ancestor(e.span_id, origin)
        and e.span_id != origin
    ]
    while queue and len(reached) < max_spans:
        node = queue.popleft()
        hops = reached[node].hops + 1
        nxt: list[tuple[str, str]] = []
        parent = view.parent.get(node)
        if parent is not None and view.by_id[node].is_error:
            nxt.append((parent, "parent" if view.by_id[parent].is_error else "caught"))
        nxt.extend((edge.target, "data") for edge in ctx.graph.outgoing.get(node, []) if edge.via != "returned")
        if node == origin:
            nxt.extend((span_id, "resurfaced") for span_id in later_same)
        for target, relation in nxt:
            if target not in reached:
                span = view.by_id[target]
                reached[target] = Reached(target, span.name, relation, node, hops, span.is_error)
                queue.append(target)
    roots = {r.span_id for r in trace.roots}
    return PropagationResult(trace.trace_id, error, tuple(reached.values()), bool(roots & set(reached)))

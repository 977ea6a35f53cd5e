"""Blame assignment: a score per step, tool and agent, each set summing to 1, with the evidence behind it."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from otel_agent_trace.model import Trace

from .blame_content import content_blame, ran_what_it_got
from .context import AnalysisContext, build_context
from .dependencies import origin_of, producers_of
from .signals import BaselineProfile, Evidence, is_timeout_error, self_time_ns
from .values import display_key, message_keys

UPSTREAM_SHARE = 0.6
"""Share of a span's blame handed to anomalous producers of its input: the deviation started earlier."""
_OUTPUT_KINDS = frozenset({"suspicious_output", "out_of_baseline"})
_OWN_CONTENT_KINDS = frozenset({"first_introduction"})
_DEVIATION_KINDS = frozenset({"suspicious_output", "low_confidence", "handled_error", "slow", "out_of_baseline"})


@dataclass(frozen=True)
class StepBlame:
    """The blame of one span."""

    span_id: str
    name: str
    type: str
    agent: str
    tool: str | None
    score: float
    evidence: tuple[Evidence, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return {
            "span_id": self.span_id,
            "name": self.name,
            "type": self.type,
            "agent": self.agent,
            "tool": self.tool,
            "score": round(self.score, 6),
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(frozen=True)
class BlameResult:
    """Blame of a run, steps ranked by score. Empty when the run did not fail."""

    trace_id: str
    failure_span_id: str | None
    steps: tuple[StepBlame, ...]
    tools: dict[str, float] = field(default_factory=dict)
    agents: dict[str, float] = field(default_factory=dict)

    def top(self, k: int = 1) -> list[str]:
        """Span ids of the ``k`` most blamed steps."""
        return [s.span_id for s in self.steps[:k]]

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return {
            "trace_id": self.trace_id,
            "failure_span_id": self.failure_span_id,
            "steps": [s.to_dict() for s in self.steps],
            "tools": {k: round(v, 6) for k, v in self.tools.items()},
            "agents": {k: round(v, 6) for k, v in self.agents.items()},
        }


class _Scores:
    def __init__(self) -> None:
        self.score: dict[str, float] = defaultdict(float)
        self.evidence: dict[str, list[Evidence]] = defaultdict(list)

    def add(self, span_id: str, kind: str, detail: str, weight: float) -> None:
        if weight > 0:
            self.score[span_id] += weight
            self.evidence[span_id].append(Evidence(span_id, kind, detail, weight))


def _error_values(ctx: AnalysisContext, scores: _Scores, failure: str) -> None:
    """Values named in the error message, traced to the span that first produced them."""
    error = ctx.failure_error()
    if error is None:
        return
    view, graph = ctx.view, ctx.graph
    keys = message_keys(f"{error.type} {error.message}")
    end = view.by_id[failure].end_ns
    counts: dict[str, int] = defaultdict(int)
    producers: dict[str, list[str]] = defaultdict(list)
    for span_id, out in graph.out_keys.items():
        for key in keys:
            if key in out:
                producers[key].append(span_id)
                counts[key] += 1
    for inp in graph.in_keys.values():
        for key in keys:
            if key in inp:
                counts[key] += 1
    for key, found in producers.items():
        before = [p for p in found if view.by_id[p].end_ns <= end and p != failure and not view.is_ancestor(p, failure)]
        if not before:
            continue
        latest = max(before, key=lambda p: view.by_id[p].end_ns)
        path = origin_of(graph, latest, key)
        origin = path[-1]
        if key in graph.in_keys.get(origin, {}):
            continue  # came from the run's own input
        specific = 1.0 if key.startswith("n:") or any(c.isdigit() for c in key) else 0.3
        weight = 0.8 * specific / (1.0 + math.log(counts[key]))
        detail = f"{display_key(key)!r} in the error message was first produced here"
        scores.add(origin, "value_in_error", detail, weight)


def _flowed(ctx: AnalysisContext, evidence: Evidence, consumed: set[str]) -> bool:
    """Whether an odd output's odd values were consumed on the way to the failure (unknown counts as yes)."""
    return evidence.kind != "suspicious_output" or not evidence.values or any(v in consumed for v in evidence.values)


def _provenance(ctx: AnalysisContext, scores: _Scores, failure: str) -> None:
    producers = producers_of(ctx.graph, failure)
    consumed = {key for span_id in (failure, *producers) for key in ctx.graph.in_keys.get(span_id, {})}
    for span_id, hops in producers.items():
        scores.add(
            span_id,
            "data_provenance",
            f"its output reached the failing step's input ({hops} hop{'s' if hops != 1 else ''})",
            0.05 / hops,
        )
        deviations = [
            e for e in ctx.anomalies.get(span_id, []) if e.kind in _DEVIATION_KINDS and _flowed(ctx, e, consumed)
        ]
        if deviations:
            strongest = max(deviations, key=lambda e: e.weight)
            weight = 0.5 * strongest.weight * (1 + 0.25 * hops)
            scores.add(span_id, strongest.kind, f"{strongest.detail}; its output reached the failure", weight)


def _earlier_errors(ctx: AnalysisContext, scores: _Scores, failure: str) -> None:
    view = ctx.view
    final = ctx.failure_error()
    final_type = final.type.rsplit(".", 1)[-1] if final else ""
    when = ctx.failure_time_ns()
    errors = view.all_errors()
    # the earliest error below each span (in a strict descendant): one walk up per error, not a scan per error
    earliest_below: dict[str, int] = {}
    for e in errors:
        for ancestor in view.ancestors(e.span_id):
            if e.time_ns < earliest_below.get(ancestor, e.time_ns + 1):
                earliest_below[ancestor] = e.time_ns
    for error in errors:
        span_id = error.span_id
        if span_id == failure or view.is_ancestor(span_id, failure) or error.time_ns > when:
            continue
        short = error.type.rsplit(".", 1)[-1]
        # an error re-raised or reported by a parent belongs to the child that raised it first
        if earliest_below.get(span_id, error.time_ns + 1) <= error.time_ns:
            continue
        if error.handler == "retry" or (error.handled and _recovered(ctx, span_id)):
            scores.add(span_id, "recovered_error", f"{short}: {error.message} (recovered)", 0.05)
            continue
        # the further an error travelled up (failed ancestors), the more of the run it took down
        failed_up = 0
        parent = view.parent.get(span_id)
        while parent is not None and view.by_id[parent].is_error and failed_up < 4:
            failed_up += 1
            parent = view.parent.get(parent)
        weight = 0.3 + 0.15 * failed_up
        detail = f"{short}: {error.message}" + (f" (took down {failed_up} enclosing spans)" if failed_up else "")
        scores.add(span_id, "handled_error" if error.handled else "error", detail, weight)
        if final and short == final_type:
            scores.add(span_id, "same_error_type", f"the failure is the same {short}: swallowed, then resurfaced", 0.8)
            if final.message and final.message == error.message:
                scores.add(span_id, "same_error_type", "with the same message", 0.3)


def _recovered(ctx: AnalysisContext, span_id: str) -> bool:
    return any(e.kind == "recovered_error" for e in ctx.anomalies.get(span_id, []))


def _timeouts(ctx: AnalysisContext, scores: _Scores, failure: str) -> None:
    error = ctx.failure_error()
    if error is None or not is_timeout_error(f"{error.type} {error.message}"):
        return
    when = ctx.failure_time_ns()
    budget = max(1, when - ctx.trace.start_ns)
    for span_id, evidence in ctx.anomalies.items():
        for item in evidence:
            if item.kind == "slow" and ctx.view.by_id[span_id].start_ns < when and span_id != failure:
                # weigh by the share of the time budget the span used up on its own
                share = min(1.0, self_time_ns(ctx.view, span_id) / budget)
                detail = f"the run timed out and this span {item.detail} ({share:.0%} of the run)"
                scores.add(span_id, "timeout_cause", detail, 1.5 * share)


def _baseline_only(ctx: AnalysisContext, span_id: str) -> bool:
    kinds = {e.kind for e in ctx.anomalies.get(span_id, []) if e.kind in _DEVIATION_KINDS}
    return kinds == {"out_of_baseline"}


def _upstream(ctx: AnalysisContext, scores: _Scores) -> None:
    """Walk back from each blamed span to anomalous producers of its input, latest first, handing blame on."""
    view = ctx.view
    for span_id in sorted(scores.score, key=lambda s: view.by_id[s].start_ns, reverse=True):
        edges = ctx.graph.incoming.get(span_id, [])
        sources = {e.source for e in edges}
        carried: dict[str, set[str]] = {}
        for edge in edges:
            carried.setdefault(edge.source, set()).update(edge.values)
        suspects = {
            s
            for s in sources
            if any(
                e.kind in _DEVIATION_KINDS
                and (
                    e.kind != "suspicious_output" or not e.values or any(display_key(v) in carried[s] for v in e.values)
                )
                for e in ctx.anomalies.get(s, [])
            )
        }
        if any(e.kind in _OUTPUT_KINDS for e in ctx.anomalies.get(span_id, [])):
            # an odd output that only passes on a child's result: the value came from where the child got it
            returned = {v for e in edges if e.via == "returned" for v in e.values}
            for key in ctx.graph.out_keys.get(span_id, {}):
                if display_key(key) in returned:
                    origin = origin_of(ctx.graph, span_id, key)[-1]
                    if origin != span_id and key not in ctx.graph.in_keys.get(origin, {}):
                        suspects.add(origin)
        # a deviation from passing runs alone never takes the blame for content the span introduced itself
        # and hands on blame only as far as it is sure (its weight, which grows with the passing runs)
        own, sure = 0.0, 1.0
        if suspects and all(_baseline_only(ctx, s) for s in suspects):
            own = sum(e.weight for e in scores.evidence[span_id] if e.kind in _OWN_CONTENT_KINDS)
            sure = max(e.weight for s in suspects for e in ctx.anomalies[s] if e.kind == "out_of_baseline")
        if not suspects or scores.score[span_id] - own <= 0:
            continue
        moved = (scores.score[span_id] - own) * UPSTREAM_SHARE * min(1.0, sure)
        scores.score[span_id] -= moved
        for suspect in sorted(suspects):
            detail = f"the deviation in {view.by_id[span_id].name!r} started earlier, here"
            scores.add(suspect, "upstream_deviation", detail, moved / len(suspects))


def blame(
    trace: Trace, *, baseline: BaselineProfile | None = None, context: AnalysisContext | None = None
) -> BlameResult:
    """Rank the spans of a failed run by how likely each is the root cause.

    Evidence, never the run's labels: the span where the failure surfaced; values in the error message traced to
    the span that first produced them; anomalous spans (odd outputs, unsure decisions, handled errors, slowness,
    deviations from a baseline) whose output reached the failing step; earlier errors (stronger when the failure
    is the same exception type resurfacing, weaker when a retry recovered); slow spans when the run timed out.
    Blame on a span whose input came from an anomalous producer moves partly upstream (`UPSTREAM_SHARE`), so the
    first deviation ranks first. Scores are normalised to sum to 1, as are the per-tool and per-agent sums.

    Args:
        trace: the run.
        baseline: a profile of passing runs (`baseline_profile`) to flag deviations from them.
        context: a precomputed `build_context` result.

    Returns:
        The ranking; empty ``steps`` if the run did not fail.
    """
    ctx = context or build_context(trace, baseline)
    failure = ctx.failure
    if failure is None:
        return BlameResult(trace.trace_id, None, ())
    scores = _Scores()
    error = ctx.failure_error()
    outcome = ctx.outcome
    if outcome is not None and outcome.kind != "exception":
        scores.add(failure, "surfaced_here", f"the run was judged wrong here: {outcome.detail}", 0.02)
    else:
        detail = f"the failure surfaced here: {error.type}: {error.message}" if error else "the failure surfaced here"
        scores.add(failure, "surfaced_here", detail, 0.15)
    for ancestor in ctx.view.ancestors(failure):
        scores.add(ancestor, "propagated", "the failure propagated through it", 0.02)
    _error_values(ctx, scores, failure)
    _provenance(ctx, scores, failure)
    _earlier_errors(ctx, scores, failure)
    _timeouts(ctx, scores, failure)
    content_blame(ctx, ctx.provenance, scores.add)
    _upstream(ctx, scores)
    ran_what_it_got(ctx, ctx.provenance, scores.score, scores.add)
    return _result(ctx, scores)


def _result(ctx: AnalysisContext, scores: _Scores) -> BlameResult:
    view = ctx.view
    total = sum(scores.score.values()) or 1.0
    ranked = sorted(scores.score, key=lambda s: (-scores.score[s], view.by_id[s].start_ns))
    steps = []
    tools: dict[str, float] = defaultdict(float)
    agents: dict[str, float] = defaultdict(float)
    for span_id in ranked:
        share = scores.score[span_id] / total
        tool = view.label[span_id] if view.kind[span_id] == "tool" else None
        agent = view.agent_of.get(span_id, "")
        steps.append(
            StepBlame(
                span_id,
                view.by_id[span_id].name,
                view.kind[span_id],
                agent,
                tool,
                share,
                tuple(sorted(scores.evidence[span_id], key=lambda e: -e.weight)),
            )
        )
        if tool:
            tools[tool] += share
        agents[agent or "(unknown)"] += share
    tool_total = sum(tools.values()) or 1.0
    return BlameResult(
        ctx.trace.trace_id,
        ctx.failure,
        tuple(steps),
        {k: v / tool_total for k, v in sorted(tools.items(), key=lambda kv: -kv[1])},
        dict(sorted(agents.items(), key=lambda kv: -kv[1])),
    )

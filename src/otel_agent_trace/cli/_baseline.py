"""Which recorded runs are the baseline of a run: passing runs of the same agent.

The same agent means the same root span name and the same ``service.name``. A run passes when the RCA finds no
failure in it (no unhandled error, no failing evaluation result). The most recent ``limit`` runs are kept, sorted
by start time then trace id, so the baseline, and every answer computed from it, is the same on every call.
"""

from __future__ import annotations

from collections.abc import Iterable

from otel_agent_trace.model import Span, Trace
from otel_agent_trace.rca import BaselineProfile, baseline_profile, run_failed
from otel_agent_trace.semconv import evaluation as ev

MAX_BASELINE_RUNS = 100
"""Default cap on the passing runs profiled (the most recent ones), so a large store stays quick to analyse."""
MIN_BASELINE_RUNS = 2
"""Fewer passing runs than this are no baseline: one run cannot tell a stable value from a value of that task (the
analysis only counts deviations from values that are stable across the passing runs; docs/rca.md)."""


def _root(trace: Trace) -> Span | None:
    """The run's root: the earliest root span that is not a deferred evaluation span."""
    roots = [s for s in trace.roots if s.attributes.get(ev.EVALUATION_DEFERRED) is not True]
    return min(roots, key=lambda s: (s.start_ns, s.span_id), default=None)


def agent_key(trace: Trace) -> tuple[str, str] | None:
    """(root span name, ``service.name``) of a run, ``None`` for an empty trace."""
    root = _root(trace)
    if root is None:
        return None
    return root.name, str(root.resource.get("service.name", ""))


def agent_label(trace: Trace) -> str | None:
    """How the report names the agent: ``invoke_agent hotel-booker (service hotel-booker-demo)``."""
    key = agent_key(trace)
    if key is None:
        return None
    name, service = key
    return f"{name} (service {service})" if service else name


def describe(passing: int, agent: str | None, *, disabled: bool = False) -> str:
    """The report's baseline line: what the run was compared with, or why it was not."""
    if disabled:
        return "off (--no-baseline)"
    of = f" of {agent}" if agent else ""
    if passing >= MIN_BASELINE_RUNS:
        return f"{passing} passing runs{of}"
    found = "no passing runs" if passing == 0 else f"only {passing} passing run{'s' if passing > 1 else ''}"
    return f"none: {found}{of} in the source ({MIN_BASELINE_RUNS} needed)"


def passing_runs(trace: Trace, candidates: Iterable[Trace], *, limit: int = MAX_BASELINE_RUNS) -> list[Trace]:
    """The passing runs of ``trace``'s agent among ``candidates`` (``trace`` itself left out), oldest first."""
    key = agent_key(trace)
    if key is None or limit <= 0:
        return []
    same = [t for t in candidates if t.trace_id != trace.trace_id and agent_key(t) == key]
    same.sort(key=lambda t: (t.start_ns, t.trace_id))
    passing: list[Trace] = []
    for run in reversed(same):  # newest first, so only as many runs as needed are checked
        if not run_failed(run):
            passing.append(run)
            if len(passing) >= limit:
                break
    passing.reverse()
    return passing


def profiled(passing: list[Trace]) -> tuple[list[Trace], BaselineProfile | None]:
    """The runs used as the baseline and their profile: none below `MIN_BASELINE_RUNS` passing runs."""
    if len(passing) < MIN_BASELINE_RUNS:
        return [], None
    return passing, baseline_profile(passing)

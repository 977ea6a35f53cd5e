"""Scoring the RCA on the corpus: agent-level and step-level top-1/top-3, against random choice.

Only the public result of `otel_agent_trace.rca.analyze` is read. Agent ranking: ``report.agents`` if the report
has it, else the per-agent blame (``report.blame.agents``), else the root cause's agent. Step ranking:
``report.candidates`` if present, else ``report.blame.steps``, else the root cause.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from otel_agent_trace.model import Trace
from otel_agent_trace.rca import analyze, baseline_profile

from ._corpus import Case

KS = (1, 3)


def resolve_label(trace: Trace, key: tuple[str, int]) -> list[str]:
    """Span ids matching a label key (span name, occurrence in start order): one, or none if it is wrong."""
    name, occurrence = key
    same = [s.span_id for s in trace.spans if s.name == name]
    return [same[occurrence]] if 0 <= occurrence < len(same) else []


def _field(item: Any, *names: str) -> Any:
    for name in names:
        if isinstance(item, Mapping) and name in item:
            return item[name]
        if hasattr(item, name):
            return getattr(item, name)
    return None


def ranked_agents(report: Any) -> list[str]:
    """Agents, most blamed first."""
    agents = getattr(report, "agents", None)
    if agents:
        if isinstance(agents, Mapping):
            return [str(a) for a, _ in sorted(agents.items(), key=lambda kv: -float(kv[1]))]
        return [str(_field(a, "agent", "name")) for a in agents]
    blamed = getattr(report.blame, "agents", None) or {}
    if blamed:
        return [a for a, _ in sorted(blamed.items(), key=lambda kv: (-float(kv[1]), kv[0]))]
    return [report.root_cause.agent] if report.root_cause is not None else []


def ranked_spans(report: Any) -> list[str]:
    """Span ids, most likely root cause first."""
    candidates = getattr(report, "candidates", None)
    if candidates:
        return [str(_field(c, "span_id")) for c in candidates]
    steps = [s.span_id for s in report.blame.steps]
    if steps:
        return steps
    return [report.root_cause.span_id] if report.root_cause is not None else []


def _agent_of(trace: Trace, span_id: str) -> str | None:
    """The agent a span belongs to: its own ``gen_ai.agent.name``, else its nearest agent run's."""
    span = trace.by_id.get(span_id)
    while span is not None:
        name = span.attributes.get("gen_ai.agent.name")
        if isinstance(name, str):
            return name
        span = trace.by_id.get(span.parent_span_id or "")
    return None


def positional_picks(trace: Trace) -> dict[str, tuple[str | None, str | None]]:
    """What simple position rules would name, as (agent, span id): the first step, and the last step."""
    steps = [s for s in trace.spans if not s.name.startswith(("invoke_agent ", "evaluate "))]
    if not steps:
        return {"first_step": (None, None), "last_step": (None, None)}
    last = max(steps, key=lambda s: (s.end_ns, s.start_ns))
    return {
        "first_step": (_agent_of(trace, steps[0].span_id), steps[0].span_id),
        "last_step": (_agent_of(trace, last.span_id), last.span_id),
    }


def _rank(items: Sequence[str], wanted: str, *, fold: bool = False) -> int | None:
    key = wanted.casefold() if fold else wanted
    for i, item in enumerate(items):
        if (item.casefold() if fold else item) == key:
            return i + 1
    return None


@dataclass(frozen=True)
class CaseResult:
    """Where the labelled agent and span came in one analysis."""

    index: int
    system: str
    category: str
    shape: str
    raises: bool
    baseline: bool
    agents: int
    spans: int
    failed_detected: bool
    agent_rank: int | None
    step_rank: int | None
    labelled_agent: str
    blamed_agent: str | None
    labelled_span: str
    blamed_span: str | None
    first_step_agent: bool = False
    first_step_span: bool = False
    last_step_agent: bool = False
    last_step_span: bool = False
    """Whether the position rules ("the first step is to blame", "the last step is") hit agent and span."""


def score_case(case: Case, *, with_baseline: bool) -> CaseResult:
    """Analyse the failing run of ``case`` (with its siblings as baseline or none) and rank the label."""
    run = case.failing
    scenario = run.scenario
    key, agent = scenario.decisive_key, scenario.responsible_agent
    if key is None or agent is None:
        raise ValueError(f"case {case.spec.index} has no label")
    [label] = resolve_label(run.trace, key)
    baseline = baseline_profile([p.trace for p in case.passing]) if with_baseline else None
    report = analyze(run.trace, baseline=baseline)
    agents, spans = ranked_agents(report), ranked_spans(report)
    picks = positional_picks(run.trace)
    fold = agent.casefold()
    return CaseResult(
        index=case.spec.index,
        system=scenario.system,
        category=case.spec.category,
        shape=scenario.shape,
        raises=scenario.raises,
        baseline=with_baseline,
        agents=len(scenario.agents),
        spans=len(run.trace.spans),
        failed_detected=bool(report.failed),
        agent_rank=_rank(agents, agent, fold=True),
        step_rank=_rank(spans, label),
        labelled_agent=agent,
        blamed_agent=agents[0] if agents else None,
        labelled_span=f"{key[0]}#{key[1]}",
        blamed_span=next((s.name for s in run.trace.spans if spans and s.span_id == spans[0]), None),
        first_step_agent=(picks["first_step"][0] or "").casefold() == fold,
        first_step_span=picks["first_step"][1] == label,
        last_step_agent=(picks["last_step"][0] or "").casefold() == fold,
        last_step_span=picks["last_step"][1] == label,
    )


def _hit(rank: int | None, k: int) -> float:
    return 1.0 if rank is not None and rank <= k else 0.0


def summarize(results: Iterable[CaseResult], group: str = "category") -> dict[str, dict[str, float]]:
    """Rates per group value and ``overall``: detected, agent/step top-k, and random choice's exact expectation.

    Random choice's top-k chance on one run is ``min(k, n) / n`` (``n`` agents, or spans, of that run); the table
    gives its mean over the runs of the group. ``agent_first_step``/``step_last_step`` (...) are what the position
    rules "the first (last) non-agent span is the root cause" score at top-1, for comparison.
    """
    groups: dict[str, list[CaseResult]] = defaultdict(list)
    for r in results:
        groups[str(getattr(r, group))].append(r)
        groups["overall"].append(r)
    table: dict[str, dict[str, float]] = {}
    for name, rows in sorted(groups.items(), key=lambda kv: (kv[0] == "overall", kv[0])):
        n = len(rows)
        row: dict[str, float] = {"runs": float(n), "detected": sum(r.failed_detected for r in rows) / n}
        for k in KS:
            row[f"agent_top{k}"] = sum(_hit(r.agent_rank, k) for r in rows) / n
            row[f"agent_random_top{k}"] = sum(min(k, r.agents) / r.agents for r in rows) / n
            row[f"step_top{k}"] = sum(_hit(r.step_rank, k) for r in rows) / n
            row[f"step_random_top{k}"] = sum(min(k, r.spans) / r.spans for r in rows) / n
        for rule in ("first_step", "last_step"):
            row[f"agent_{rule}"] = sum(getattr(r, f"{rule}_agent") for r in rows) / n
            row[f"step_{rule}"] = sum(getattr(r, f"{rule}_span") for r in rows) / n
        table[name] = row
    return table


def as_json(results: Iterable[CaseResult]) -> list[dict[str, Any]]:
    """The per-run results as JSON-ready dicts."""
    return [asdict(r) for r in results]

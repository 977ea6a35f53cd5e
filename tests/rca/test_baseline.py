"""Baselines from passing runs: only values stable across them are references, and they never make the answer worse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from otel_agent_trace.model import Span, Trace, group_traces, spans_from_otlp
from otel_agent_trace.rca import baseline_profile, blame
from otel_agent_trace.rca.arithmetic import operands
from otel_agent_trace.rca.corpus import CorpusRun, generate_run
from otel_agent_trace.rca.signals import baseline_weight, stable_range
from otel_agent_trace.rca.view import TraceView

from .test_provenance import TRACE


def _run(rate: float, city: str, total: float, task: str = "x") -> Trace:
    """A session with a rates step and a booking step whose outputs are JSON objects."""
    outputs = ({"rate": rate, "city": city}, {"total": total})
    spans = [
        Span(
            TRACE, "0" * 15 + "1", None, "invoke_agent session", 0, 10**10, attributes={"agent_trace.step.input": task}
        )
    ]
    for i, (name, output) in enumerate(zip(("step rates", "step book"), outputs, strict=True), start=2):
        attributes = {"agent_trace.step.input": "go", "agent_trace.step.output": json.dumps(output)}
        spans.append(Span(TRACE, f"{i:016x}", "0" * 15 + "1", name, i * 10**9, (i + 1) * 10**9, attributes=attributes))
    return group_traces(spans)[0]


def _deviations(passing: list[Trace], failing: Trace) -> list[str]:
    profile = baseline_profile(passing)
    return [e.detail for e in profile.compare(TraceView(failing)) if e.kind == "out_of_baseline"]


def test_a_value_that_varies_across_passing_runs_is_no_deviation() -> None:
    passing = [_run(1.08, city, total) for city, total in (("Paris", 120.0), ("Oslo", 310.0), ("Rome", 95.0))]
    found = _deviations(passing, _run(1.08, "Lima", 12.5))
    assert not any(".total =" in d or ".city =" in d for d in found), found


def test_a_stable_value_that_changes_is_a_deviation() -> None:
    passing = [_run(1.08, city, total) for city, total in (("Paris", 120.0), ("Oslo", 310.0), ("Rome", 95.0))]
    found = _deviations(passing, _run(0.0108, "Paris", 120.0))
    assert any(".rate = 0.0108" in d for d in found), found


def test_few_runs_give_no_range_and_a_range_is_widened_by_its_spread() -> None:
    assert stable_range([1.0, 1.1], 2) is None  # two different values: too few runs for a range
    assert stable_range([1.08, 1.08], 2) == (1.08, 1.08)  # identical in both: a reference
    low, high = stable_range([1.0, 1.1, 1.05], 3) or (0.0, 0.0)
    assert low < 1.0 and high > 1.1
    assert stable_range([10.0, 300.0, 95.0], 3) is None  # too spread to be a reference
    assert baseline_weight(2) < baseline_weight(5) < baseline_weight(30) < 1.0


def test_a_computed_number_is_supported_by_the_numbers_it_came_from() -> None:
    assert operands({"160.0": 160.0, "0.0108": 0.0108}, "n:1.73") == ("160.0", "0.0108")
    assert operands({"42": 42.0}, "n:42000") == ("42",)
    assert operands({"160.0": 160.0, "0.0108": 0.0108}, "n:517") is None


def _top1(runs: list[CorpusRun], passing: int) -> int:
    profile = baseline_profile([_trace(generate_run("pass", 1000 + i)) for i in range(passing)]) if passing else None
    return sum(blame(_trace(r), baseline=profile).top(1) == [r.root_cause_span_id] for r in runs)


def _trace(run: CorpusRun) -> Trace:
    return group_traces(spans_from_otlp(run.document))[0]


@pytest.mark.parametrize("passing", [2, 3, 5])
def test_a_baseline_of_few_passing_runs_is_not_worse_than_none(corpus: list[CorpusRun], passing: int) -> None:
    failing = [r for r in corpus if r.failed]
    assert _top1(failing, passing) >= _top1(failing, 0)


def test_the_demo_names_the_faulty_tool_with_and_without_baseline(tmp_path: Path) -> None:
    pytest.importorskip("openai")
    from otel_agent_trace.demo import run_demo
    from otel_agent_trace.rca import analyze

    result = run_demo(tmp_path)
    assert result.report.root_cause is not None and result.report.root_cause.name == "execute_tool get_exchange_rate"
    alone = analyze(result.trace)  # convert_budget's 1.73 is 160 x 0.0108: its blame goes to the rate's producer
    assert alone.root_cause is not None and alone.root_cause.name == "execute_tool get_exchange_rate"


def test_a_value_the_run_was_given_is_no_deviation() -> None:
    passing = [_run(1.08, "Paris", total) for total in (120.0, 130.0, 125.0)]
    found = _deviations(passing, _run(1.08, "Lima", 125.0, task="book a hotel in Lima"))
    assert not any(".city =" in d for d in found), found
    assert any(".city =" in d for d in _deviations(passing, _run(1.08, "Lima", 125.0))), "Lima not asked for"


def test_an_extra_field_is_no_deviation_a_missing_one_is() -> None:
    passing = [_run(1.08, "Paris", total) for total in (120.0, 130.0, 125.0)]
    profile = baseline_profile(passing)
    extra = {"rate": 1.08, "city": "Paris", "note": "cached"}
    assert not _deviations(passing, _with_rates_output(extra))
    found = [e.detail for e in profile.compare(TraceView(_with_rates_output({"rate": 1.08})))]
    assert any("'fields:rate'" in d for d in found), found


def _with_rates_output(output: dict[str, object]) -> Trace:
    trace = _run(1.08, "Paris", 125.0)
    spans = [
        Span(s.trace_id, s.span_id, s.parent_span_id, s.name, s.start_ns, s.end_ns, attributes=dict(s.attributes))
        for s in trace.spans
    ]
    spans[1].attributes["agent_trace.step.output"] = json.dumps(output)
    return group_traces(spans)[0]

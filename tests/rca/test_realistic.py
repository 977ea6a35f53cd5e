"""The realistic RCA corpus is well-formed, deterministic and scorable (no accuracy floor is asserted here)."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import pytest

from otel_agent_trace.model import Trace, load_traces
from otel_agent_trace.semconv import evaluation as ev
from tests.rca.realistic import (
    CATEGORIES,
    SHAPES,
    SYSTEMS,
    Case,
    as_json,
    build_corpus,
    case_specs,
    resolve_label,
    scenario,
    scenarios,
    score_case,
    summarize,
    write_jsonl,
)


@pytest.fixture(scope="module")
def corpus() -> list[Case]:
    return build_corpus()


def _outcomes(trace: Trace) -> list[dict[str, Any]]:
    return [dict(e.attributes) for s in trace.spans for e in s.events if e.name == ev.GEN_AI_EVALUATION_RESULT_EVENT]


def test_size_categories_shapes_and_systems(corpus: list[Case]) -> None:
    assert len(corpus) >= 60
    assert {c.spec.category for c in corpus} == set(CATEGORIES)
    assert {c.spec.system for c in corpus} == set(SYSTEMS)
    assert {c.failing.scenario.shape for c in corpus} == set(SHAPES)
    for system in SYSTEMS:
        assert {c.spec.shape for c in corpus if c.spec.system == system} == set(SHAPES), system


def test_most_failing_runs_raise_nothing(corpus: list[Case]) -> None:
    raising = [c for c in corpus if any(s.is_error for s in c.failing.trace.roots)]
    assert raising, "a minority raises"
    assert {id(c) for c in raising} == {id(c) for c in corpus if c.failing.scenario.raises}
    assert len(raising) <= len(corpus) // 4
    for case in corpus:
        if case.failing.scenario.raises:
            assert _outcomes(case.failing.trace) == []
            continue
        assert not any(s.is_error for s in case.failing.trace.spans if s.parent_span_id is None)
        [outcome] = _outcomes(case.failing.trace)
        assert outcome[ev.EVALUATION_SUCCESS] is False
        assert outcome[ev.EVALUATION_EXPECTED] != outcome[ev.EVALUATION_ACTUAL]


def test_passing_siblings_pass_and_match_the_failing_run(corpus: list[Case]) -> None:
    for case in corpus:
        assert 1 <= len(case.passing) <= 3
        failing = case.failing.scenario
        for sibling in case.passing:
            s = sibling.scenario
            assert (s.system, s.family, s.shape, s.category) == (failing.system, failing.family, failing.shape, None)
            assert not any(span.is_error for span in sibling.trace.roots)
            [outcome] = _outcomes(sibling.trace)
            assert outcome[ev.EVALUATION_SUCCESS] is True
            assert outcome[ev.EVALUATION_EXPECTED] == outcome[ev.EVALUATION_ACTUAL]
            assert set(failing.agents) <= set(s.agents)  # the same team
            assert s.root.input != failing.root.input  # other entities


def test_every_label_resolves_to_exactly_one_span_of_its_run(corpus: list[Case]) -> None:
    for case in corpus:
        run = case.failing
        key = run.scenario.decisive_key
        assert key is not None
        assert resolve_label(run.trace, key) == [run.decisive_span_id]
        assert run.scenario.responsible_agent in run.scenario.agents
        assert sum(s.span_id == run.decisive_span_id for s in run.trace.spans) == 1


def test_labels_are_not_all_at_one_position(corpus: list[Case]) -> None:
    """The decisive span is spread over runs' positions, and often earlier than the surface of the failure."""
    positions = Counter()
    for case in corpus:
        ids = [s.span_id for s in case.failing.trace.spans]
        where = ids.index(case.failing.decisive_span_id) / (len(ids) - 1)
        positions["early" if where < 0.34 else "middle" if where < 0.67 else "late"] += 1
    assert min(positions.values()) >= len(corpus) // 10, positions
    responsible = Counter(c.failing.scenario.responsible_agent for c in corpus)
    assert len(responsible) >= 10


def test_no_marker_of_the_mistake_in_the_recorded_data(corpus: list[Case]) -> None:
    marker = re.compile(r"\b(inject\w*|decisive|culprit|ground[_ ]truth|faults?|bug|mistake)\b")
    for case in corpus:
        text = json.dumps(case.failing.document).lower()
        assert marker.search(text) is None, (case.spec, marker.search(text))


def test_both_shapes_have_their_structure(corpus: list[Case]) -> None:
    for case in corpus:
        trace = case.failing.trace
        runs = [s for s in trace.spans if s.name.startswith("invoke_agent ")]
        if case.spec.shape == "flat":
            assert len(runs) == 1
            assert all("gen_ai.agent.name" in s.attributes for s in trace.spans if s is not runs[0])
        else:
            assert len(runs) > 1


def test_generation_is_deterministic() -> None:
    assert case_specs(0) == case_specs(0)
    assert case_specs(0) != case_specs(1)
    for spec in case_specs(0)[::7]:
        first, second = scenarios(spec), scenarios(spec)
        assert _shape(first[0].root) == _shape(second[0].root)
        assert [_shape(s.root) for s in first[1]] == [_shape(s.root) for s in second[1]]
        assert first[0].decisive_key == second[0].decisive_key
        assert first[0].outcome == second[0].outcome


def _shape(node: Any) -> Any:
    return (
        node.kind,
        node.name,
        node.agent,
        repr(node.input),
        repr(node.output),
        node.raises,
        [_shape(c) for c in node.children],
    )


def _stable(key: str, value: Any) -> Any:
    """The OpenInference ``metadata`` JSON without its ids (it repeats the run id)."""
    if key != "metadata" or not isinstance(value, str):
        return value
    return sorted((k, repr(v)) for k, v in json.loads(value).items() if "id" not in k)


def test_recorded_traces_are_deterministic_but_for_ids_and_times() -> None:
    def canonical(case: Case) -> list[Any]:
        trace = case.failing.trace
        index = {s.span_id: i for i, s in enumerate(trace.spans)}
        volatile = ("id", "hash", "latency", "conversation", "session")
        return [
            (
                s.name,
                index.get(s.parent_span_id or ""),
                s.status_code,
                sorted((k, _stable(k, v)) for k, v in s.attributes.items() if not any(w in k for w in volatile)),
            )
            for s in trace.spans
        ]

    one, two = build_corpus(limit=2), build_corpus(limit=2)
    assert [canonical(c) for c in one] == [canonical(c) for c in two]
    assert [[(s.span_id, s.start_ns, s.end_ns) for s in c.failing.trace.spans] for c in one] == [
        [(s.span_id, s.start_ns, s.end_ns) for s in c.failing.trace.spans] for c in two
    ]
    assert [score_case(c, with_baseline=True) for c in one] == [score_case(c, with_baseline=True) for c in two]


def test_replayed_times_look_like_an_agent_run(corpus: list[Case]) -> None:
    trace = corpus[0].failing.trace
    steps = [s for s in trace.spans if s.name.startswith("step ")]
    assert all(s.duration_ns >= 500_000_000 for s in steps)  # model turns take seconds, not microseconds
    for span in trace.spans:
        parent = trace.by_id.get(span.parent_span_id or "")
        if parent is not None:
            assert parent.start_ns <= span.start_ns <= span.end_ns <= parent.end_ns


def test_scoring_end_to_end_on_a_subset(tmp_path) -> None:
    cases = build_corpus(limit=2)
    results = [score_case(c, with_baseline=b) for c in cases for b in (False, True)]
    table = summarize(results)
    overall = table["overall"]
    assert overall["runs"] == len(results)
    for key, value in overall.items():
        if key != "runs":
            assert 0.0 <= value <= 1.0, key
    assert 0 < overall["agent_random_top1"] < overall["agent_random_top3"] <= 1
    assert 0 < overall["step_random_top1"] < overall["step_random_top3"] < 1
    assert {"agent_first_step", "agent_last_step", "step_first_step", "step_last_step"} <= set(overall)
    json.dumps(as_json(results))
    write_jsonl([c.failing for c in cases], tmp_path / "failing.jsonl")
    loaded = load_traces(tmp_path / "failing.jsonl")
    assert sorted(t.trace_id for t in loaded) == sorted(c.failing.trace.trace_id for c in cases)


def test_one_scenario_reads_like_a_run() -> None:
    s = scenario("magentic_one", "code_bug", "nested", seed=5)
    assert s.responsible_agent == "Coder"
    assert s.decisive_key == ("step write_code", 0)
    assert s.outcome is not None and not s.outcome.success

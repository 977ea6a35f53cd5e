"""Record/replay of a manual-API agent: tool results served, overrides, divergence, bad overrides, timeout."""

from __future__ import annotations

from pathlib import Path

import pytest

from otel_agent_trace.model import Trace
from otel_agent_trace.rca.replay import ReplayResult, replay

from .conftest import PROGRAMS, record, span_named, tree

AGENT = PROGRAMS / "manual_agent.py"


@pytest.fixture(scope="module")
def passing(tmp_path_factory: pytest.TempPathFactory) -> Trace:
    return record(tmp_path_factory.mktemp("pass"), AGENT)


@pytest.fixture(scope="module")
def failing(tmp_path_factory: pytest.TempPathFactory) -> Trace:
    return record(tmp_path_factory.mktemp("fail"), AGENT, {"MANUAL_AGENT_FAULTY": "1"})


def test_unchanged_replay_reproduces_tree_and_results(passing: Trace, tmp_path: Path, monkeypatch):
    log = tmp_path / "tool-calls.log"
    monkeypatch.setenv("MANUAL_AGENT_LOG", str(log))
    result = replay(passing, str(AGENT))
    assert result.status == "passed", result.detail
    assert result.trace is not None
    assert tree(result.trace) == tree(passing)  # incl. the tools' random ids: served, not recomputed
    assert (result.served, result.live, result.overridden) == (3, 0, ())
    assert not log.exists()  # no tool ran for real


def test_replay_of_failing_run_fails_the_same_way(failing: Trace):
    result = replay(failing, str(AGENT))
    assert result.status == "failed"
    assert result.failure is not None
    assert "NoOptionsError" in result.failure
    assert result.trace is not None
    assert tree(result.trace) == tree(failing)


def test_override_of_the_faulty_tool_makes_the_run_pass(failing: Trace):
    rate = span_named(failing, "execute_tool get_exchange_rate")
    fixed = {"base": "EUR", "quote": "USD", "rate": 1.08}
    result = replay(failing, str(AGENT), override={rate.span_id: fixed}, allow_live=True)
    assert result.status == "passed", result.detail
    assert result.overridden == (rate.span_id,)
    assert result.live == 1  # search_hotels got other arguments (172.8) and ran for real
    assert result.trace is not None
    assert span_named(result.trace, "step convert_budget").attributes["agent_trace.step.output"] == "172.8"


def test_changed_tool_arguments_without_live_calls_diverge(failing: Trace):
    rate = span_named(failing, "execute_tool get_exchange_rate")
    result = replay(failing, str(AGENT), override={rate.span_id: {"rate": 1.08}})
    assert result.status == "diverged"
    assert result.diverged_at is not None
    assert result.diverged_at.startswith("span execute_tool search_hotels (#1): expected search_hotels(")
    assert "got search_hotels(" in result.diverged_at
    assert "172.8" in result.diverged_at


def test_override_of_a_step_and_a_callable_program(failing: Trace):
    step = span_named(failing, "step convert_budget")
    result = replay(failing, "tests.replay.programs.manual_agent:main", override={step.span_id: 500.0}, allow_live=True)
    assert result.status == "passed", result.detail
    assert result.overridden == (step.span_id,)
    assert result.to_dict()["overridden"] == [step.span_id]


def test_bad_overrides_and_programs_are_errors_not_exceptions(passing: Trace):
    run = next(s for s in passing.spans if s.name.startswith("invoke_agent"))
    results: list[ReplayResult] = [
        replay(passing, str(AGENT), override={"0" * 16: 1}),
        replay(passing, str(AGENT), override={run.span_id: 1}),
        replay(passing, str(AGENT), override={span_named(passing, "step convert_budget").span_id: object()}),
        replay(passing, "no/such/script.py"),
        replay(passing, lambda: None),
        replay(Trace("0" * 32, ()), str(AGENT)),
    ]
    assert [r.status for r in results] == ["error"] * len(results)
    assert "cannot be overridden" in results[1].detail
    assert "not JSON-serializable" in results[2].detail
    assert "no replay recording" in results[5].detail


def test_timeout_is_bounded(passing: Trace, tmp_path: Path):
    slow = tmp_path / "slow.py"
    slow.write_text("import time\ntime.sleep(60)\n", encoding="utf-8")
    result = replay(passing, str(slow), timeout=1.0)
    assert result.status == "timeout"
    assert "longer than 1 s" in result.detail


def test_program_that_never_inits_is_an_error(passing: Trace, tmp_path: Path):
    bare = tmp_path / "bare.py"
    bare.write_text("print('no tracing here')\n", encoding="utf-8")
    result = replay(passing, str(bare))
    assert result.status == "error"
    assert "never called otel_agent_trace.init()" in result.detail

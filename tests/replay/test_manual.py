"""Record/replay of a manual-API agent: tool results served, overrides, divergence, bad overrides."""

from __future__ import annotations

from pathlib import Path

from otel_agent_trace.rca.replay import replay
from otel_agent_trace.semconv import gen_ai

from .conftest import PROGRAMS, tree

AGENT = str(PROGRAMS / "manual_agent.py")
KEYS = (gen_ai.GEN_AI_TOOL_CALL_ARGUMENTS, gen_ai.GEN_AI_TOOL_CALL_RESULT, "agent_trace.step.output")


def _span(trace, name):
    return next(s for s in trace.spans if s.name == name)


def test_unchanged_replay_reproduces_tree_and_results(recorder, tmp_path: Path, monkeypatch):
    recorded = recorder([AGENT])
    log = tmp_path / "tool-calls.log"
    monkeypatch.setenv("MANUAL_AGENT_LOG", str(log))
    result = replay(recorded, AGENT)
    assert result.status == "passed", result.detail
    assert result.trace is not None
    assert tree(result.trace, KEYS) == tree(recorded, KEYS)
    assert result.served == 3
    assert result.live == 0
    assert not log.exists()  # no tool ran for real: the random ids came from the recording


def test_replay_of_failing_run_fails_the_same_way(recorder):
    recorded = recorder([AGENT], env={"MANUAL_AGENT_FAULTY": "1"})
    result = replay(recorded, AGENT)
    assert result.status == "failed"
    assert result.failure is not None and "NoOptionsError" in result.failure
    assert tree(result.trace, KEYS) == tree(recorded, KEYS)


def test_override_of_the_faulty_tool_makes_the_run_pass(recorder):
    recorded = recorder([AGENT], env={"MANUAL_AGENT_FAULTY": "1"})
    rate = _span(recorded, "execute_tool get_exchange_rate")
    fixed = {"base": "EUR", "quote": "USD", "rate": 1.08}
    result = replay(recorded, AGENT, override={rate.span_id: fixed}, allow_live=True)
    assert result.status == "passed", result.detail
    assert result.overridden == (rate.span_id,)
    assert result.live == 1  # search_hotels got other arguments (172.8) and ran for real
    convert = _span(result.trace, "step convert_budget")
    assert convert.attributes["agent_trace.step.output"] == "172.8"


def test_changed_tool_arguments_without_live_calls_diverge(recorder):
    recorded = recorder([AGENT], env={"MANUAL_AGENT_FAULTY": "1"})
    rate = _span(recorded, "execute_tool get_exchange_rate")
    result = replay(recorded, AGENT, override={rate.span_id: {"rate": 1.08}})
    assert result.status == "diverged"
    assert result.diverged_at is not None
    assert result.diverged_at.startswith("span execute_tool search_hotels (#1): expected search_hotels(")
    assert "172.8" in result.diverged_at


def test_override_of_a_step(recorder):
    recorded = recorder([AGENT], env={"MANUAL_AGENT_FAULTY": "1"})
    step = _span(recorded, "step convert_budget")
    result = replay(recorded, AGENT, override={step.span_id: 500.0}, allow_live=True)
    assert result.status == "passed", result.detail
    assert result.overridden == (step.span_id,)


def test_callable_program(recorder):
    recorded = recorder([AGENT])
    result = replay(recorded, "tests.replay.programs.manual_agent:main")
    assert result.status == "passed", result.detail
    assert tree(result.trace, KEYS) == tree(recorded, KEYS)


def test_bad_overrides_and_programs_are_errors_not_exceptions(recorder):
    recorded = recorder([AGENT])
    run = next(s for s in recorded.spans if s.name.startswith("invoke_agent"))
    assert replay(recorded, AGENT, override={"0" * 16: 1}).status == "error"
    bad = replay(recorded, AGENT, override={run.span_id: 1})
    assert bad.status == "error"
    assert "cannot be overridden" in bad.detail
    assert replay(recorded, "no/such/script.py").status == "error"
    assert replay(recorded, lambda: None).status == "error"

"""diagnose() inside a manual-API run that fails: it names the faulty tool and the snapshot to roll back to."""

from __future__ import annotations

import json

import pytest
from opentelemetry import trace as trace_api

import otel_agent_trace as oat
from otel_agent_trace._internal import recent as recent_mod
from otel_agent_trace._internal.settings import Settings

from .agents import hotel_agent
from .conftest import Bench, diagnosing

PLANNED = {"working_memory": {"budget_eur": 160}, "goal_stack": ["book hotel", "convert budget"]}


def test_caught_exception_names_the_faulty_tool_and_the_snapshot_before_it(bench: Bench) -> None:
    diagnosis = hotel_agent(on_failure=oat.diagnose)(160)
    assert isinstance(diagnosis, oat.Diagnosis)
    assert (diagnosis.name, diagnosis.kind, diagnosis.agent) == (
        "execute_tool get_exchange_rate",
        "tool",
        "hotel-booker",
    )
    assert diagnosis.failure_kind == "exception"
    assert "no hotel at or under 1.73 USD" in diagnosis.failure_detail
    assert any("1.73" in line for line in diagnosis.evidence)
    assert diagnosis.score > max(c.score for c in diagnosis.candidates)
    assert "step convert_budget" in [c.name for c in diagnosis.candidates]
    # the rollback point: the last snapshot before the tool ran ('planned'), not the one after it
    rollback = diagnosis.rollback
    assert rollback is not None
    assert (rollback.span_name, rollback.label) == ("step plan", "planned")
    assert dict(rollback.state) == PLANNED
    assert rollback.checkpoint is None
    # the run span was still open: analysed as in progress
    assert diagnosis.spans_in_progress == 1
    assert diagnosis.spans_dropped == 0
    assert diagnosis.spans_analyzed == 6
    run = next(s for s in bench.exporter.get_finished_spans() if s.name == "invoke_agent hotel-booker")
    assert format(run.context.trace_id, "032x") == diagnosis.trace_id
    tool = next(s for s in bench.exporter.get_finished_spans() if s.name == "execute_tool get_exchange_rate")
    assert format(tool.context.span_id, "016x") == diagnosis.span_id


def test_to_dict_is_json_and_to_prompt_is_bounded_plain_text(bench: Bench) -> None:
    diagnosis = hotel_agent(on_failure=oat.diagnose)(160)
    assert diagnosis is not None
    document = json.loads(json.dumps(diagnosis.to_dict()))
    assert document["root_cause"]["name"] == "execute_tool get_exchange_rate"
    assert document["rollback"]["state"] == PLANNED
    assert document["failure"]["kind"] == "exception"
    prompt = diagnosis.to_prompt()
    assert len(prompt) <= 2000
    assert "Most likely root cause: execute_tool get_exchange_rate [tool]" in prompt
    assert "Rollback point: the state snapshot 'planned' on step plan" in prompt
    assert '"budget_eur": 160' in prompt
    short = diagnosis.to_prompt(max_chars=250)
    assert len(short) <= 250
    assert short.startswith("Self-diagnosis of the current run")


def test_wrong_answer_without_exception_via_record_outcome(bench: Bench) -> None:
    def judge() -> object:
        oat.record_outcome(False, expected="Book Budget Inn", actual="no hotel under 1.73 USD", reason="no offer")
        return oat.diagnose()

    diagnosis = hotel_agent(on_failure=judge)(160)
    assert diagnosis is not None
    assert diagnosis.failure_kind == "evaluation"
    assert diagnosis.expected == "Book Budget Inn"
    assert diagnosis.name == "execute_tool get_exchange_rate"
    assert diagnosis.rollback is not None and diagnosis.rollback.label == "planned"


def test_failed_true_for_a_run_that_says_nothing(bench: Bench) -> None:
    seen: dict[str, object] = {}

    def handler() -> None:
        seen["plain"] = oat.diagnose(failed=False)
        seen["user"] = oat.diagnose(failed=True, expected="Book Budget Inn", reason="wrong budget")

    hotel_agent(on_failure=handler)(160)
    assert seen["plain"] is None
    diagnosis = seen["user"]
    assert isinstance(diagnosis, oat.Diagnosis)
    assert diagnosis.failure_kind == "user"
    assert diagnosis.name == "execute_tool get_exchange_rate"


def test_a_passing_run_has_no_diagnosis(bench: Bench) -> None:
    with oat.agent_run("quiet"):
        with oat.step("think"):
            oat.snapshot_state(working_memory={"x": 1})
        assert oat.diagnose() is None


def test_unchanged_snapshot_takes_its_state_from_the_earlier_one(bench: Bench) -> None:
    @oat.tool_call("lookup")
    def lookup(key: str) -> dict[str, object]:
        return {"value": -40}

    @oat.agent_step("use")
    def use(value: int) -> int:
        if value < 0:
            raise ValueError(f"value {value} is negative")
        return value

    with oat.agent_run("memory-agent"):
        with oat.step("first"):
            oat.snapshot_state(working_memory={"notes": ["a"]}, label="one")
        with oat.step("second"):
            oat.snapshot_state(working_memory={"notes": ["a"]}, label="two")  # same state: content not re-sent
        try:
            use(lookup("k")["value"])
        except ValueError:
            diagnosis = oat.diagnose()
    assert diagnosis is not None
    assert diagnosis.rollback is not None
    assert diagnosis.rollback.label == "two"
    assert diagnosis.rollback.state["working_memory"] == {"notes": ["a"]}


def test_an_ended_trace_by_id(bench: Bench) -> None:
    hotel_agent()(160)
    run = next(s for s in bench.exporter.get_finished_spans() if s.name == "invoke_agent hotel-booker")
    trace_id = format(run.context.trace_id, "032x")
    assert oat.diagnose() is None  # no current span: nothing to analyse
    diagnosis = oat.diagnose(trace_id=trace_id, failed=True)
    assert diagnosis is not None
    assert diagnosis.trace_id == trace_id
    assert diagnosis.spans_in_progress == 0
    assert oat.diagnose(trace_id=run.context.trace_id, failed=True) is not None
    assert oat.diagnose(trace_id="f" * 32, failed=True) is None  # not held


def test_secrets_in_the_buffer_are_redacted_when_read(bench: Bench) -> None:
    key = "sk-proj-" + "Ab3" * 40

    @oat.tool_call("fetch_config")
    def fetch_config() -> dict[str, object]:
        return {"api_key": key, "limit": -1}

    @oat.agent_step("apply")
    def apply(limit: int) -> int:
        raise ValueError(f"limit {limit} rejected")

    with oat.agent_run("config-agent"):
        try:
            apply(fetch_config()["limit"])
        except ValueError:
            diagnosis = oat.diagnose()
    assert diagnosis is not None
    assert key not in json.dumps(diagnosis.to_dict())
    assert key not in diagnosis.to_prompt(max_chars=100_000)


def test_without_a_buffer_there_is_no_diagnosis(monkeypatch: pytest.MonkeyPatch) -> None:
    with diagnosing(Settings(capture_content=True, diagnose_buffer=0)) as bench:
        assert bench.processor.recent is None
        assert hotel_agent(on_failure=oat.diagnose)(160) is None
    monkeypatch.setattr(recent_mod, "_sources", [])
    with trace_api.get_tracer("t").start_as_current_span("no processor at all"):
        assert oat.diagnose(failed=True) is None


def test_no_init_no_span() -> None:
    assert oat.diagnose() is None
    assert oat.diagnose(failed=True, expected="x") is None


def test_import_stays_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, otel_agent_trace as oat; assert oat.diagnose() is None; "
        "print(sorted(m for m in sys.modules if m.startswith(('otel_agent_trace.rca', 'otel_agent_trace.model', "
        "'otel_agent_trace.processor', 'google.protobuf', 'opentelemetry.sdk'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

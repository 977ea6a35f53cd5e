"""Blame by provenance on flat, text-heavy multi-agent logs, written from failure descriptions.

Each log is one session span with one named step per message (how a group chat or a replayed log looks), content
in ``agent_trace.step.input``/``output`` or ``gen_ai.output.messages``; most fail without an exception.
"""

from __future__ import annotations

import json
import math

from otel_agent_trace.model import Span, SpanEvent, Trace
from otel_agent_trace.rca import analyze, find_failure
from otel_agent_trace.rca.content import claims, text_of
from otel_agent_trace.rca.provenance import provenance
from otel_agent_trace.rca.view import TraceView
from otel_agent_trace.semconv import evaluation as ev

TRACE = "ab" * 16


def _log(task: str, messages: list[tuple[str, str]], *, evaluation: dict[str, object] | None = None) -> Trace:
    """A session span (input: the task) with one step per (agent, text) message, 1 s apart."""
    events = ()
    if evaluation is not None:
        events = (SpanEvent(ev.GEN_AI_EVALUATION_RESULT_EVENT, 10**12, evaluation),)
    root = Span(
        TRACE,
        "0" * 15 + "1",
        None,
        "invoke_agent session",
        0,
        10**12,
        attributes={"gen_ai.operation.name": "invoke_agent", "agent_trace.step.input": task},
        events=events,
    )
    spans = [root]
    for i, (agent, text) in enumerate(messages, 1):
        attrs = {
            "gen_ai.agent.name": agent,
            "agent_trace.step.action_type": "message",
            "gen_ai.output.messages": json.dumps(
                [{"role": "assistant", "parts": [{"type": "text", "content": text}], "finish_reason": "stop"}]
            ),
            "gen_ai.usage.input_tokens": 5,
        }
        spans.append(
            Span(
                TRACE,
                f"{i + 1:016x}",
                root.span_id,
                f"step {agent}",
                i * 10**9,
                i * 10**9 + 5 * 10**8,
                attributes=attrs,
            )
        )
    return Trace(TRACE, tuple(spans))


def _failing(expected: str, actual: str) -> dict[str, object]:
    return {
        ev.GEN_AI_EVALUATION_NAME: "correctness",
        ev.GEN_AI_EVALUATION_SCORE_LABEL: "incorrect",
        ev.EVALUATION_EXPECTED: expected,
        ev.EVALUATION_ACTUAL: actual,
    }


ALBUMS_TASK = "How many studio albums did Mercedes Sosa publish between 2000 and 2009?"
ALBUMS = [
    ("Orchestrator", "Plan: ask WebSurfer to find the discography of Mercedes Sosa, then count the studio albums."),
    (
        "WebSurfer",
        "I opened the Wikipedia discography. Studio albums in that period: Misa Criolla, Corazón Libre, "
        "Acústico en Suiza, Cantora 1 and Cantora 2. That is 5 studio albums.",
    ),
    ("Orchestrator", "WebSurfer reports 5 studio albums. Assistant, please confirm the count from that list."),
    ("Assistant", "Counting the list WebSurfer gave: the count is 5 studio albums."),
    ("Orchestrator", "FINAL ANSWER: 5"),
]


def test_a_wrong_fact_is_blamed_where_it_was_first_stated() -> None:
    trace = _log(ALBUMS_TASK, ALBUMS, evaluation=_failing("3", "5"))
    report = analyze(trace)
    assert report.failure is not None and report.failure.kind == "evaluation"
    assert report.root_cause is not None and report.root_cause.agent == "WebSurfer"
    assert report.root_cause.span_id == f"{3:016x}"
    assert any(e.kind == "first_introduction" for e in report.root_cause.evidence)
    assert report.agents[0].name == "WebSurfer"
    assert math.isclose(sum(a.score for a in report.agents), 1.0)
    assert math.isclose(sum(s.score for s in report.blame.steps), 1.0)
    assert len(report.candidates) >= 3


def test_no_exception_and_no_verdict_is_no_failure_but_the_user_can_say_so() -> None:
    trace = _log(ALBUMS_TASK, ALBUMS)
    assert analyze(trace).root_cause is None
    report = analyze(trace, failed=True, expected="3", reason="Sosa released 3 studio albums in the 2000s")
    assert report.failure is not None and report.failure.kind == "user"
    assert report.root_cause is not None and report.root_cause.agent == "WebSurfer"


ASSUME = [
    ("Orchestrator", "WebSurfer, find the 2020 population of Tarnów on the city statistics page."),
    ("WebSurfer", "I cannot access the statistics page: it returns an error page."),
    ("Assistant", "Since I don't have access to the page, let's assume the population of Tarnów was 120,000 in 2020."),
    ("Orchestrator", "Assistant estimates the population at 120,000. Recording that."),
    ("Orchestrator", "FINAL ANSWER: 120000"),
]


def test_an_assumed_value_that_reaches_the_answer_is_the_root_cause() -> None:
    trace = _log("What was the population of Tarnów in 2020?", ASSUME, evaluation=_failing("108470", "120000"))
    report = analyze(trace)
    assert report.root_cause is not None and report.root_cause.agent == "Assistant"
    kinds = {e.kind for e in report.root_cause.evidence}
    assert {"first_introduction", "uncertain_output"} <= kinds
    # the surfer said "cannot" too, but nothing it said reached the answer: weak evidence only
    surfer = next(s for s in report.blame.steps if s.agent == "WebSurfer")
    assert surfer.score < report.root_cause.score / 3


def test_code_run_by_an_executor_is_blamed_on_its_author() -> None:
    code = "```python\nimport pandas as pd\ndf = pd.read_csv('sales.csv')\nprint(df['prices'].mean())\n```"
    root = Span(
        TRACE,
        "0" * 15 + "1",
        None,
        "invoke_agent session",
        0,
        10**10,
        status_code="ERROR",
        attributes={
            "gen_ai.operation.name": "invoke_agent",
            "agent_trace.step.input": "Average price in sales.csv, column price",
        },
    )
    coder = Span(
        TRACE,
        "0" * 15 + "2",
        root.span_id,
        "step Coder",
        10**9,
        2 * 10**9,
        attributes={"gen_ai.agent.name": "Coder", "agent_trace.step.output": f"Run this:\n{code}"},
    )
    executor = Span(
        TRACE,
        "0" * 15 + "3",
        root.span_id,
        "step Executor",
        3 * 10**9,
        4 * 10**9,
        status_code="ERROR",
        status_message="KeyError: 'prices'",
        attributes={"gen_ai.agent.name": "Executor", "agent_trace.step.input": code},
    )
    report = analyze(Trace(TRACE, (root, coder, executor)))
    assert report.failure is not None and report.failure.kind == "exception"
    assert report.root_cause is not None and report.root_cause.agent == "Coder"
    assert report.agents[0].name == "Coder"


def test_bookkeeping_is_not_content() -> None:
    payload = {
        "id": "chatcmpl-123",
        "model": "gpt-4o",
        "usage": {"prompt_tokens": 5, "total_tokens": 16},
        "content": "Paris has 2,102,650 inhabitants",
    }
    text = text_of(payload)
    assert "gpt-4o" not in text and "16" not in text and "chatcmpl" not in text
    assert "n:2102650 inhabitants" in claims(text) and "e:paris" in claims(text)


def test_provenance_finds_who_wrote_an_input_and_is_stable() -> None:
    trace = _log(ALBUMS_TASK, ALBUMS, evaluation=_failing("3", "5"))
    prov = provenance(TraceView(trace))
    assert prov.introducer["n:5 studio"] == f"{3:016x}"
    assert f"{3:016x}" in prov.upstream(f"{6:016x}")  # the surfer's count reached the final answer
    first = analyze(trace).to_dict()
    assert all(analyze(trace).to_dict() == first for _ in range(3))


def test_a_failing_evaluation_by_any_evaluator_is_the_failure() -> None:
    trace = _log(
        ALBUMS_TASK,
        ALBUMS,
        evaluation={ev.GEN_AI_EVALUATION_NAME: "relevance", ev.GEN_AI_EVALUATION_SCORE_LABEL: "Not Relevant"},
    )
    failure = find_failure(TraceView(trace))
    assert failure is not None and failure.kind == "evaluation" and failure.span_id == "0" * 15 + "1"
    passing = _log(ALBUMS_TASK, ALBUMS, evaluation={ev.GEN_AI_EVALUATION_NAME: "x", ev.EVALUATION_SUCCESS: True})
    assert find_failure(TraceView(passing)) is None


def test_the_answer_does_not_depend_on_the_hash_seed() -> None:
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1])\n"
        "from tests.rca.test_provenance import _log, _failing, ALBUMS, ALBUMS_TASK, ASSUME\n"
        "from otel_agent_trace.rca import analyze\n"
        "out = [analyze(_log(ALBUMS_TASK, ALBUMS, evaluation=_failing('3', '5'))).to_dict(),"
        " analyze(_log('task', ASSUME), failed=True).to_dict()]\n"
        "print(json.dumps(out, sort_keys=True))\n"
    )
    root = str(Path(__file__).resolve().parents[2])
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code, root],
            env={"PYTHONHASHSEED": seed, "PATH": ""},
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1 and next(iter(outputs)).startswith("[{")


def test_an_exception_raised_on_the_run_span_is_traced_through_the_last_answer() -> None:
    trace = _log(ALBUMS_TASK, ALBUMS)
    root = trace.spans[0]
    failed_root = Span(
        root.trace_id,
        root.span_id,
        None,
        root.name,
        root.start_ns,
        root.end_ns,
        status_code="ERROR",
        status_message="WrongAnswer: the run's answer was judged incorrect",
        attributes=root.attributes,
    )
    report = analyze(Trace(TRACE, (failed_root, *trace.spans[1:])))
    assert report.failure is not None and report.failure.kind == "exception"
    assert report.root_cause is not None and report.root_cause.agent == "WebSurfer"

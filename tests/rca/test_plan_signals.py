"""Plan and goal signals (``rca/plan_signals.py``) on small runs written from failure descriptions.

Each test is a failure a person would recognise in a log (a plan that dropped part of the task, a plan thrown away
by the next one, an answer given with sub-goals open) and its innocent twin, which must stay quiet.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from otel_agent_trace.model import Span, SpanEvent, Trace
from otel_agent_trace.rca import analyze
from otel_agent_trace.rca.plan_signals import plan_items, plan_signals
from otel_agent_trace.rca.provenance import provenance
from otel_agent_trace.rca.view import TraceView
from otel_agent_trace.semconv import evaluation as ev
from otel_agent_trace.semconv.state import STATE_EVENT_NAME, STATE_GOAL_STACK

TRACE = "ab" * 16
SECOND = 10**9
TASK = "What was the total 2023 tram ridership (millions) of Oslo, Bergen and Trondheim?"
OPEN_TASK = "Find the tram ridership figures for the transport report."
"""A task naming nothing a plan could leave out."""


def _run(
    steps: list[tuple[str, str, str]],
    *,
    task: str = TASK,
    answer: str | None = None,
    goals: Sequence[tuple[int, list[str]]] = (),
    failed: tuple[str, str] | None = None,
) -> Trace:
    """A root run (input: ``task``) with one step per (agent, input, output), 1 s apart.

    ``goals``: (after which step, goal stack) snapshots, recorded on the root span. ``failed``: a failing
    evaluation (expected, actual) on the root.
    """
    events = [
        SpanEvent(STATE_EVENT_NAME, (after + 1) * SECOND + SECOND // 2, {STATE_GOAL_STACK: json.dumps(stack)})
        for after, stack in goals
    ]
    if failed is not None:
        events.append(
            SpanEvent(
                ev.GEN_AI_EVALUATION_RESULT_EVENT,
                (len(steps) + 2) * SECOND,
                {
                    ev.GEN_AI_EVALUATION_NAME: "correctness",
                    ev.GEN_AI_EVALUATION_SCORE_LABEL: "incorrect",
                    ev.EVALUATION_EXPECTED: failed[0],
                    ev.EVALUATION_ACTUAL: failed[1],
                },
            )
        )
    root_attrs: dict[str, object] = {"gen_ai.operation.name": "invoke_agent", "agent_trace.step.input": task}
    if answer is not None:
        root_attrs["agent_trace.step.output"] = answer
    end = (len(steps) + 2) * SECOND
    root = Span(TRACE, "0" * 15 + "1", None, "invoke_agent run", 0, end, attributes=root_attrs, events=tuple(events))
    spans = [root]
    for i, (agent, given, said) in enumerate(steps, 1):
        attrs = {
            "gen_ai.agent.name": agent,
            "agent_trace.step.action_type": "message",
            "agent_trace.step.input": given,
            "agent_trace.step.output": said,
        }
        spans.append(
            Span(TRACE, f"{i + 1:016x}", root.span_id, f"step {agent}", i * SECOND, (i + 1) * SECOND, attributes=attrs)
        )
    return Trace(TRACE, tuple(spans))


def _signals(trace: Trace) -> dict[int, set[str]]:
    view = TraceView(trace)
    found = plan_signals(view, provenance(view), [s.span_id for s in view.spans])
    return {int(span_id, 16) - 1: {e.kind for e in evidence} for span_id, evidence in found.items()}


def test_plan_items_in_lines_and_run_together() -> None:
    assert plan_items("Plan:\n1. Search the schedule for Lisbon\n2. Check hotels in Porto\n") == [
        "Search the schedule for Lisbon",
        "Check hotels in Porto",
    ]
    assert plan_items("Plan: 1) Researcher finds the ridership; 2) I write code to add them; 3) Terminal runs it.") == [
        "Researcher finds the ridership",
        "I write code to add them",
        "Terminal runs it.",
    ]
    assert plan_items("- read the spreadsheet file\n* sum the column of prices\n") == [
        "read the spreadsheet file",
        "sum the column of prices",
    ]


def test_text_that_is_not_a_plan() -> None:
    assert plan_items("Python 3.10 runs it; see section 2) of the manual.") == []  # does not count up from 1
    assert plan_items("The total is 12.") == []
    assert plan_items("1. only one item here in a line\n") == []


def _ridership_steps(plan: str, cities: list[str]) -> list[tuple[str, str, str]]:
    steps = [("Analyst", TASK, plan)]
    for city in cities:
        steps.append(("Researcher", f"Find the 2023 tram ridership of {city}.", f"{city} had 40.5 million riders."))
    steps.append(("Analyst", "Add the figures found.", "FINAL ANSWER: 81 million"))
    return steps


def test_a_plan_that_drops_a_city_of_the_task() -> None:
    plan = "Plan:\n1. Researcher finds the 2023 ridership of Oslo and Bergen\n2. I add them up and answer"
    kinds = _signals(_run(_ridership_steps(plan, ["Oslo", "Bergen"])))
    assert kinds == {1: {"plan_omits_task"}}


def test_a_complete_plan_and_a_dropped_city_that_comes_back_later_stay_quiet() -> None:
    complete = "Plan:\n1. Researcher finds the 2023 ridership of Oslo, Bergen and Trondheim\n2. I add them up"
    assert _signals(_run(_ridership_steps(complete, ["Oslo", "Bergen", "Trondheim"]))) == {}
    partial = "Plan:\n1. Researcher finds the 2023 ridership of Oslo and Bergen\n2. I add them up and answer"
    assert _signals(_run(_ridership_steps(partial, ["Oslo", "Bergen", "Trondheim"]))) == {}


def test_the_plan_that_dropped_part_of_the_task_is_a_top_candidate() -> None:
    plan = "Plan:\n1. Researcher finds the 2023 ridership of Oslo and Bergen\n2. I add them up and answer"
    trace = _run(_ridership_steps(plan, ["Oslo", "Bergen"]), answer="81 million", failed=("121.5", "81"))
    report = analyze(trace)
    top3 = [c.span_id for c in report.candidates[:3]]
    assert f"{2:016x}" in top3
    plan_candidate = next(c for c in report.candidates if c.span_id == f"{2:016x}")
    assert any(e.kind == "plan_omits_task" and "trondheim" in e.detail for e in plan_candidate.evidence)


def test_a_plan_the_same_agent_replaced() -> None:
    first = "Plan:\n1. Browse the city transport website\n2. Download the annual report PDF"
    second = "Plan:\n1. Query the national statistics database\n2. Filter tram rows by city"
    steps = [
        ("Orchestrator", OPEN_TASK, first),
        ("Surfer", "Browse the city transport website.", "The site is down."),
        ("Orchestrator", "The site is down.", second),
    ]
    assert _signals(_run(steps, task=OPEN_TASK)) == {1: {"plan_revised"}}


def test_a_plan_restated_unchanged_is_not_revised() -> None:
    plan = "Plan:\n1. Browse the city transport website\n2. Download the annual report PDF"
    steps = [("Orchestrator", OPEN_TASK, plan), ("Surfer", "Browse.", "Done."), ("Orchestrator", "Done.", plan)]
    assert _signals(_run(steps, task=OPEN_TASK)) == {}


def test_a_plan_a_later_output_calls_wrong() -> None:
    plan = "Plan:\n1. Browse the city transport website\n2. Download the annual report PDF"
    steps = [
        ("Orchestrator", OPEN_TASK, plan),
        ("Verifier", "Check the approach.", "The previous plan was wrong: the report covers buses only."),
    ]
    assert _signals(_run(steps, task=OPEN_TASK)) == {1: {"plan_revised"}}


_STEPS = [
    ("Booker", "Find a hotel in Porto.", "Central Plaza has a room for 180 EUR."),
    ("Booker", "Answer the user.", "FINAL ANSWER: book Central Plaza for 180 EUR."),
]


def test_a_final_answer_while_a_sub_goal_is_open() -> None:
    goals = [
        (0, ["plan the trip", "find a hotel", "verify the train connection"]),
        (1, ["plan the trip", "verify the train connection"]),
    ]
    assert _signals(_run(_STEPS, goals=goals, answer="book Central Plaza")) == {2: {"goals_pending"}}


def test_open_goals_that_say_nothing_stay_quiet() -> None:
    # the stack never changed: nobody maintained it, so it says nothing about what was open
    still = [
        (0, ["plan the trip", "verify the train connection"]),
        (1, ["plan the trip", "verify the train connection"]),
    ]
    assert _signals(_run(_STEPS, goals=still, answer="book")) == {}
    # the only open sub-goal is answering itself
    answering = [(0, ["plan the trip", "find a hotel", "answer"]), (1, ["plan the trip", "answer"])]
    assert _signals(_run(_STEPS, goals=answering, answer="book")) == {}
    # a step worked on the sub-goal after the last snapshot: only the pop is missing
    worked = [*_STEPS[:1], ("Rail", "Verify the train connection.", "The train connection is verified."), _STEPS[1]]
    goals = [
        (-1, ["plan the trip", "find a hotel", "verify the train connection"]),
        (0, ["plan the trip", "verify the train connection"]),
    ]
    assert _signals(_run(worked, goals=goals, answer="book")) == {}


def test_no_answer_no_goal_signal() -> None:
    goals = [
        (0, ["plan the trip", "find a hotel", "verify the train connection"]),
        (1, ["plan the trip", "verify the train connection"]),
    ]
    steps = [_STEPS[0], ("Booker", "Answer the user.", "Still looking.")]
    assert _signals(_run(steps, goals=goals)) == {}


def test_a_hyphenated_name_the_plan_repeats_is_not_dropped() -> None:
    task = (
        "Using the quantities in purchase_orders/po-6396.csv, compute the amount due for PO-6396 at Tessellate Print."
    )
    plan = (
        "Plan:\n1. FileSurfer: read the quantities from purchase_orders/po-6396.csv\n"
        "2. Coder: write the total for Tessellate Print"
    )
    assert _signals(_run([("Orchestrator", task, plan)], task=task)) == {}

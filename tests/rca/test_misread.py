"""Misreads (``rca/misread.py``): the right value was in front of a step, and it used the wrong one beside it.

Written from one failure description: a travel-policy assistant is asked for the 2025 hotel allowance; the search
returns the passages of several years; the answer gives another year's figure. Who is to blame depends on what each
step had: the reader when its input held the right figure, the query writer when it dropped the year that told
the figures apart, the search when the right figure was never there.
"""

from __future__ import annotations

from otel_agent_trace.rca import RcaReport, analyze

from .test_plan_signals import _run

QUESTION = "Under our 2025 travel policy, how much can I spend per night on a hotel in Leeds? Amount in GBP."
PASSAGES = (
    "Travel policy 2024, section 4.2. Hotel allowance in Leeds: up to £141 per night.\n"
    "Travel policy 2025, section 4.2. Hotel allowance in Leeds: up to £214 per night.\n"
    "Travel policy 2025, section 4.3. Meal allowance in Leeds: up to £40 per day."
)


def _policy_run(query: str, passages: str, answer: str) -> RcaReport:
    steps = [
        ("Rewriter", QUESTION, query),
        ("Retriever", query, passages),
        ("Assistant", f"{QUESTION}\nContext:\n{passages}", answer),
    ]
    return analyze(_run(steps, task=QUESTION, answer=answer, failed=("£214", "£141")))


def _span(n: int) -> str:
    return f"{n + 1:016x}"


def test_the_reader_is_blamed_when_its_input_held_the_right_value() -> None:
    report = _policy_run("Leeds hotel nightly limit travel policy 2025", PASSAGES, "Up to £141 per night in Leeds.")
    assert report.root_cause is not None and report.root_cause.span_id == _span(3)
    assert any(e.kind == "misread" and "'214'" in e.detail for e in report.root_cause.evidence)
    assert report.agents[0].name == "Assistant"


def test_the_query_that_dropped_the_telling_year_is_blamed() -> None:
    report = _policy_run("Leeds hotel nightly limit travel policy", PASSAGES, "Up to £141 per night in Leeds.")
    assert report.root_cause is not None and report.root_cause.span_id == _span(1)
    assert any(e.kind == "misread" and "'2025'" in e.detail for e in report.root_cause.evidence)


def test_no_misread_when_the_right_value_was_never_there() -> None:
    only_old = PASSAGES.splitlines()[0] + "\n" + PASSAGES.splitlines()[2]
    report = _policy_run("Leeds hotel nightly limit travel policy 2025", only_old, "Up to £141 per night in Leeds.")
    assert report.root_cause is not None and report.root_cause.span_id == _span(2)
    assert not any(e.kind == "misread" for c in report.candidates for e in c.evidence)


def test_without_an_expected_value_nothing_is_a_misread() -> None:
    steps = [
        ("Rewriter", QUESTION, "Leeds hotel nightly limit travel policy 2025"),
        ("Retriever", "Leeds hotel nightly limit travel policy 2025", PASSAGES),
        ("Assistant", f"{QUESTION}\nContext:\n{PASSAGES}", "Up to £141 per night in Leeds."),
    ]
    report = analyze(_run(steps, task=QUESTION, answer="£141", failed=("", "£141")))
    assert not any(e.kind == "misread" for c in report.candidates for e in c.evidence)

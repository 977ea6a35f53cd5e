"""Content signals that need no exception, on small logs written from failure descriptions."""

from __future__ import annotations

from otel_agent_trace.rca import analyze
from otel_agent_trace.rca.content_signals import content_signals, uncertainty
from otel_agent_trace.rca.provenance import provenance
from otel_agent_trace.rca.view import TraceView

from .test_provenance import _failing, _log


def _kinds(messages: list[tuple[str, str]]) -> dict[int, set[str]]:
    view = TraceView(_log("task", messages))
    found = content_signals(view, provenance(view))
    return {int(span_id, 16) - 1: {e.kind for e in evidence} for span_id, evidence in found.items()}


def test_uncertainty_language() -> None:
    assert uncertainty("I cannot open the page, so let's assume 12 rooms.") == ["cannot", "let's assume"]
    assert uncertainty("The page lists 12 rooms.") == []


def test_a_skipped_plan_and_a_premature_answer() -> None:
    messages = [
        (
            "Planner",
            "Plan:\n1. Search the flight schedule for Lisbon\n2. Check the hotel availability in Porto\n"
            "3. Compare total trip prices",
        ),
        ("Researcher", "The flight schedule for Lisbon shows a 09:40 departure on TAP."),
        ("Planner", "FINAL ANSWER: take the 09:40 TAP flight."),
    ]
    kinds = _kinds(messages)
    assert "plan_skipped" in kinds[1]
    assert "premature_answer" in kinds[3]


def test_a_loop_is_flagged_once_on_the_first_repeat() -> None:
    messages = [("Surfer", "click the next page button")] * 4
    kinds = _kinds(messages)
    assert kinds == {2: {"loop"}}


def test_one_keyword_alone_does_not_outrank_an_unsupported_value() -> None:
    messages = [
        ("Surfer", "I could not load the archive page, a placeholder image is shown."),
        ("Analyst", "The archive lists 417 issues of the Gazette."),
        ("Analyst", "FINAL ANSWER: 417"),
    ]
    report = analyze(_log("How many issues of the Gazette are archived?", messages, evaluation=_failing("388", "417")))
    assert report.root_cause is not None and report.root_cause.agent == "Analyst"
    assert report.root_cause.span_id == f"{3:016x}"


def test_a_step_whose_output_differs_in_kind_from_passing_runs() -> None:
    from otel_agent_trace.rca import baseline_profile

    code = "```python\nprint(sum(range(10)))\n```"
    passing = [_log("task", [("Coder", code), ("Executor", "45")]) for _ in range(3)]
    profile = baseline_profile(passing)
    assert profile.runs == 3 and profile.kinds["step Coder"] == {"code"}
    failing = _log("task", [("Coder", "The sum is probably 45."), ("Executor", "nothing to run")])
    report = analyze(failing, baseline=profile, failed=True)
    assert report.baseline_runs == 3
    coder = next(s for s in report.blame.steps if s.agent == "Coder")
    assert any(e.kind == "out_of_baseline" and "'short text'" in e.detail for e in coder.evidence)

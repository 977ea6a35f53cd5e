"""Verdict logic of `rca.verify` with an injected replayer (the end-to-end runs with the real one are in
test_cli_verify.py): control, confirmed/refuted/diverged/untestable/timeout/error/inconclusive, budget, re-ranking."""

from __future__ import annotations

import doctest
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pytest

from otel_agent_trace.model import Span, SpanEvent, Trace
from otel_agent_trace.rca import analyze, baseline_profile, render_html, render_text
from otel_agent_trace.rca import substitute as substitute_module
from otel_agent_trace.rca.report import RcaReport, RootCause
from otel_agent_trace.rca.verify import Control, Verdict, VerifyResult, verify

_NS = 1_000_000
_HOTELS = [{"name": "Budget Inn", "usd_per_night": 90}, {"name": "Central Plaza", "usd_per_night": 180}]


@dataclass(frozen=True)
class FakeResult:
    status: str
    trace: Trace | None = None
    failure: str | None = None
    diverged_at: str | None = None
    served: int = 0
    live: int = 0
    overridden: tuple[str, ...] = ()
    detail: str = ""


def _span(tid: str, sid: str, parent: str | None, name: str, start: int, attrs: dict[str, Any], **kw: Any) -> Span:
    return Span(tid, sid, parent, name, start * _NS, (start + 1) * _NS, attributes=attrs, **kw)


def hotel_run(tid: str, budget: float, rate: float, *, search: str = "search_hotels", found: bool = True) -> Trace:
    """A run like the demo's: rate tool -> convert step -> search tool -> compose step (fails on no options)."""
    converted = round(budget * rate, 2)
    options = [h for h in _HOTELS if h["usd_per_night"] <= converted] if found else []
    root = f"{tid}00"
    error = {"status_code": "ERROR", "status_message": "NoOptionsError: no hotel"} if not options else {}
    events = (
        (SpanEvent("exception", 7 * _NS, {"exception.type": "NoOptionsError", "exception.message": "no hotel"}),)
        if not options
        else ()
    )
    compose_out = {} if not options else {"agent_trace.step.output": f"Here are your options: {json.dumps(options)}"}
    spans = (
        _span(tid, root, None, "invoke_agent booker", 0, {"gen_ai.operation.name": "invoke_agent"}, **error),
        _span(
            tid,
            f"{tid}01",
            root,
            "execute_tool get_exchange_rate",
            1,
            {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": "get_exchange_rate",
                "gen_ai.tool.call.arguments": '{"base":"EUR","quote":"USD"}',
                "gen_ai.tool.call.result": json.dumps({"base": "EUR", "quote": "USD", "rate": rate}),
            },
        ),
        _span(
            tid,
            f"{tid}02",
            root,
            "step convert_budget",
            2,
            {
                "agent_trace.step.action_type": "reasoning",
                "agent_trace.step.input": json.dumps({"budget": budget, "rate": rate}),
                "agent_trace.step.output": json.dumps(converted),
            },
        ),
        _span(
            tid,
            f"{tid}03",
            root,
            f"execute_tool {search}",
            3,
            {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": search,
                "gen_ai.tool.call.arguments": json.dumps({"max_usd_per_night": converted}),
                "gen_ai.tool.call.result": json.dumps(options),
            },
        ),
        _span(
            tid,
            f"{tid}04",
            root,
            "step compose_answer",
            4,
            {
                "agent_trace.step.action_type": "response",
                "agent_trace.step.input": json.dumps({"options": options, "budget_usd": converted}),
                **compose_out,
            },
            events=events,
            **error,
        ),
    )
    return Trace(tid * 4, spans)


@pytest.fixture
def runs() -> tuple[Trace, list[Trace], RcaReport]:
    passing = [hotel_run("a1", 120.0, 1.08), hotel_run("b2", 200.0, 1.08), hotel_run("c3", 150.0, 1.08)]
    failing = hotel_run("f9", 160.0, 0.0108)
    report = analyze(failing, baseline=baseline_profile(passing))
    return failing, passing, report


class Scripted:
    """A replayer: the control (no override) gets ``control``; an override gets ``decide(span_id, value)``."""

    def __init__(self, control: FakeResult, decide: Callable[[str, object], FakeResult] | None = None) -> None:
        self.control, self.decide = control, decide
        self.calls: list[dict[str, object] | None] = []

    def __call__(
        self,
        trace: Trace,
        program: Any,
        *,
        override: Mapping[str, object] | None = None,
        allow_live: bool = False,
        timeout: float = 60.0,
        baseline: Sequence[Trace] = (),
    ) -> FakeResult:
        assert all(t.trace_id != trace.trace_id for t in baseline)
        self.calls.append(dict(override) if override else None)
        if not override:
            return self.control
        assert self.decide is not None, "no override replay expected"
        ((span_id, value),) = override.items()
        return self.decide(span_id, value)


def _tool(trace: Trace) -> str:
    return next(s.span_id for s in trace.spans if s.name == "execute_tool get_exchange_rate")


def _by_name(result: VerifyResult) -> dict[str, str]:
    return {v.name: v.verdict for v in result.verdicts}


def _fixed_rate_replayer(failing: Trace, passing_like: Trace) -> Scripted:
    """The program's behaviour: a rate of 1.08 makes it pass, anything else fails as recorded."""

    def decide(span_id: str, value: object) -> FakeResult:
        if span_id == _tool(failing) and isinstance(value, dict) and value.get("rate") == 1.08:
            return FakeResult("passed", passing_like, overridden=(span_id,), served=3, detail="passed")
        return FakeResult("failed", failing, "NoOptionsError: no hotel", overridden=(span_id,))

    return Scripted(FakeResult("failed", failing, "NoOptionsError: no hotel"), decide)


def test_the_analysis_ranks_the_three_spans_of_the_chain(runs: tuple[Trace, list[Trace], RcaReport]) -> None:
    _, _, report = runs
    names = [c.name for c in report.candidates[:3]]
    assert names[0] == "execute_tool get_exchange_rate"
    assert set(names) >= {"step convert_budget", "step compose_answer"}


def test_confirmed_and_the_downstream_candidates_refuted_by_its_passing_replay(
    runs: tuple[Trace, list[Trace], RcaReport],
) -> None:
    failing, passing, report = runs
    replayer = _fixed_rate_replayer(failing, hotel_run("r0", 160.0, 1.08))
    result = verify(report, failing, "app.py", baseline=passing, replayer=replayer)
    assert result.control.reproduced
    verdicts = {v.name: v for v in result.verdicts}
    tool = verdicts["execute_tool get_exchange_rate"]
    assert tool.verdict == "confirmed"
    assert json.loads(tool.value or "") == {"base": "EUR", "quote": "USD", "rate": 1.08}
    assert tool.value_source == "its output in 3 passing run(s) given the same input"
    for name in ("step convert_budget", "step compose_answer"):
        assert verdicts[name].verdict == "refuted", verdicts[name]
        assert verdicts[name].evidence_span_id == tool.span_id
        assert verdicts[name].replay_status is None  # no replay of its own: its passing values depend on the task
    # one control + one replay: the two task-dependent steps cost none
    assert replayer.calls == [None, {tool.span_id: {"base": "EUR", "quote": "USD", "rate": 1.08}}]
    assert result.replays == 2
    assert result.summary() == "1 control + 1 replay: 1 confirmed, 2 refuted"


def test_a_passing_replay_refutes_only_spans_after_the_confirmed_one(
    runs: tuple[Trace, list[Trace], RcaReport],
) -> None:
    failing, passing, report = runs
    root = failing.spans[0]
    # the run's root span as a candidate too: it encloses the tool call, so the tool's replay cannot clear it
    agent = RootCause(root.span_id, root.name, "agent", "booker", 0.01, ("the failure propagated through it",))
    report = replace(report, candidates=(*report.candidates[:3], agent))
    result = verify(
        report, failing, "app.py", baseline=passing, k=4, replayer=_fixed_rate_replayer(failing, passing[0])
    )
    assert result.by_id[_tool(failing)].verdict == "confirmed"
    assert result.by_id[root.span_id].verdict == "untestable"
    assert result.by_id[root.span_id].evidence_span_id is None


def test_still_failing_with_the_replacement_is_refuted(runs: tuple[Trace, list[Trace], RcaReport]) -> None:
    failing, passing, report = runs
    fails = FakeResult("failed", failing, "NoOptionsError: no hotel")
    replayer = Scripted(
        fails, lambda sid, _: FakeResult("failed", failing, "NoOptionsError: no hotel", overridden=(sid,))
    )
    result = verify(report, failing, "app.py", baseline=passing, replayer=replayer)
    tool = result.by_id[_tool(failing)]
    assert tool.verdict == "refuted"
    assert tool.replay_status == "failed"
    assert "still fails with it replaced: NoOptionsError" in tool.reason
    # nothing was confirmed, so the task-dependent steps stay untestable, each saying why
    steps = [v for v in result.verdicts if v.type == "step"]
    assert steps and all(v.verdict == "untestable" for v in steps)
    convert = next(v for v in steps if v.name == "step convert_budget")
    assert "differs across the 3 passing runs (129.6, 216.0, 162.0)" in convert.reason


@pytest.mark.parametrize(
    ("outcome", "verdict", "text"),
    [
        (FakeResult("diverged", diverged_at="span execute_tool search_hotels (#1): expected 1.73, got 172.8"),
         "diverged", "diverged at span execute_tool search_hotels (#1)"),
        (FakeResult("timeout", detail="killed after 5 s"), "timeout", "killed after 5 s"),
        (FakeResult("error", detail="SyntaxError in app.py"), "error", "SyntaxError in app.py"),
    ],
)  # fmt: skip
def test_diverged_timeout_and_error(
    runs: tuple[Trace, list[Trace], RcaReport], outcome: FakeResult, verdict: str, text: str
) -> None:
    failing, passing, report = runs
    if outcome.status == "error":  # it ran (a trace was recorded) and then failed to finish
        outcome = replace(outcome, trace=failing)
    replayer = Scripted(FakeResult("failed", failing, "NoOptionsError"), lambda *_: outcome)
    result = verify(report, failing, "app.py", baseline=passing, replayer=replayer)
    tool = result.by_id[_tool(failing)]
    assert tool.verdict == verdict
    assert text in tool.reason
    if verdict == "diverged":
        assert tool.diverged_at == outcome.diverged_at


def test_a_replayer_that_raises_is_an_error_verdict_not_an_exception(
    runs: tuple[Trace, list[Trace], RcaReport],
) -> None:
    failing, passing, report = runs

    def boom(sid: str, value: object) -> FakeResult:
        raise OSError("no such interpreter")

    result = verify(report, failing, "app.py", baseline=passing, replayer=Scripted(FakeResult("failed", failing), boom))
    assert result.by_id[_tool(failing)].verdict == "error"
    assert "OSError: no such interpreter" in result.by_id[_tool(failing)].reason


def test_an_override_the_replay_refuses_is_untestable(runs: tuple[Trace, list[Trace], RcaReport]) -> None:
    failing, passing, report = runs
    refused = FakeResult("error", detail="span x cannot be overridden: only tool_call and agent_step outputs")
    replayer = Scripted(FakeResult("failed", failing), lambda *_: refused)
    tool = verify(report, failing, "app.py", baseline=passing, replayer=replayer).by_id[_tool(failing)]
    assert tool.verdict == "untestable"
    assert tool.reason == f"the replay could not replace the output of this tool span: {refused.detail}"


def test_an_override_the_replay_did_not_apply_is_untestable(runs: tuple[Trace, list[Trace], RcaReport]) -> None:
    failing, passing, report = runs
    replayer = Scripted(FakeResult("failed", failing), lambda *_: FakeResult("failed", failing, detail="not a tool"))
    result = verify(report, failing, "app.py", baseline=passing, replayer=replayer)
    tool = result.by_id[_tool(failing)]
    assert tool.verdict == "untestable"
    assert "could not replace the output of this tool span" in tool.reason


@pytest.mark.parametrize(
    ("control", "why"),
    [
        (FakeResult("passed"), "the unchanged replay passed: the failure does not reproduce"),
        (FakeResult("diverged", diverged_at="span chat m (#0)"), "the unchanged replay diverged at span chat m (#0)"),
        (FakeResult("error", detail="ModuleNotFoundError: app"), "ended with error: ModuleNotFoundError: app"),
    ],
)
def test_a_control_that_does_not_reproduce_makes_every_verdict_inconclusive(
    runs: tuple[Trace, list[Trace], RcaReport], control: FakeResult, why: str
) -> None:
    failing, passing, report = runs
    replayer = Scripted(control)
    result = verify(report, failing, "app.py", baseline=passing, replayer=replayer)
    assert not result.control.reproduced
    assert why in result.control.detail
    assert len(result.verdicts) == 3
    assert all(v.verdict == "inconclusive" and why in v.reason for v in result.verdicts)
    assert replayer.calls == [None]  # no candidate replay is wasted on a run that does not reproduce


def test_a_control_failing_elsewhere_is_inconclusive(runs: tuple[Trace, list[Trace], RcaReport]) -> None:
    failing, passing, report = runs
    renamed = tuple(
        Span(**{**s.__dict__, "name": "step apologise"}) if s.name == "step compose_answer" else s
        for s in failing.spans
    )
    elsewhere = Trace(failing.trace_id, renamed)
    result = verify(report, failing, "app.py", baseline=passing, replayer=Scripted(FakeResult("failed", elsewhere)))
    assert not result.control.reproduced
    assert "fails elsewhere (step apologise instead of step compose_answer)" in result.control.detail


def test_budget_k_and_total_time(runs: tuple[Trace, list[Trace], RcaReport]) -> None:
    failing, passing, report = runs
    replayer = _fixed_rate_replayer(failing, hotel_run("r0", 160.0, 1.08))
    one = verify(report, failing, "app.py", baseline=passing, k=1, replayer=replayer)
    assert [v.name for v in one.verdicts] == ["execute_tool get_exchange_rate"]
    assert one.replays == 2 and one.k == 1
    replayer = _fixed_rate_replayer(failing, hotel_run("r0", 160.0, 1.08))
    spent = verify(report, failing, "app.py", baseline=passing, budget_s=0.0, timeout=5.0, replayer=replayer)
    tool = spent.by_id[_tool(failing)]
    assert tool.verdict == "untestable"
    assert "the verification budget (0 s) was spent" in tool.reason
    assert replayer.calls == [None]  # the control ran (bounded by the remaining budget), nothing more
    assert verify(report, failing, "app.py", baseline=passing, k=0, replayer=replayer).verdicts == ()


def test_values_unusable_or_missing_are_untestable(runs: tuple[Trace, list[Trace], RcaReport]) -> None:
    failing, passing, _ = runs
    tool = failing.by_id[_tool(failing)]

    def with_result(run: Trace, result: str, **extra: Any) -> Trace:
        spans = tuple(
            Span(**{**s.__dict__, "attributes": {**s.attributes, "gen_ai.tool.call.result": result, **extra}})
            if s.name == tool.name
            else s
            for s in run.spans
        )
        return Trace(run.trace_id, spans)

    redacted = [with_result(r, '{"rate": 1.08, "key": "[REDACTED]"}') for r in passing]
    assert "was redacted" in substitute_module.passing_value(failing, tool, redacted).problem
    cut = [with_result(r, '{"rate": 1.08}', **{"agent_trace.truncated": ("gen_ai.tool.call.result",)}) for r in passing]
    assert "was truncated" in substitute_module.passing_value(failing, tool, cut).problem
    other_names = [hotel_run(f"x{i}", 100.0, 1.08, search="x") for i in range(2)]
    renamed = [Trace(t.trace_id, tuple(s for s in t.spans if s.name != tool.name)) for t in other_names]
    assert substitute_module.passing_value(failing, tool, renamed).problem == (
        "no passing run has an output for 'execute_tool get_exchange_rate'"
    )
    varied = [hotel_run("v1", 100.0, 1.08), hotel_run("v2", 100.0, 1.1)]
    # other arguments than the failing call's: no same-input run; and the results differ across runs
    varied = [Trace(t.trace_id, tuple(_args(s, '{"base":"GBP"}') for s in t.spans)) for t in varied]
    assert "differs across the 2 passing runs" in substitute_module.passing_value(failing, tool, varied).problem


def _args(span: Span, args: str) -> Span:
    if "gen_ai.tool.call.arguments" not in span.attributes:
        return span
    return Span(**{**span.__dict__, "attributes": {**span.attributes, "gen_ai.tool.call.arguments": args}})


def test_per_run_ids_do_not_make_outputs_differ() -> None:
    def chat(tid: str, call_id: str, city: str) -> Trace:
        message = [{"role": "assistant", "parts": [{"type": "tool_call", "id": call_id, "arguments": {"city": city}}]}]
        attrs = {
            "gen_ai.operation.name": "chat",
            "gen_ai.input.messages": json.dumps([{"role": "user", "content": "plan"}]),
            "gen_ai.output.messages": json.dumps(message),
        }
        return Trace(tid, (Span(tid, tid + "1", None, "chat m", 0, 1, attributes=attrs),))

    failing = chat("f", "call_9", "Paris")
    same = substitute_module.passing_value(
        failing, failing.spans[0], [chat("a", "call_1", "Paris"), chat("b", "call_2", "Paris")]
    )
    assert same.found and same.same_as_run
    other = substitute_module.passing_value(
        failing, failing.spans[0], [chat("a", "call_1", "Rome"), chat("b", "call_2", "Rome")]
    )
    assert other.found and not other.same_as_run


def test_an_output_already_equal_to_the_passing_value_is_refuted_without_a_replay(
    runs: tuple[Trace, list[Trace], RcaReport],
) -> None:
    _, passing, _ = runs
    # the rate is right this time, the hotel search returns nothing: the rate tool behaved as in the passing runs
    broken = hotel_run("g7", 160.0, 1.08, found=False)
    analysed = analyze(broken, baseline=baseline_profile(passing))
    rate_tool = broken.by_id[_tool(broken)]
    blamed = RootCause(rate_tool.span_id, rate_tool.name, "tool", "booker", 0.5, ("suspect",))
    report = replace(analysed, candidates=(blamed, *analysed.candidates), root_cause=blamed)
    replayer = Scripted(FakeResult("failed", broken, "no hotel"), lambda sid, _: FakeResult("failed", broken))
    result = verify(report, broken, "app.py", baseline=passing, k=5, replayer=replayer)
    rate = result.by_id.get(_tool(broken))
    assert rate is not None, [v.name for v in result.verdicts]
    assert rate.verdict == "refuted"
    assert "already equals the passing runs' value" in rate.reason
    assert rate.replay_status is None


def test_apply_reranks_marks_and_is_deterministic(runs: tuple[Trace, list[Trace], RcaReport]) -> None:
    failing, passing, report = runs
    # make the analysis rank the tool second: verification moves it first
    swapped = (report.candidates[1], report.candidates[0], *report.candidates[2:])
    shuffled = report.__class__(**{**report.__dict__, "candidates": swapped, "root_cause": swapped[0]})
    results = [
        verify(shuffled, failing, "app.py", baseline=passing, replayer=_fixed_rate_replayer(failing, passing[0]))
        for _ in range(2)
    ]
    assert results[0].to_dict() == results[1].to_dict()
    applied = results[0].apply(shuffled)
    order = [c.name for c in applied.candidates]
    assert order[0] == "execute_tool get_exchange_rate"
    assert applied.root_cause is not None and applied.root_cause.name == "execute_tool get_exchange_rate"
    assert applied.root_cause.why[0].startswith("confirmed by replay: replacing its output with the passing runs'")
    refuted = [v.name for v in results[0].verdicts if v.verdict == "refuted"]
    assert order[-len(refuted) :] == [n for n in (c.name for c in swapped) if n in refuted]
    data = applied.to_dict()
    json.dumps(data)
    assert data["verification"]["summary"] == "1 control + 1 replay: 1 confirmed, 2 refuted"
    assert data["root_cause"]["span_id"] == _tool(failing)
    assert "verification" not in report.to_dict()
    text = render_text(applied)
    assert text.splitlines()[0].startswith("ROOT CAUSE")
    assert "confirmed by replay" in text.splitlines()[0]
    assert "  why: confirmed by replay: replacing its output with the passing runs' value makes the run pass" in text
    assert "Counterfactual verification (1 control + 1 replay: 1 confirmed, 2 refuted):" in text
    page = render_html(applied, failing)
    assert "class='vbadge confirmed'" in page and "class='vbadge refuted'" in page
    assert "<h2>Counterfactual verification</h2>" in page


def test_nothing_to_verify_on_a_passing_run(runs: tuple[Trace, list[Trace], RcaReport]) -> None:
    _, passing, _ = runs
    report = analyze(passing[0])
    result = verify(report, passing[0], "app.py", baseline=passing[1:], replayer=Scripted(FakeResult("passed")))
    assert result.verdicts == () and result.control.status == "skipped"
    assert "nothing to verify" in result.control.detail


def test_substitute_doctest() -> None:
    assert doctest.testmod(substitute_module).failed == 0


def test_never_raises_on_malformed_input(runs: tuple[Trace, list[Trace], RcaReport]) -> None:
    failing, passing, report = runs
    broken = verify(report, failing, "app.py", baseline=passing, replayer=Scripted(object()))  # type: ignore[arg-type]
    assert broken.control.status == "error" and "verification failed: AttributeError" in broken.note
    assert verify(report, failing, "app.py", baseline=[None], k=-3).verdicts == ()  # type: ignore[list-item]
    assert verify(report, failing, None, baseline=passing, replayer=_fixed_rate_replayer(failing, passing[0])).verdicts


def test_html_escapes_verdict_texts(runs: tuple[Trace, list[Trace], RcaReport]) -> None:
    failing, _, report = runs
    evil = "<img src=x onerror=alert(1)>"
    cand = report.candidates[0]
    verdict = Verdict(cand.span_id, evil, "tool", "confirmed", f"reason {evil}", value=evil, value_source=evil)
    checked = VerifyResult(Control("failed", True, f"control {evil}"), (verdict,), replays=2, k=1)
    page = render_html(checked.apply(report), failing)
    assert evil not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page

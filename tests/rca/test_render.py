"""The text and HTML reports: order, plural forms, escaping of untrusted trace content, self-containment."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from otel_agent_trace.model import Span, SpanEvent, Trace, group_traces, spans_from_otlp
from otel_agent_trace.rca import analyze, render_html, render_text
from otel_agent_trace.rca.corpus import generate_run
from otel_agent_trace.rca.html_report import MAX_VALUE_CHARS, _ticks
from otel_agent_trace.rca.text_report import plural

EVIL = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def _trace(category: str, seed: int) -> tuple[Trace, str]:
    run = generate_run(category, seed=seed)
    (trace,) = group_traces(spans_from_otlp(run.document))
    return trace, run.root_cause_span_id


def _evil_trace() -> Trace:
    t = "a" * 32
    spans = (
        Span(t, "1" * 16, None, f"invoke_agent {EVIL}", 0, 1_000_000, attributes={"gen_ai.agent.name": EVIL}),
        Span(
            t,
            "2" * 16,
            "1" * 16,
            f"execute_tool {EVIL}",
            100,
            900_000,
            status_code="ERROR",
            status_message=EVIL,
            attributes={
                "gen_ai.tool.name": EVIL,
                "gen_ai.tool.call.result": json.dumps({"x": "</script><!--" + EVIL}),
                "agent_trace.step.index": 0,
                "evil.key" + EVIL: "y" * (MAX_VALUE_CHARS * 3),
            },
            events=(SpanEvent("exception", 500, {"exception.type": EVIL, "exception.message": EVIL}),),
        ),
    )
    return Trace(t, spans)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def test_plural() -> None:
    assert [plural(n, "hop") for n in (0, 1, 2)] == ["0 hops", "1 hop", "2 hops"]
    assert plural(1, "span") == "1 span"


def test_text_root_cause_first_then_verdict_and_two_more_candidates() -> None:
    trace, root = _trace("wrong_tool_output", 3)
    report = analyze(trace)
    lines = render_text(report).splitlines()
    assert lines[0].startswith("ROOT CAUSE") and root in lines[0]
    assert lines[1].startswith("  why: ")
    text = "\n".join(lines)
    assert text.index("Failure:") < text.index("Baseline:") < text.index("Next candidates:") < text.index("Agents:")
    block = text.split("Next candidates:")[1].split("\n\n")[0]
    ranked = [line for line in block.splitlines() if re.match(r"\s+[23]\. ", line)]
    assert [line.split(".")[0].strip() for line in ranked] == ["2", "3"]
    assert [s.span_id for s in report.blame.steps[1:3]] == [re.search(r"\((\w{16})\)", x).group(1) for x in ranked]
    assert "why:" in block
    assert not re.search(r"\b1 (spans|hops|edges)\b", text)


def test_text_baseline_note_and_no_failure() -> None:
    trace, _ = _trace("wrong_tool_output", 3)
    text = render_text(analyze(trace), baseline_note="3 passing runs of invoke_agent order_agent")
    assert "Baseline: 3 passing runs of invoke_agent order_agent" in text
    ok = Trace("b" * 32, (Span("b" * 32, "1" * 16, None, "invoke_agent fine", 0, 10),))
    assert render_text(analyze(ok)) == f"Trace {'b' * 32}: no failure found (1 span); nothing to blame.\n"


def test_html_escapes_untrusted_names_attributes_and_events() -> None:
    trace = _evil_trace()
    page = render_html(analyze(trace), trace)
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "</script><!--" not in page
    parser = _Collector()
    parser.feed(page)
    assert [t for t, _ in parser.tags if t == "img"] == []
    assert all(not any(k.startswith("on") for k in attrs) for _, attrs in parser.tags)
    scripts = [attrs for tag, attrs in parser.tags if tag == "script"]
    assert scripts == [{"type": "application/json", "id": "spans"}, {}]  # our two, nothing injected
    data = json.loads(parser.scripts[0])
    tool = data["2" * 16]
    assert tool["name"] == f"execute_tool {EVIL}"  # the script shows it with textContent, intact
    assert tool["events"][0]["attributes"]["exception.message"] == EVIL
    assert "x" in json.loads(tool["payloads"]["tool result"])
    long_value = tool["attributes"]["evil.key" + EVIL]
    assert len(long_value) == MAX_VALUE_CHARS + 1 and tool["truncated"] == MAX_VALUE_CHARS


def test_html_is_self_contained() -> None:
    trace, _ = _trace("subagent_failure", 2)
    page = render_html(analyze(trace), trace)
    parser = _Collector()
    parser.feed(page)
    for tag, attrs in parser.tags:
        assert tag not in ("link", "img", "iframe"), tag
        assert "src" not in attrs, (tag, attrs)
        assert not str(attrs.get("href") or "").startswith(("http", "//")), attrs
    assert "@import" not in page and "url(" not in page


def test_html_marks_root_failed_candidates_lanes_and_axis() -> None:
    trace, root = _trace("subagent_failure", 2)
    report = analyze(trace)
    page = render_html(report, trace, baseline_note="4 passing runs of invoke_agent order_agent")
    assert f"data-root='{root}'" in page
    assert re.search(rf"<div class='row[^']*root[^']*' data-id='{root}'", page)
    assert "class='bar root'" in page and "class='tag root'>ROOT" in page
    assert page.count("class='bar fail'") >= 2
    for cand in report.blame.steps[1:3]:
        assert re.search(rf"class='cand r[23]' data-id='{cand.span_id}'", page)
    assert page.count("class='lane'") == 2  # order_agent and payment_agent
    assert "class='legend'" in page and "failed span" in page and "root cause" in page
    assert page.count("class='tick'") >= 4
    assert "4 passing runs of invoke_agent order_agent" in page
    assert "Blame by agent" in page and "Top candidates" in page


def test_single_agent_run_has_no_lanes() -> None:
    trace = _evil_trace()
    assert "class='lane'" not in render_html(analyze(trace), trace)


def test_ticks_are_round() -> None:
    assert _ticks(10_000_000) == [0, 2_000_000, 4_000_000, 6_000_000, 8_000_000, 10_000_000]
    assert _ticks(3_670_000_000)[:3] == [0, 500_000_000, 1_000_000_000]
    assert _ticks(1) == [0, 1]


def _evaluated_trace() -> Trace:
    """A run that raised nothing but was judged wrong by an evaluator (a gen_ai.evaluation.result event)."""
    t = "c" * 32
    verdict = SpanEvent(
        "gen_ai.evaluation.result",
        900,
        {
            "gen_ai.evaluation.name": "correctness",
            "gen_ai.evaluation.score.label": "fail",
            "gen_ai.evaluation.explanation": "the total is 10x too large",
            "agent_trace.evaluation.success": False,
        },
    )
    spans = (
        Span(
            t, "1" * 16, None, "invoke_agent calc", 0, 1000, attributes={"gen_ai.agent.name": "calc"}, events=(verdict,)
        ),
        Span(t, "2" * 16, "1" * 16, "step add", 10, 400, attributes={"agent_trace.step.output": "5800.0"}),
        Span(t, "3" * 16, "1" * 16, "step answer", 500, 800, attributes={"agent_trace.step.output": "total 5800.0"}),
    )
    return Trace(t, spans)


def test_an_evaluation_failure_is_named_and_its_span_drawn_failed() -> None:
    trace = _evaluated_trace()
    report = analyze(trace)
    assert report.failure is not None and report.failure.kind == "evaluation"
    text = render_text(report)
    assert "Failure:  evaluation: " in text and "10x too large" in text
    page = render_html(report, trace)
    assert "<span class='kind evaluation'>evaluation</span>" in page
    assert "class='tag fail'>FAIL</span>invoke_agent calc" in page
    assert "class='mark'" in page  # the evaluation result on the run's bar


def test_text_report_doctests() -> None:
    import doctest

    from otel_agent_trace.rca import text_report

    assert doctest.testmod(text_report).failed == 0

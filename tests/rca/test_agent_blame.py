"""Agent-level blame on a nested instrumented shape: a planner's model call writes a wrong argument, a sub-agent's
tool fails on it. Blame goes to the writer, not to the executor that reported the error."""

from __future__ import annotations

import json
import math

from otel_agent_trace.model import Span, SpanEvent, Trace
from otel_agent_trace.rca import analyze, dependency_graph

T = "cd" * 16


def _span(n: int, parent: int | None, name: str, start: int, end: int, **attrs: object) -> Span:
    error = attrs.pop("error", None)
    events = ()
    if error:
        events = (SpanEvent("exception", end, {"exception.type": "CityNotFound", "exception.message": str(error)}),)
    return Span(
        T,
        f"{n:016x}",
        f"{parent:016x}" if parent else None,
        name,
        start * 10**6,
        end * 10**6,
        status_code="ERROR" if error or attrs.pop("failed", False) else "UNSET",
        attributes=attrs,
        events=events,
    )


def _trace() -> Trace:
    call = {"type": "tool_call", "id": "call_7f3", "name": "search_hotels", "arguments": {"city": "Pariss"}}
    spans = (
        _span(
            1,
            None,
            "invoke_agent planner",
            0,
            100,
            failed=True,
            **{
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": "planner",
                "agent_trace.step.input": "Book a hotel in Paris for two nights",
            },
        ),
        _span(
            2,
            1,
            "chat gpt-4o",
            1,
            10,
            **{
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "gpt-4o",
                "gen_ai.usage.input_tokens": 11,
                "gen_ai.input.messages": json.dumps(
                    [{"role": "user", "parts": [{"type": "text", "content": "Book a hotel in Paris for two nights"}]}]
                ),
                "gen_ai.output.messages": json.dumps([{"role": "assistant", "parts": [call]}]),
            },
        ),
        _span(
            3,
            1,
            "invoke_agent booker",
            11,
            90,
            failed=True,
            **{
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": "booker",
                "agent_trace.step.input": json.dumps({"city": "Pariss", "nights": 2}),
            },
        ),
        _span(
            4,
            3,
            "execute_tool search_hotels",
            12,
            20,
            error="unknown city 'Pariss'",
            **{
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": "search_hotels",
                "gen_ai.tool.call.id": "call_7f3",
                "gen_ai.tool.call.arguments": json.dumps({"city": "Pariss"}),
            },
        ),
    )
    return Trace(T, spans)


def test_the_call_id_links_the_tool_to_the_model_call_that_requested_it() -> None:
    graph = dependency_graph(_trace())
    assert any(e.via == "tool_call_id" and e.source == f"{2:016x}" and e.target == f"{4:016x}" for e in graph.edges)


def test_blame_goes_to_the_agent_that_wrote_the_failing_argument() -> None:
    report = analyze(_trace())
    assert report.failure is not None and report.failure.kind == "exception"
    assert report.failure.span_id == f"{4:016x}"
    assert report.root_cause is not None and report.root_cause.span_id == f"{2:016x}"
    assert report.agents[0].name == "planner"
    assert math.isclose(sum(a.score for a in report.agents), 1.0)
    kinds = {e.kind for e in report.root_cause.evidence}
    assert "first_introduction" in kinds
    assert report.to_dict()["agents"][0]["name"] == "planner"


class _SecondIsRight:
    model = "test-judge"

    def judge(self, request: object) -> object:
        from otel_agent_trace.rca.judge import JudgeVerdict

        return JudgeVerdict(("C2", "C1"), "the tool itself is broken", self.model)


def test_a_judge_given_to_analyze_is_merged_before_agents_are_summed() -> None:
    plain = analyze(_trace())
    judged = analyze(_trace(), judge=_SecondIsRight())  # type: ignore[arg-type]
    assert judged.judge is not None and judged.judge.used
    assert judged.root_cause is not None and judged.root_cause.span_id == plain.candidates[1].span_id
    assert any(e.kind == "judge" for e in judged.root_cause.evidence)
    assert math.isclose(sum(a.score for a in judged.agents), 1.0)
    assert judged.agents[0].name == judged.root_cause.agent


def test_a_value_printed_by_code_belongs_to_the_code_author_not_the_executor() -> None:
    from otel_agent_trace.rca.blame_content import code_author
    from otel_agent_trace.rca.provenance import Provenance

    program = "items = [40, 123.63]\ntotal = round(items[0] * items[1], 2)\nfor x in items:\n    print(x)\n"
    prov = Provenance(in_text={"exec": program, "tool": '{"base": "EUR"}'}, fed={"exec": [("coder", 1.0)]})
    prov.fed["tool"] = [("model", 1.0)]
    assert code_author(prov, "exec") == "coder"  # the executor only ran the program
    assert code_author(prov, "tool") == "tool"  # a tool called with arguments answers for its own result
    prov.fed["exec"] = [("coder", 0.5), ("other", 0.5)]
    assert code_author(prov, "exec") == "exec"  # no single author: it stays

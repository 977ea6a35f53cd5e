"""Two shapes real instrumentation produces, that blame must read right.

- A step whose model wrote a program and ran it as its child tool: the step's output is recorded when it ends,
  after the child, yet the program's result is the step's responsibility, not the tool's.
- An answer that restates a printed number with a unit (``439.1`` -> ``439.1 million GBP``): the number was born
  where it was printed, not where the unit was added.
"""

from __future__ import annotations

from otel_agent_trace.model import Span, SpanEvent, Trace
from otel_agent_trace.rca import analyze
from otel_agent_trace.semconv import evaluation as ev

TRACE = "cd" * 16
S = 10**9
TASK = "Give the H2 2022 revenue in millions of GBP; convert the USD figures with the 2022-12-31 rate."
CODE = "revenues_usd = [2312.4, 1650.1]\nrate = 9.0236\ntotal = sum(revenues_usd) / rate\nprint(f'{total:,.1f}')\n"


def _span(n: int, parent: int | None, name: str, start: int, end: int, **attrs: object) -> Span:
    parent_id = f"{parent:016x}" if parent is not None else None
    return Span(TRACE, f"{n:016x}", parent_id, name, start * S, end * S, attributes=attrs)


def _revenue_run(answer: str) -> Trace:
    verdict = SpanEvent(
        ev.GEN_AI_EVALUATION_RESULT_EVENT,
        20 * S,
        {
            ev.GEN_AI_EVALUATION_NAME: "reference",
            ev.GEN_AI_EVALUATION_SCORE_LABEL: "fail",
            ev.EVALUATION_EXPECTED: "35,756.0 million GBP",
            ev.EVALUATION_ACTUAL: answer,
        },
    )
    step = {"agent_trace.step.action_type": "tool_call"}
    spans = [
        Span(
            TRACE, f"{1:016x}", None, "invoke_agent analyst", 0, 20 * S, events=(verdict,),
            attributes={"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "analyst",
                        "agent_trace.step.input": TASK, "agent_trace.step.output": answer},
        ),
        _span(2, 1, "step fetch", 1, 3, **step, **{"agent_trace.step.input": "Get the Q3 and Q4 2022 revenue (USD m)",
              "agent_trace.step.output": "Q3 2022: 2312.4 USD m; Q4 2022: 1650.1 USD m"}),
        _span(3, 1, "step fx", 4, 5, **step, **{"agent_trace.step.input": "Get the USD/GBP rate for 2022-12-31",
              "agent_trace.step.output": "USD/GBP on 2022-12-31: 9.0236"}),
        _span(4, 1, "step act", 6, 10, **step, **{"agent_trace.step.input": "Compute the H2 sum in GBP with Python",
              "agent_trace.step.output": "python\n" + CODE}),
        _span(5, 4, "execute_tool python", 7, 9, **{"gen_ai.operation.name": "execute_tool",
              "gen_ai.tool.name": "python", "gen_ai.tool.call.arguments": CODE, "gen_ai.tool.call.result": "439.1\n"}),
        _span(6, 1, "step respond", 11, 12, **{"agent_trace.step.action_type": "response",
              "agent_trace.step.input": "Decide: continue or respond", "agent_trace.step.output": answer}),
    ]  # fmt: skip
    return Trace(TRACE, tuple(spans))


def test_the_step_that_wrote_and_ran_the_program_answers_for_its_result() -> None:
    report = analyze(_revenue_run("Revenue for H2 2022: 439.1 million GBP."))
    assert report.root_cause is not None
    assert report.root_cause.name == "step act", [c.name for c in report.candidates]
    assert any(e.kind == "first_introduction" and "439.1" in e.detail for e in report.root_cause.evidence)


def test_adding_a_unit_to_a_printed_number_does_not_make_the_answer_its_birthplace() -> None:
    report = analyze(_revenue_run("Revenue for H2 2022: 439.1 million GBP."))
    respond = [c for c in report.candidates if c.name == "step respond"]
    assert respond, "the answer's writer is still a candidate (it wrote the answer's text)"
    assert not any(e.kind == "first_introduction" and "439.1" in e.detail for e in respond[0].evidence)

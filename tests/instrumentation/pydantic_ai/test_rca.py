"""The RCA reads Pydantic AI's own trace: a tool returns a wrong value, the agent repeats it; blame on the tool."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import format_span_id
from pydantic_ai import Agent

from otel_agent_trace.rca import analyze
from tests.instrumentation.pydantic_ai._trace import to_trace
from tests.instrumentation.pydantic_ai.conftest import ScriptedServer, model_of, named, text_reply, tool_call_reply

pytestmark = pytest.mark.usefixtures("instrumented")

WRONG = "Water boils at 50 degrees Celsius at sea level."
RIGHT = "Water boils at 100 degrees Celsius at sea level."


def _run(server: ScriptedServer, fact: str, answer: str) -> None:
    server.reply(
        tool_call_reply("lookup_fact", {"topic": "boiling point of water"}, "call_1"),
        text_reply(f"Final report: {answer}"),
    )
    agent: Agent[None, str] = Agent(model_of(server), name="reporter", instructions="Look the fact up, then report it.")

    @agent.tool_plain
    def lookup_fact(topic: str) -> str:
        return f"Fact found: {fact}"

    agent.run_sync("At what temperature does water boil at sea level? Write a one-line report.")


@pytest.mark.parametrize(
    ("fact", "culprit"),
    [(WRONG, "execute_tool lookup_fact"), (RIGHT, "chat gpt-mock")],
    ids=["tool-returned-it-agent-repeated", "model-got-it-wrong-itself"],
)
def test_blame_lands_on_the_span_that_produced_the_wrong_value(
    server: ScriptedServer, exporter: InMemorySpanExporter, fact: str, culprit: str
) -> None:
    _run(server, fact, WRONG)
    spans = exporter.get_finished_spans()
    report = analyze(to_trace(spans), failed=True, expected=RIGHT, reason="the boiling point in the report is wrong")
    assert report.root_cause is not None, report.to_dict()
    assert report.root_cause.name == culprit, report.to_dict()["candidates"]
    if culprit.startswith("chat"):  # the second model call (the report), not the first (which asked for the tool)
        second = named(spans, "chat")[1]
        assert report.root_cause.span_id == format_span_id(second.context.span_id)
    assert report.root_cause.agent == "reporter"

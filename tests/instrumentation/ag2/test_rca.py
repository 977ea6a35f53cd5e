"""The RCA on a recorded failing AG2 Network run: the researcher's tool returns a wrong value, the writer relays it.

Recorded by our instrumentors (content capture on) and analysed by ``otel_agent_trace.rca``: the blame must land on
the agent whose tool produced the value, not on the one that repeated it.
"""

from __future__ import annotations

import asyncio

import pytest
from ag2 import tool
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_agent_trace.rca import analyze

from ._run import conversation, to_trace
from .mock_server import MockChat, text_reply, tool_reply

WRONG = "Water boils at 50 degrees Celsius at sea level."


RIGHT = "Water boils at 100 degrees Celsius at sea level."
_tool_answer = ["50 degrees Celsius"]


@tool
def lookup_boiling_point(substance: str) -> str:
    """The boiling point of a substance at sea level (the test sets whether it is wrong)."""
    return _tool_answer[0]


@pytest.mark.parametrize(
    ("tool_answer", "researcher_fact", "culprit"),
    [("50 degrees Celsius", WRONG, "researcher"), ("100 degrees Celsius", RIGHT, "writer")],
    ids=["tool-wrong-writer-relayed", "writer-got-it-wrong-itself"],
)
def test_blame_lands_on_the_agent_that_introduced_the_wrong_value(
    instrumented: MockChat, exporter: InMemorySpanExporter, tool_answer: str, researcher_fact: str, culprit: str
) -> None:
    _tool_answer[0] = tool_answer
    instrumented.reset(
        tool_reply(("lookup_boiling_point", {"substance": "water"})),
        text_reply(f"Fact found: {researcher_fact}"),
        text_reply(f"Final report: {WRONG}"),
    )
    texts = asyncio.run(
        conversation(
            instrumented,
            ("writer", "researcher"),
            "At what temperature does water boil at sea level? Write a one-line report.",
            3,
            tools={"researcher": [lookup_boiling_point]},
        )
    )
    assert len(texts) >= 3
    trace = to_trace(exporter.get_finished_spans())
    report = analyze(
        trace,
        failed=True,
        expected="Water boils at 100 degrees Celsius at sea level.",
        reason="the boiling point in the report is wrong",
    )
    assert report.root_cause is not None, report.to_dict()
    assert report.root_cause.agent == culprit, report.to_dict()["candidates"]
    assert report.agents[0].name == culprit, [(a.name, a.score) for a in report.agents]

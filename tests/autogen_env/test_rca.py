"""The RCA on a recorded failing AutoGen group chat: a researcher writes a wrong value, the writer repeats it.

The run is recorded by our instrumentors (with AutoGen's own spans, as a user would get them) and analysed by
``otel_agent_trace.rca``: the blame must land on the agent that wrote the value, not on the one that repeated it.
"""

from __future__ import annotations

import asyncio

import pytest
from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.conditions import MaxMessageTermination, TextMentionTermination
from autogen_agentchat.teams import RoundRobinGroupChat
from autogen_ext.models.openai import OpenAIChatCompletionClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_agent_trace.rca import analyze
from otel_agent_trace.rca.context import build_context
from otel_agent_trace.rca.message_links import message_sources
from otel_agent_trace.rca.view import TraceView
from tests.autogen_env._mock_llm import Answer, MockLLMServer
from tests.autogen_env._tree import ours, to_trace

pytestmark = [pytest.mark.usefixtures("instrumented"), pytest.mark.filterwarnings("ignore::UserWarning")]

WRONG = "Water boils at 50 degrees Celsius at sea level."
RIGHT = "Water boils at 100 degrees Celsius at sea level."


def _run(llm: MockLLMServer, exporter: InMemorySpanExporter, *, researcher_fact: str = WRONG) -> None:
    llm.script = {
        "researcher": [Answer(f"Fact found: {researcher_fact}")],
        "writer": [Answer(f"Final report: {WRONG} TERMINATE")],
    }
    client = OpenAIChatCompletionClient(model="gpt-4o", api_key="test", base_url=llm.base_url, max_retries=0)
    researcher = AssistantAgent("researcher", model_client=client, system_message="[agent:researcher] Find facts.")
    writer = AssistantAgent("writer", model_client=client, system_message="[agent:writer] Write the report.")
    team = RoundRobinGroupChat(
        [researcher, writer], termination_condition=TextMentionTermination("TERMINATE") | MaxMessageTermination(6)
    )
    asyncio.run(team.run(task="At what temperature does water boil at sea level? Write a one-line report."))


def test_message_links_tie_the_writers_turn_to_the_researchers_message(
    llm: MockLLMServer, exporter: InMemorySpanExporter
) -> None:
    _run(llm, exporter)
    spans = exporter.get_finished_spans()
    researcher, writer = ours(spans, "step ")
    sources = message_sources(TraceView(to_trace(spans)))
    writer_id, researcher_id = f"{writer.context.span_id:016x}", f"{researcher.context.span_id:016x}"
    # the writer received two messages (the user's task, the researcher's fact): one of them the researcher wrote
    assert sources[writer_id] == [(researcher_id, 0.5)]


@pytest.mark.parametrize(
    ("researcher_fact", "culprit"),
    [(WRONG, "researcher"), (RIGHT, "writer")],
    ids=["researcher-wrote-it-writer-repeated", "writer-got-it-wrong-itself"],
)
def test_blame_lands_on_the_agent_that_wrote_the_wrong_value(
    llm: MockLLMServer, exporter: InMemorySpanExporter, researcher_fact: str, culprit: str
) -> None:
    _run(llm, exporter, researcher_fact=researcher_fact)
    trace = to_trace(exporter.get_finished_spans())
    report = analyze(
        trace,
        failed=True,
        expected="Water boils at 100 degrees Celsius at sea level.",
        reason="the boiling point in the report is wrong",
    )
    assert report.root_cause is not None
    assert report.root_cause.agent == culprit, report.to_dict()["candidates"]
    assert report.agents[0].name == culprit, [(a.name, a.score) for a in report.agents]
    assert build_context(trace, failed=True).outcome is not None

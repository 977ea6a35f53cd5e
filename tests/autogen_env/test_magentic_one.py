"""MagenticOneGroupChat against the mock LLM: its orchestrator's facts, plan, progress ledgers, final answer scripted.

Each progress ledger is a ``decision speaker_selection`` (condition ``progress_ledger``): the ledger's next speaker
chosen, its reason the rationale with content capture; the ledger saying the request is satisfied chooses no one and
the run stops with the orchestrator as the condition.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.teams import MagenticOneGroupChat
from autogen_ext.models.openai import OpenAIChatCompletionClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.autogen_env._mock_llm import (
    MAGENTIC_FACTS,
    MAGENTIC_FINAL,
    MAGENTIC_LEDGER,
    MAGENTIC_PLAN,
    Answer,
    Call,
    MockLLMServer,
    ledger,
)
from tests.autogen_env._tree import attr_json, is_under, named, ours

pytestmark = [pytest.mark.usefixtures("instrumented"), pytest.mark.filterwarnings("ignore::UserWarning")]


async def get_weather(city: str) -> str:
    """Get the weather for a city."""
    return f"The weather in {city} is 73 degrees and sunny."


def _team(llm: MockLLMServer) -> MagenticOneGroupChat:
    llm.script = {
        "weather": [Call("get_weather", {"city": "Paris"})],
        "critic": [Answer("The report is right.")],
        MAGENTIC_FACTS: [Answer("Facts: the city is Paris.")],
        MAGENTIC_PLAN: [Answer("- weather reports\n- critic reviews")],
        MAGENTIC_LEDGER: [
            ledger("weather", "Get the weather in Paris.", "weather has the weather tool"),
            ledger("critic", "Review the report.", "the report needs a review"),
            ledger("critic", "", "the report is reviewed", done=True),
        ],
        MAGENTIC_FINAL: [Answer("It is 73 degrees and sunny in Paris.")],
    }
    client = OpenAIChatCompletionClient(model="gpt-4o", api_key="test", base_url=llm.base_url, max_retries=0)
    weather = AssistantAgent(
        "weather", model_client=client, tools=[get_weather], system_message="[agent:weather] Report the weather."
    )
    critic = AssistantAgent("critic", model_client=client, system_message="[agent:critic] Review the report.")
    return MagenticOneGroupChat([weather, critic], model_client=client)


@pytest.mark.parametrize("capture", [True], ids=["capture"], indirect=True)
def test_magentic_one_ledgers_are_decisions_with_their_reasons_and_agents_are_steps(
    llm: MockLLMServer, exporter: InMemorySpanExporter
) -> None:
    result = asyncio.run(_team(llm).run(task="What is the weather in Paris?"))
    assert result.stop_reason == "the report is reviewed"
    assert llm.served[MAGENTIC_LEDGER] == 3 and llm.served[MAGENTIC_FINAL] == 1
    spans = exporter.get_finished_spans()

    (workflow,) = ours(spans, "invoke_workflow")
    assert workflow.name == "invoke_workflow MagenticOneGroupChat"
    assert workflow.attributes["agent_trace.agent.handoffs"] == ("weather", "critic")
    assert workflow.attributes["agent_trace.termination.condition"] == "MagenticOneOrchestrator"
    assert workflow.attributes["agent_trace.termination.reason"] == "the report is reviewed"

    planning, *steps = ours(spans, "step ")
    decisions = ours(spans, "decision ")
    # the orchestrator's fact sheet and plan: a planning step, both calls under it, both texts its output (capture)
    assert planning.name == "step MagenticOneOrchestrator"
    assert planning.attributes["agent_trace.step.action_type"] == "planning"
    assert planning.attributes["agent_trace.step.name"] == "plan"
    assert attr_json(planning, "agent_trace.step.output") == {
        "facts": "Facts: the city is Paris.",
        "plan": "- weather reports\n- critic reviews",
    }
    assert len([c for c in named(spans, "chat ") if is_under(spans, c, planning)]) == 2
    assert planning.end_time is not None and planning.end_time <= (decisions[0].start_time or 0)
    assert [s.attributes["gen_ai.agent.name"] for s in steps] == ["weather", "critic"]
    assert [s.attributes["agent_trace.step.action_type"] for s in steps] == ["tool_call", "response"]
    assert [d.attributes.get("agent_trace.decision.chosen") for d in decisions] == ["weather", "critic", None]
    assert [d.attributes["agent_trace.decision.rationale"] for d in decisions] == [
        "weather has the weather tool",
        "the report needs a review",
        "the report is reviewed",
    ]
    for decision in decisions:
        assert decision.attributes["agent_trace.decision.condition"] == "progress_ledger"
        assert decision.attributes["agent_trace.decision.options"] == ("weather", "critic")
    # plan, decision, step, decision, step, decision: one counter, all children of the team span, one run id
    ordered = sorted([planning, *steps, *decisions], key=lambda s: s.start_time or 0)
    assert [s.name.split(" ")[0] for s in ordered] == ["step", "decision", "step", "decision", "step", "decision"]
    assert [s.attributes["agent_trace.step.index"] for s in ordered] == [0, 1, 2, 3, 4, 5]
    assert all(s.parent is not None and s.parent.span_id == workflow.context.span_id for s in ordered)
    assert {s.attributes["agent_trace.run.id"] for s in ordered} == {workflow.attributes["agent_trace.run.id"]}

    # each ledger's LLM call is under its decision; the final answer's under the last one; the tool under weather
    chats = named(spans, "chat ")
    assert [len([c for c in chats if is_under(spans, c, d)]) for d in decisions] == [1, 1, 2]
    (tool,) = named(spans, "execute_tool")
    assert is_under(spans, tool, steps[0])
    # the critic's step received the orchestrator's instruction, written by the orchestrator
    received = [m for m in attr_json(steps[1], "agent_trace.step.input") if m["source"] == "MagenticOneOrchestrator"]
    assert any(m["content"] == "Review the report." for m in received)


@pytest.mark.parametrize("capture", [False], ids=["no-capture"], indirect=True)
def test_magentic_one_without_content_capture_chooses_but_keeps_no_reason(
    llm: MockLLMServer, exporter: InMemorySpanExporter
) -> None:
    asyncio.run(_team(llm).run(task="What is the weather in Paris?"))
    spans = exporter.get_finished_spans()
    decisions = ours(spans, "decision ")
    assert [d.attributes.get("agent_trace.decision.chosen") for d in decisions] == ["weather", "critic", None]
    assert not [d for d in decisions if "agent_trace.decision.rationale" in d.attributes]
    planning = ours(spans, "step ")[0]
    assert planning.attributes["agent_trace.step.action_type"] == "planning"
    assert "agent_trace.step.output" not in planning.attributes


@pytest.mark.parametrize("capture", [True], ids=["capture"], indirect=True)
def test_a_stalled_ledger_chooses_no_one_and_the_re_plan_is_a_planning_step(
    llm: MockLLMServer, exporter: InMemorySpanExporter
) -> None:
    llm.script = {
        "weather": [Answer("It is sunny.")],
        MAGENTIC_FACTS: [Answer("Facts: Paris."), Answer("Facts, updated: Paris, France.")],
        MAGENTIC_PLAN: [Answer("- ask weather"), Answer("- ask weather, clearly")],
        MAGENTIC_LEDGER: [
            ledger("weather", "Weather?", "weather knows", progress=False),
            ledger("weather", "Weather in Paris, please.", "weather knows the city"),
            ledger("weather", "", "the weather is reported", done=True),
        ],
        MAGENTIC_FINAL: [Answer("Sunny.")],
    }
    client = OpenAIChatCompletionClient(model="gpt-4o", api_key="test", base_url=llm.base_url, max_retries=0)
    weather = AssistantAgent("weather", model_client=client, system_message="[agent:weather] Report the weather.")
    critic = AssistantAgent("critic", model_client=client, system_message="[agent:critic] Review.")
    team = MagenticOneGroupChat([weather, critic], model_client=client, max_stalls=1)
    result = asyncio.run(team.run(task="Weather in Paris?"))
    assert result.stop_reason == "the weather is reported"
    assert llm.served[MAGENTIC_FACTS] == 2 and llm.served[MAGENTIC_PLAN] == 2
    spans = exporter.get_finished_spans()
    (workflow,) = ours(spans, "invoke_workflow")
    plan, replan, turn = ours(spans, "step ")
    assert [s.attributes["agent_trace.step.name"] for s in (plan, replan, turn)] == ["plan", "replan", "weather"]
    assert replan.attributes["agent_trace.step.action_type"] == "planning"
    assert attr_json(replan, "agent_trace.step.output")["facts"] == "Facts, updated: Paris, France."
    stalled, chose, done = ours(spans, "decision ")
    assert "agent_trace.decision.chosen" not in stalled.attributes  # it re-planned instead of asking weather
    assert stalled.attributes["agent_trace.decision.rationale"] == "weather knows"
    assert chose.attributes["agent_trace.decision.chosen"] == "weather"
    assert "agent_trace.decision.chosen" not in done.attributes
    ordered = sorted([plan, replan, turn, stalled, chose, done], key=lambda s: s.start_time or 0)
    assert [s.attributes["agent_trace.step.index"] for s in ordered] == [0, 1, 2, 3, 4, 5]
    assert [s.name.split(" ")[0] for s in ordered] == ["step", "decision", "step", "decision", "step", "decision"]
    assert all(s.parent is not None and s.parent.span_id == workflow.context.span_id for s in ordered)
    # the re-plan's two calls are under the re-plan step
    assert len([c for c in named(spans, "chat ") if is_under(spans, c, replan)]) == 2


@pytest.mark.parametrize("capture", [False], ids=["no-capture"], indirect=True)
def test_our_faults_in_the_magentic_one_wrappers_never_change_the_run(
    llm: MockLLMServer,
    exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from otel_agent_trace.instrumentation.autogen import _extract as X
    from otel_agent_trace.instrumentation.autogen import _selection

    def boom(*args: object, **kwargs: object) -> object:
        raise RuntimeError("instrumentation bug")

    for name in ("names", "text"):
        monkeypatch.setattr(X, name, boom)
    monkeypatch.setattr(_selection, "parse_ledger", boom)
    with caplog.at_level(logging.DEBUG, logger="otel_agent_trace"):
        result = asyncio.run(_team(llm).run(task="What is the weather in Paris?"))
    assert result.stop_reason == "the report is reviewed"
    assert [m.source for m in result.messages][-2:] == ["critic", "MagenticOneOrchestrator"]
    assert "instrumentation bug" in caplog.text
    runtime = [s for s in exporter.get_finished_spans() if s.name.startswith("autogen process")]
    assert runtime and all("message" not in (s.attributes or {}) for s in runtime)  # the runtime wrapper still works

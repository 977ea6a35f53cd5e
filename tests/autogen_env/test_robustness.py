"""Swarm handoffs, hostile values, our own faults and ``uninstrument``: the team's run is never changed by us."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
import wrapt
from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.conditions import HandoffTermination, MaxMessageTermination, TextMentionTermination
from autogen_agentchat.teams import RoundRobinGroupChat, Swarm
from autogen_agentchat.teams._group_chat._base_group_chat import BaseGroupChat
from autogen_ext.models.openai import OpenAIChatCompletionClient
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from otel_agent_trace.instrumentation.autogen import AutoGenInstrumentor
from otel_agent_trace.instrumentation.autogen import _extract as X
from tests.autogen_env._mock_llm import Answer, Call, MockLLMServer
from tests.autogen_env._tree import AUTOGEN, OURS, attr_json, named, ours

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _client(llm: MockLLMServer) -> OpenAIChatCompletionClient:
    return OpenAIChatCompletionClient(model="gpt-4o", api_key="test", base_url=llm.base_url, max_retries=0)


def _termination() -> Any:
    return TextMentionTermination("TERMINATE") | MaxMessageTermination(8)


async def broken_lookup(city: str) -> str:
    """A tool that fails."""
    raise LookupError(f"no such city: {city}")


async def huge_lookup(city: str) -> str:
    """A tool that answers far more than an attribute may hold."""
    return "x" * 2_000_000


@pytest.mark.usefixtures("instrumented")
def test_swarm_handoff_is_a_handoff_step_and_a_handoff_decision(
    llm: MockLLMServer, exporter: InMemorySpanExporter
) -> None:
    llm.script = {"alice": [Call("transfer_to_bob", {})], "bob": [Answer("Done. TERMINATE")]}
    alice = AssistantAgent("alice", model_client=_client(llm), handoffs=["bob"], system_message="[agent:alice] A.")
    bob = AssistantAgent("bob", model_client=_client(llm), system_message="[agent:bob] B.")
    result = asyncio.run(Swarm([alice, bob], termination_condition=_termination()).run(task="Hand it to bob."))
    assert result.stop_reason == "Text 'TERMINATE' mentioned"
    spans = exporter.get_finished_spans()
    steps = ours(spans, "step ")
    assert [(s.attributes["gen_ai.agent.name"], s.attributes["agent_trace.step.action_type"]) for s in steps] == [
        ("alice", "handoff"),
        ("bob", "response"),
    ]
    handoff = next(m for m in attr_json(steps[0], "agent_trace.step.output") if m["type"] == "HandoffMessage")
    assert handoff["source"] == "alice" and "bob" in json.dumps(handoff["content"])
    decisions = ours(spans, "decision ")
    assert {d.attributes["agent_trace.decision.condition"] for d in decisions} == {"handoff"}
    assert [d.attributes["agent_trace.decision.chosen"] for d in decisions] == ["alice", "bob"]


@pytest.mark.usefixtures("instrumented")
def test_a_raising_tool_is_an_error_span_and_the_run_goes_on(
    llm: MockLLMServer, exporter: InMemorySpanExporter
) -> None:
    llm.script = {"weather": [Call("broken_lookup", {"city": "Atlantis"})], "critic": [Answer("TERMINATE")]}
    weather = AssistantAgent(
        "weather", model_client=_client(llm), tools=[broken_lookup], system_message="[agent:weather]"
    )
    critic = AssistantAgent("critic", model_client=_client(llm), system_message="[agent:critic]")
    result = asyncio.run(RoundRobinGroupChat([weather, critic], termination_condition=_termination()).run(task="go"))
    assert result.stop_reason == "Text 'TERMINATE' mentioned"  # AutoGen hands the error to the model: no raise
    (tool,) = named(exporter.get_finished_spans(), "execute_tool")
    assert tool.instrumentation_scope.name == OURS
    assert tool.status.status_code is StatusCode.ERROR and tool.attributes["error.type"] == "LookupError"
    assert tool.attributes["agent_trace.tool.status"] == "error"


@pytest.mark.usefixtures("instrumented")
def test_hostile_values_are_bounded_and_never_break_the_run(llm: MockLLMServer, exporter: InMemorySpanExporter) -> None:
    lone_surrogate = "bad \ud800 text"
    llm.script = {
        "weather": [Call("huge_lookup", {"city": "P\x00aris \U0001f600"})],
        "critic": [Answer(lone_surrogate + " TERMINATE")],
    }
    weather = AssistantAgent(
        "weather", model_client=_client(llm), tools=[huge_lookup], system_message="[agent:weather]"
    )
    critic = AssistantAgent("critic", model_client=_client(llm), system_message="[agent:critic]")
    team = RoundRobinGroupChat([weather, critic], termination_condition=_termination())
    result = asyncio.run(team.run(task="nul \x00 and emoji \U0001f600 " * 5000))  # (the SDK cannot send a surrogate)
    assert result.stop_reason == "Text 'TERMINATE' mentioned"
    spans = exporter.get_finished_spans()
    for span in [s for s in spans if s.instrumentation_scope.name == OURS]:
        for value in (span.attributes or {}).values():
            assert len(str(value)) <= 70_000, span.name  # the per-attribute budget, not the 2 MB payload
    (tool,) = named(spans, "execute_tool")
    assert "truncated" in str(tool.attributes["gen_ai.tool.call.result"])


@pytest.mark.usefixtures("instrumented")
def test_our_own_faults_are_logged_and_swallowed(
    llm: MockLLMServer,
    exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("instrumentation bug")

    for name in ("messages", "candidates", "text", "code_blocks"):
        monkeypatch.setattr(X, name, boom)
    llm.script = {"weather": [Answer("sunny")], "critic": [Answer("TERMINATE")]}
    weather = AssistantAgent("weather", model_client=_client(llm), system_message="[agent:weather]")
    critic = AssistantAgent("critic", model_client=_client(llm), system_message="[agent:critic]")
    with caplog.at_level(logging.DEBUG, logger="otel_agent_trace"):
        result = asyncio.run(
            RoundRobinGroupChat([weather, critic], termination_condition=_termination()).run(task="go")
        )
    assert result.stop_reason == "Text 'TERMINATE' mentioned"
    assert [m.source for m in result.messages] == ["user", "weather", "critic"]
    assert "instrumentation bug" in caplog.text


def test_uninstrument_restores_autogen(
    provider: TracerProvider, exporter: InMemorySpanExporter, llm: MockLLMServer
) -> None:
    import autogen_core.tools._base as tools_base

    original_tool_span = tools_base.trace_tool_span
    instrumentor = AutoGenInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    assert isinstance(vars(BaseGroupChat)["run_stream"], wrapt.FunctionWrapper)
    assert tools_base.trace_tool_span is not original_tool_span
    instrumentor.uninstrument()
    assert not isinstance(vars(BaseGroupChat)["run_stream"], wrapt.FunctionWrapper)
    assert tools_base.trace_tool_span is original_tool_span

    llm.script = {"weather": [Call("get_weather", {"city": "Paris"})], "critic": [Answer("TERMINATE")]}

    async def get_weather(city: str) -> str:
        """Weather."""
        return "sunny"

    weather = AssistantAgent(
        "weather", model_client=_client(llm), tools=[get_weather], system_message="[agent:weather]"
    )
    critic = AssistantAgent("critic", model_client=_client(llm), system_message="[agent:critic]")
    asyncio.run(
        RoundRobinGroupChat([weather, critic], termination_condition=HandoffTermination("x") | _termination()).run(
            task="go"
        )
    )
    spans = exporter.get_finished_spans()
    assert not [s for s in spans if s.instrumentation_scope.name == OURS]
    assert {s.instrumentation_scope.name for s in named(spans, "execute_tool")} == {AUTOGEN}  # AutoGen's own again

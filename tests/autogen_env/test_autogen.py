"""AutoGen teams against a local mock chat-completions server: the tree, decisions, tools, code, termination, errors.

Quick-start shape: two ``AssistantAgent``s (one with a function tool) in a RoundRobinGroupChat or SelectorGroupChat,
``OpenAIChatCompletionClient`` pointed at the mock with ``base_url``, text-mention or max-message termination.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from autogen_agentchat.agents import AssistantAgent, CodeExecutorAgent
from autogen_agentchat.conditions import MaxMessageTermination, TextMentionTermination
from autogen_agentchat.teams import RoundRobinGroupChat, SelectorGroupChat
from autogen_ext.code_executors.local import LocalCommandLineCodeExecutor
from autogen_ext.models.openai import OpenAIChatCompletionClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from tests.autogen_env._mock_llm import SELECTOR, Answer, Call, Fail, MockLLMServer
from tests.autogen_env._tree import AUTOGEN, OURS, attr_json, is_under, named, ours

pytestmark = pytest.mark.usefixtures("instrumented")


async def get_weather(city: str) -> str:
    """Get the weather for a city."""
    return f"The weather in {city} is 73 degrees and sunny."


def _client(llm: MockLLMServer) -> OpenAIChatCompletionClient:
    return OpenAIChatCompletionClient(model="gpt-4o", api_key="test", base_url=llm.base_url, max_retries=0)


def _agents(llm: MockLLMServer) -> list[AssistantAgent]:
    client = _client(llm)
    weather = AssistantAgent(
        "weather", model_client=client, tools=[get_weather], system_message="[agent:weather] Report the weather."
    )
    critic = AssistantAgent("critic", model_client=client, system_message="[agent:critic] Review the report.")
    return [weather, critic]


def _termination() -> Any:
    return TextMentionTermination("TERMINATE") | MaxMessageTermination(8)


def _script(llm: MockLLMServer) -> None:
    llm.script = {
        "weather": [Call("get_weather", {"city": "Paris"}), Answer("It is sunny.")],
        "critic": [Answer("Looks right. TERMINATE")],
        SELECTOR: [Answer("weather")],
    }


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_round_robin_team_is_a_workflow_of_decisions_and_agent_steps(
    llm: MockLLMServer, exporter: InMemorySpanExporter
) -> None:
    _script(llm)
    team = RoundRobinGroupChat(_agents(llm), termination_condition=_termination())
    result = asyncio.run(team.run(task="What is the weather in Paris?"))
    assert result.stop_reason == "Text 'TERMINATE' mentioned"
    spans = exporter.get_finished_spans()

    (workflow,) = ours(spans, "invoke_workflow")
    assert workflow.name == "invoke_workflow RoundRobinGroupChat"
    assert workflow.attributes["gen_ai.operation.name"] == "invoke_workflow"
    assert workflow.attributes["agent_trace.agent.handoffs"] == ("weather", "critic")
    assert workflow.attributes["agent_trace.termination.condition"] == "TextMentionTermination"
    assert workflow.attributes["agent_trace.termination.reason"] == "Text 'TERMINATE' mentioned"
    assert workflow.attributes["agent_trace.step.input"] == "What is the weather in Paris?"

    steps, decisions = ours(spans, "step "), ours(spans, "decision ")
    assert [s.attributes["gen_ai.agent.name"] for s in steps] == ["weather", "critic"]
    assert [s.attributes["agent_trace.step.action_type"] for s in steps] == ["tool_call", "response"]
    assert [d.attributes["agent_trace.decision.chosen"] for d in decisions] == ["weather", "critic"]
    for decision in decisions:
        assert decision.attributes["agent_trace.decision.options"] == ("weather", "critic")
        assert decision.attributes["agent_trace.decision.condition"] == "round_robin"
    # one index counter per run, in order: decision, step, decision, step; all direct children of the team span
    ordered = sorted(steps + decisions, key=lambda s: s.start_time or 0)
    assert [s.attributes["agent_trace.step.index"] for s in ordered] == [0, 1, 2, 3]
    assert all(s.parent is not None and s.parent.span_id == workflow.context.span_id for s in ordered)
    assert {s.attributes["agent_trace.run.id"] for s in ordered} == {workflow.attributes["agent_trace.run.id"]}

    # the tool: one execute_tool span (AutoGen's own one is not made), under the weather step, with args and result
    (tool,) = named(spans, "execute_tool")
    assert tool.instrumentation_scope.name == OURS and is_under(spans, tool, steps[0])
    assert attr_json(tool, "gen_ai.tool.call.arguments") == {"city": "Paris"}
    assert "73 degrees" in str(tool.attributes["gen_ai.tool.call.result"])
    assert tool.attributes["gen_ai.tool.call.id"] == "call_weather_0"
    assert tool.attributes["agent_trace.tool.status"] == "ok"

    # LLM calls (no reflection on tool use: the tool result is the weather agent's message): one chat span per
    # request the server saw, each under its agent's step, tokens counted once
    chats = named(spans, "chat ")
    assert len(chats) == len(llm.requests) == 2
    assert is_under(spans, chats[0], steps[0]) and is_under(spans, chats[1], steps[1])
    assert sum(int(s.attributes.get("gen_ai.usage.input_tokens", 0)) for s in spans) == 11 * 2

    # AutoGen's own agent spans stay (under our steps), with no second span of ours for the same turn
    invokes = named(spans, "invoke_agent ")
    assert {s.instrumentation_scope.name for s in invokes} == {AUTOGEN}
    assert all(any(is_under(spans, i, s) for s in steps) for i in invokes)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_step_spans_record_who_wrote_each_message_and_what_each_turn_received(
    llm: MockLLMServer, exporter: InMemorySpanExporter
) -> None:
    _script(llm)
    team = RoundRobinGroupChat(_agents(llm), termination_condition=_termination())
    asyncio.run(team.run(task="What is the weather in Paris?"))
    weather, critic = ours(exporter.get_finished_spans(), "step ")
    written = attr_json(weather, "agent_trace.step.output")
    assert [m["type"] for m in written] == [
        "ToolCallRequestEvent",
        "ToolCallExecutionEvent",
        "ToolCallSummaryMessage",
    ]
    assert {m["source"] for m in written} == {"weather"} and all(len(m["id"]) >= 6 for m in written)
    received = attr_json(critic, "agent_trace.step.input")
    assert received[0]["source"] == "user" and received[0]["content"] == "What is the weather in Paris?"
    # the critic received the weather agent's chat message, by id: the RCA's exact message link
    summary = next(m for m in written if m["type"] == "ToolCallSummaryMessage")
    assert summary["id"] in {m["id"] for m in received}
    assert attr_json(weather, "agent_trace.step.input")[0]["id"] == received[0]["id"]


@pytest.mark.parametrize("capture", [False], ids=["no-capture"], indirect=True)
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_without_content_capture_ids_and_authors_stay_and_content_goes(
    llm: MockLLMServer, exporter: InMemorySpanExporter
) -> None:
    _script(llm)
    team = RoundRobinGroupChat(_agents(llm), termination_condition=_termination())
    asyncio.run(team.run(task="secret task text"))
    spans = exporter.get_finished_spans()
    _, critic = ours(spans, "step ")
    received = attr_json(critic, "agent_trace.step.input")
    assert received and all(set(m) == {"id", "source", "type"} for m in received)
    for span in spans:  # every span, AutoGen's own runtime spans included (test_content.py has both settings)
        for value in (span.attributes or {}).values():
            assert "secret task text" not in str(value) and "73 degrees" not in str(value)
    (tool,) = named(spans, "execute_tool")
    assert "gen_ai.tool.call.arguments" not in tool.attributes


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_selector_group_chat_selection_is_a_decision_with_the_selector_llm_call_under_it(
    llm: MockLLMServer, exporter: InMemorySpanExporter
) -> None:
    _script(llm)
    team = SelectorGroupChat(_agents(llm), model_client=_client(llm), termination_condition=_termination())
    asyncio.run(team.run(task="What is the weather in Paris?"))
    spans = exporter.get_finished_spans()
    first, second = ours(spans, "decision ")[:2]
    assert first.attributes["agent_trace.decision.condition"] == "model"
    assert first.attributes["agent_trace.decision.options"] == ("weather", "critic")
    assert first.attributes["agent_trace.decision.chosen"] == "weather"
    (selector_call,) = [c for c in named(spans, "chat ") if is_under(spans, c, first)]
    assert "weather" in str(selector_call.attributes["gen_ai.output.messages"])  # the selector's answer
    assert first.attributes["agent_trace.decision.rationale"] == "weather"  # with content capture
    # the previous speaker may not speak again: one candidate left, chosen without a model call
    assert second.attributes["agent_trace.decision.options"] == ("critic",)
    assert second.attributes["agent_trace.decision.chosen"] == "critic"
    assert not [c for c in named(spans, "chat ") if is_under(spans, c, second)]


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_code_execution_is_a_tool_call_with_the_code_and_the_terminal_output(
    llm: MockLLMServer, exporter: InMemorySpanExporter, tmp_path: Any
) -> None:
    llm.script = {"coder": [Answer("```python\nprint(6 * 7)\n```")], "reviewer": [Answer("ok TERMINATE")]}
    coder = AssistantAgent("coder", model_client=_client(llm), system_message="[agent:coder] Write code.")
    executor = CodeExecutorAgent("executor", code_executor=LocalCommandLineCodeExecutor(work_dir=tmp_path))
    reviewer = AssistantAgent("reviewer", model_client=_client(llm), system_message="[agent:reviewer] Review.")
    team = RoundRobinGroupChat([coder, executor, reviewer], termination_condition=_termination())
    asyncio.run(team.run(task="Compute 6 times 7."))
    spans = exporter.get_finished_spans()
    (code,) = named(spans, "execute_tool code_execution")
    step = next(s for s in ours(spans, "step ") if s.attributes["gen_ai.agent.name"] == "executor")
    assert is_under(spans, code, step) and step.attributes["agent_trace.step.action_type"] == "tool_call"
    assert attr_json(code, "gen_ai.tool.call.arguments") == [{"language": "python", "code": "print(6 * 7)\n"}]
    result = attr_json(code, "gen_ai.tool.call.result")
    assert result["exit_code"] == 0 and result["output"].strip() == "42"
    assert code.attributes["agent_trace.tool.status"] == "ok"


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_an_error_is_recorded_on_the_step_that_raised_and_the_run(
    llm: MockLLMServer, exporter: InMemorySpanExporter
) -> None:
    llm.script = {"weather": [Answer("It is sunny.")], "critic": [Fail(400, "bad request from the critic")]}
    team = RoundRobinGroupChat(_agents(llm), termination_condition=_termination())
    with pytest.raises(RuntimeError, match="bad request from the critic"):
        asyncio.run(team.run(task="What is the weather in Paris?"))
    spans = exporter.get_finished_spans()
    weather, critic = ours(spans, "step ")
    assert weather.status.status_code is StatusCode.UNSET
    assert critic.status.status_code is StatusCode.ERROR
    assert critic.attributes["error.type"] == "openai.BadRequestError"
    (workflow,) = ours(spans, "invoke_workflow")
    assert workflow.status.status_code is StatusCode.ERROR and workflow.end_time is not None

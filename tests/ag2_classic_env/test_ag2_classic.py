"""AG2 Classic (``import autogen``) against a local mock OpenAI server: chats, group chats, tools, code, AG2's OTel."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import autogen
import pytest
from autogen.coding import LocalCommandLineCodeExecutor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from otel_agent_trace.instrumentation.ag2_classic import AG2ClassicInstrumentor
from tests.ag2_classic_env._agents import attr_json, is_under, llm_config, named, ours
from tests.autogen_env._mock_llm import Answer, Call, MockLLMServer

pytestmark = [pytest.mark.usefixtures("instrumented"), pytest.mark.filterwarnings("ignore::UserWarning")]


def _terminate(message: dict[str, Any]) -> bool:
    return "TERMINATE" in str(message.get("content") or "")


def _coder(llm: MockLLMServer, tmp_path: Path) -> tuple[autogen.AssistantAgent, autogen.UserProxyAgent]:
    assistant = autogen.AssistantAgent(
        "assistant", llm_config=llm_config(llm), system_message="[agent:assistant] Code."
    )
    executor = LocalCommandLineCodeExecutor(work_dir=str(tmp_path))
    user = autogen.UserProxyAgent(
        "user_proxy",
        human_input_mode="NEVER",
        code_execution_config={"executor": executor},
        is_termination_msg=_terminate,
    )
    return assistant, user


def test_two_agent_chat_with_code_execution(llm: MockLLMServer, exporter: InMemorySpanExporter, tmp_path: Path) -> None:
    llm.script = {"assistant": [Answer("```python\nprint('hello', 6 * 7)\n```"), Answer("It printed 42. TERMINATE")]}
    assistant, user = _coder(llm, tmp_path)
    result = user.initiate_chat(assistant, message="Print 6*7.", max_turns=4)
    assert "42" in str(result.chat_history[2]["content"])
    spans = exporter.get_finished_spans()
    (workflow,) = ours(spans, "invoke_workflow")
    assert workflow.name == "invoke_workflow user_proxy -> assistant"
    assert workflow.attributes["agent_trace.termination.condition"] == "is_termination_msg"
    steps = ours(spans, "step ")
    assert [s.attributes["gen_ai.agent.name"] for s in steps][:3] == ["assistant", "user_proxy", "assistant"]
    assert [s.attributes["agent_trace.step.index"] for s in steps] == list(range(len(steps)))
    assert all(s.parent is not None and s.parent.span_id == workflow.context.span_id for s in steps)
    (code,) = ours(spans, "execute_tool code_execution")
    assert is_under(spans, code, steps[1]) and steps[1].attributes["agent_trace.step.action_type"] == "tool_call"
    assert attr_json(code, "gen_ai.tool.call.arguments") == [{"language": "python", "code": "print('hello', 6 * 7)"}]
    assert attr_json(code, "gen_ai.tool.call.result") == {"exit_code": 0, "output": "hello 42\n"}
    chats = named(spans, "chat gpt-4o")
    assert len(chats) == 2 and is_under(spans, chats[0], steps[0]) and is_under(spans, chats[1], steps[2])
    assert sum(int(c.attributes["gen_ai.usage.input_tokens"]) for c in chats) == 22  # once per call
    # provenance: the code's output (message 2, written by user_proxy) is what the assistant's second turn answered
    written = attr_json(steps[1], "agent_trace.step.output")[0]
    assert written["source"] == "user_proxy" and written["recipient"] == "assistant"
    received = attr_json(steps[2], "agent_trace.step.input")
    assert received[-1]["id"] == written["id"] and received[-1]["source"] == "user_proxy"
    answer = attr_json(steps[2], "agent_trace.step.output")[0]
    assert steps[2].attributes["agent_trace.step.reply_to"] == written["id"] and answer["id"].endswith(":3")


def test_failing_code_is_an_error_tool_span(llm: MockLLMServer, exporter: InMemorySpanExporter, tmp_path: Path) -> None:
    llm.script = {"assistant": [Answer("```python\nraise SystemExit(3)\n```"), Answer("TERMINATE")]}
    assistant, user = _coder(llm, tmp_path)
    user.initiate_chat(assistant, message="Fail.", max_turns=3)
    (code,) = ours(exporter.get_finished_spans(), "execute_tool code_execution")
    assert code.status.status_code is StatusCode.ERROR and attr_json(code, "gen_ai.tool.call.result")["exit_code"] == 3


def lookup(city: str) -> str:
    """Population of a city."""
    return f"{city}: 2.1 million"


def broken(city: str) -> str:
    """A tool that fails."""
    raise LookupError(f"no such city: {city}")


def _group(llm: MockLLMServer, method: Any, tool: Any = lookup, max_round: int = 8) -> tuple[Any, Any, Any]:
    user = autogen.UserProxyAgent("user_proxy", human_input_mode="NEVER", code_execution_config=False)
    researcher = autogen.AssistantAgent(
        "researcher", llm_config=llm_config(llm), system_message="[agent:researcher] R."
    )
    writer = autogen.AssistantAgent("writer", llm_config=llm_config(llm), system_message="[agent:writer] W.")
    autogen.register_function(tool, caller=researcher, executor=user, name="lookup", description="Population")
    chat = autogen.GroupChat(
        [user, researcher, writer], messages=[], max_round=max_round, speaker_selection_method=method
    )
    manager = autogen.GroupChatManager(chat, llm_config=llm_config(llm), is_termination_msg=_terminate)
    return user, manager, chat


def _script(llm: MockLLMServer) -> None:
    llm.script = {
        "researcher": [Call("lookup", {"city": "Paris"}), Answer("Paris has 2.1 million people.")],
        "writer": [Answer("Report: Paris has 2.1 million people. TERMINATE")],
        "selector": [Answer("researcher"), Answer("researcher"), Answer("writer")],
    }


def _check_group(spans: Any, method: str) -> None:
    (inner,) = ours(spans, "invoke_workflow")  # initiate_chat with a manager: the group chat is the workflow
    assert inner.name == "invoke_workflow chat_manager" and inner.parent is None
    assert inner.attributes["agent_trace.agent.handoffs"] == ("user_proxy", "researcher", "writer")
    assert inner.attributes["agent_trace.chat.max_round"] == 8
    assert inner.attributes["agent_trace.termination.condition"] == "is_termination_msg"
    assert inner.attributes["agent_trace.termination.reason"] == (
        "Termination message condition on the GroupChatManager 'chat_manager' met"
    )
    steps = ours(spans, "step ")
    assert [s.attributes["gen_ai.agent.name"] for s in steps] == ["researcher", "user_proxy", "researcher", "writer"]
    decisions = ours(spans, "decision speaker_selection")
    assert [d.attributes["agent_trace.decision.chosen"] for d in decisions] == [
        "researcher",
        "user_proxy",
        "researcher",
        "writer",
    ]
    assert all(d.attributes["agent_trace.decision.condition"] == method for d in decisions)
    indexes = sorted(int(s.attributes["agent_trace.step.index"]) for s in steps + decisions)
    assert indexes == list(range(8))
    (tool,) = ours(spans, "execute_tool lookup")
    assert is_under(spans, tool, steps[1]) and steps[1].attributes["agent_trace.step.action_type"] == "tool_call"
    assert attr_json(tool, "gen_ai.tool.call.arguments") == {"city": "Paris"}
    assert tool.attributes["gen_ai.tool.call.result"] == "Paris: 2.1 million"
    assert tool.attributes["gen_ai.tool.call.id"] == "call_researcher_0"
    # who wrote what: the tool result message (written by user_proxy's step) is in the researcher's next input
    result_msg = attr_json(steps[1], "agent_trace.step.output")[0]
    assert result_msg["type"] == "tool_result" and result_msg["recipient"] == "chat_manager"
    later = attr_json(steps[2], "agent_trace.step.input")
    assert {"id": result_msg["id"], "source": "user_proxy"}.items() <= later[-1].items()


def test_group_chat_auto_selection(llm: MockLLMServer, exporter: InMemorySpanExporter) -> None:
    _script(llm)
    user, manager, _ = _group(llm, "auto")
    user.initiate_chat(manager, message="How many people live in Paris?")
    spans = exporter.get_finished_spans()
    _check_group(spans, "auto")
    decisions = ours(spans, "decision speaker_selection")
    assert decisions[0].attributes["agent_trace.decision.options"] == ("user_proxy", "researcher", "writer")
    assert decisions[0].attributes["agent_trace.decision.rationale"] == "researcher"
    selector_calls = [c for c in named(spans, "chat ") if is_under(spans, c, decisions[0])]
    assert len(selector_calls) == 1  # the selector's LLM call sits under the decision
    assert not ours(spans, "step speaker_selection") and not ours(spans, "step checking")  # no internal agents
    # the tool executor is picked without the LLM (AG2 routes a tool call to the agent that executes it)
    assert "agent_trace.decision.rationale" not in decisions[1].attributes
    assert len(named(spans, "chat ")) == 3 + 3  # 3 selector calls, 3 LLM turns: one span per call


def test_group_chat_callable_selection_async(llm: MockLLMServer, exporter: InMemorySpanExporter) -> None:
    _script(llm)
    order = iter(["researcher", "user_proxy", "researcher", "writer"])

    def pick(last: Any, chat: Any) -> Any:
        return chat.agent_by_name(next(order))

    user, manager, _ = _group(llm, pick)
    asyncio.run(user.a_initiate_chat(manager, message="How many people live in Paris?"))
    _check_group(exporter.get_finished_spans(), "callable")


def test_round_robin_until_max_round(llm: MockLLMServer, exporter: InMemorySpanExporter) -> None:
    llm.script = {"researcher": [Answer("Still looking.")], "writer": [Answer("Waiting.")]}
    user, manager, _ = _group(llm, "round_robin", max_round=3)
    user.initiate_chat(manager, message="Go.")
    spans = exporter.get_finished_spans()
    inner = ours(spans, "invoke_workflow chat_manager")[0]
    assert inner.attributes["agent_trace.termination.condition"] == "max_round"
    assert inner.attributes["agent_trace.termination.reason"] == "Maximum rounds (3) reached"
    assert [d.attributes["agent_trace.decision.chosen"] for d in ours(spans, "decision")] == ["researcher", "writer"]


def test_failing_tool_is_an_error_and_the_chat_goes_on(llm: MockLLMServer, exporter: InMemorySpanExporter) -> None:
    _script(llm)
    user, manager, _ = _group(llm, "auto", tool=broken)
    user.initiate_chat(manager, message="How many people live in Paris?")
    (tool,) = ours(exporter.get_finished_spans(), "execute_tool lookup")
    assert tool.status.status_code is StatusCode.ERROR and tool.attributes["agent_trace.tool.status"] == "error"
    assert "no such city" in str(tool.attributes["gen_ai.tool.call.result"])


def test_llm_error_is_recorded_on_the_step_and_propagates(llm: MockLLMServer, exporter: InMemorySpanExporter) -> None:
    from tests.autogen_env._mock_llm import Fail

    llm.script = {"assistant": [Fail(400, "bad request")]}
    assistant = autogen.AssistantAgent("assistant", llm_config=llm_config(llm), system_message="[agent:assistant] A.")
    user = autogen.UserProxyAgent("user_proxy", human_input_mode="NEVER", code_execution_config=False)
    with pytest.raises(Exception, match="bad request"):
        user.initiate_chat(assistant, message="Hi.", max_turns=1)
    spans = exporter.get_finished_spans()
    (step,) = ours(spans, "step assistant")
    (workflow,) = ours(spans, "invoke_workflow")
    assert step.status.status_code is StatusCode.ERROR and workflow.status.status_code is StatusCode.ERROR


def test_ag2_own_otel_spans_are_adopted_not_duplicated(
    llm: MockLLMServer, exporter: InMemorySpanExporter, provider: TracerProvider, tmp_path: Path
) -> None:
    from autogen.opentelemetry import instrument_agent

    llm.script = {"assistant": [Answer("```python\nprint(1 + 1)\n```"), Answer("TERMINATE")]}
    assistant, user = _coder(llm, tmp_path)
    instrument_agent(assistant, tracer_provider=provider)
    instrument_agent(user, tracer_provider=provider)
    user.initiate_chat(assistant, message="Add.", max_turns=3)
    spans = exporter.get_finished_spans()
    ag2 = [s for s in spans if s.instrumentation_scope.name == "opentelemetry.instrumentation.ag2"]
    assert ag2, "AG2's own instrumentation made no span"
    names = [s.name for s in spans]
    assert not [n for n in names if n.startswith(("invoke_agent", "conversation", "execute_code"))], names
    steps = [s for s in spans if s.name.startswith("step ")]
    assert [s.attributes["gen_ai.agent.name"] for s in sorted(steps, key=lambda s: s.start_time or 0)][:2] == [
        "assistant",
        "user_proxy",
    ]
    assert all(s.attributes.get("agent_trace.step.index") is not None for s in steps)
    assert names.count("invoke_workflow user_proxy -> assistant") == 1
    assert names.count("execute_tool code_execution") == 1


def test_uninstrument_restores_the_methods() -> None:
    wrapped = autogen.ConversableAgent.generate_reply
    instrumentor = AG2ClassicInstrumentor()
    assert instrumentor.is_instrumented_by_opentelemetry
    instrumentor.uninstrument()
    try:
        assert not hasattr(autogen.ConversableAgent.generate_reply, "__wrapped__")
        assert not hasattr(autogen.GroupChat.select_speaker, "__wrapped__")
        from autogen.events.agent_events import TerminationEvent

        assert "__init__" not in vars(TerminationEvent)  # the inherited __init__ we wrapped on it is gone again
    finally:
        instrumentor.instrument()
    assert hasattr(autogen.ConversableAgent.generate_reply, "__wrapped__") and wrapped is not None

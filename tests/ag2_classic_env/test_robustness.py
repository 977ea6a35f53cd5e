"""Hostile values, our own faults and user exceptions: the chat's behaviour is never changed by us."""

from __future__ import annotations

import logging
from typing import Any

import autogen
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_agent_trace.instrumentation.ag2_classic import _extract as X
from tests.ag2_classic_env._agents import llm_config, ours
from tests.autogen_env._mock_llm import Answer, MockLLMServer

pytestmark = [pytest.mark.usefixtures("instrumented"), pytest.mark.filterwarnings("ignore::UserWarning")]


class Hostile:
    """An object every attribute read of which raises."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"hostile {name}")


def _pair(llm: MockLLMServer) -> tuple[autogen.AssistantAgent, autogen.UserProxyAgent]:
    assistant = autogen.AssistantAgent("assistant", llm_config=llm_config(llm), system_message="[agent:assistant] A.")
    user = autogen.UserProxyAgent("user_proxy", human_input_mode="NEVER", code_execution_config=False)
    return assistant, user


def _outcome(call: Any) -> Any:
    try:
        return ("returned", repr(call()))
    except Exception as exc:  # the library's own exception is the outcome compared
        return ("raised", type(exc).__name__, str(exc))


def test_hostile_function_calls_give_the_uninstrumented_outcome(exporter: InMemorySpanExporter) -> None:
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    agent = autogen.ConversableAgent("a", llm_config=False, human_input_mode="NEVER")
    values: list[Any] = ["not a dict", {"name": 3, "arguments": "{}"}, {"name": "missing", "arguments": "{"}, None]
    for value in values:
        traced = _outcome(lambda v=value: agent.execute_function(v))
        with suppress_instrumentation():
            plain = _outcome(lambda v=value: agent.execute_function(v))
        assert traced == plain, value
    assert ours(exporter.get_finished_spans(), "execute_tool")  # the dict ones were traced


def test_our_fault_is_swallowed_and_the_chat_is_unchanged(
    llm: MockLLMServer, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("our bug")

    monkeypatch.setattr(X, "history", broken)
    monkeypatch.setattr(X, "message", broken)
    llm.script = {"assistant": [Answer("Hello. TERMINATE")]}
    assistant, user = _pair(llm)
    with caplog.at_level(logging.DEBUG, logger="otel_agent_trace"):
        result = user.initiate_chat(assistant, message="Hi.", max_turns=1)
    assert result.chat_history[-1]["content"] == "Hello. TERMINATE"
    assert ours(exporter.get_finished_spans(), "invoke_workflow")  # the chat span is still made and ended
    assert not ours(exporter.get_finished_spans(), "step ")  # the step could not start: the call went straight


def test_user_exception_in_a_reply_function_propagates_unchanged(
    llm: MockLLMServer, exporter: InMemorySpanExporter
) -> None:
    class Boom(Exception):
        pass

    def reply(recipient: Any, messages: Any, sender: Any, config: Any) -> Any:
        raise Boom("the user's own")

    assistant, user = _pair(llm)
    assistant.register_reply([autogen.Agent, None], reply, position=0)
    with pytest.raises(Boom, match="the user's own"):
        user.initiate_chat(assistant, message="Hi.", max_turns=1)
    (step,) = ours(exporter.get_finished_spans(), "step assistant")
    assert step.status.status_code.name == "ERROR" and step.events[0].attributes["exception.type"].endswith("Boom")


def test_hostile_agent_names_and_a_huge_tool_result(llm: MockLLMServer, exporter: InMemorySpanExporter) -> None:
    agent = autogen.ConversableAgent("a", llm_config=False, human_input_mode="NEVER")

    def huge() -> str:
        return "x" * 2_000_000

    agent.register_for_execution(name="huge")(huge)
    ok, payload = agent.execute_function({"name": "huge", "arguments": "{}"})
    assert ok is True and len(payload["content"]) == 2_000_000
    (tool,) = ours(exporter.get_finished_spans(), "execute_tool huge")
    assert len(str(tool.attributes["gen_ai.tool.call.result"])) < 200_000
    hostile = [{"role": "user", "content": Hostile(), "name": Hostile()}, Hostile()]
    traced = _outcome(lambda: agent.generate_reply(messages=hostile, sender=None))
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    with suppress_instrumentation():
        plain = _outcome(lambda: agent.generate_reply(messages=hostile, sender=None))
    assert traced == plain

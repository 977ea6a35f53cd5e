"""AG2's own OpenTelemetry beside ours (one LLM span per call, adopted turns read as steps) and selection methods."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import autogen
import pytest
from autogen.oai.client import OpenAIWrapper
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_agent_trace.rca.view import span_kind
from tests.ag2_classic_env._agents import is_under, llm_config, named, ours, to_trace
from tests.autogen_env._mock_llm import Answer, Call, MockLLMServer

pytestmark = [pytest.mark.usefixtures("instrumented"), pytest.mark.filterwarnings("ignore::UserWarning")]

AG2 = "opentelemetry.instrumentation.ag2"


@pytest.fixture
def ag2_llm_wrapper(provider: TracerProvider) -> Iterator[None]:
    """AG2's ``instrument_llm_wrapper`` on (it patches ``OpenAIWrapper.create`` for good: restored afterwards)."""
    from autogen.oai import client as oai_client
    from autogen.opentelemetry import instrument_llm_wrapper

    original = OpenAIWrapper.create
    instrument_llm_wrapper(tracer_provider=provider)
    try:
        yield
    finally:
        OpenAIWrapper.create = original  # type: ignore[method-assign]
        oai_client.OpenAIWrapper.create = original  # type: ignore[method-assign]


def _pair(llm: MockLLMServer) -> tuple[autogen.AssistantAgent, autogen.UserProxyAgent]:
    assistant = autogen.AssistantAgent("assistant", llm_config=llm_config(llm), system_message="[agent:assistant] A.")
    user = autogen.UserProxyAgent("user_proxy", human_input_mode="NEVER", code_execution_config=False)
    return assistant, user


@pytest.mark.usefixtures("ag2_llm_wrapper")
def test_ag2_llm_wrapper_and_ours_make_one_chat_span_per_call(
    llm: MockLLMServer, exporter: InMemorySpanExporter
) -> None:
    llm.script = {"assistant": [Answer("Hello."), Answer("Bye.")]}
    assistant, user = _pair(llm)
    user.initiate_chat(assistant, message="Hi.", max_turns=2)
    spans = exporter.get_finished_spans()
    calls = len(llm.requests)
    assert calls == 2
    llm_spans = [s for s in spans if (s.attributes or {}).get("gen_ai.operation.name") == "chat"]
    assert len(llm_spans) == calls, [(s.name, s.instrumentation_scope.name) for s in llm_spans]
    # the one span is AG2's (its wrapper is outside the SDK call), with our openai attributes recorded on it
    assert {s.instrumentation_scope.name for s in llm_spans} == {AG2}
    assert all(s.attributes["gen_ai.response.id"].startswith("chatcmpl-assistant-") for s in llm_spans)
    assert sum(int(s.attributes["gen_ai.usage.input_tokens"]) for s in llm_spans) == 11 * calls
    assert sum(int(s.attributes["gen_ai.usage.output_tokens"]) for s in llm_spans) == 7 * calls
    steps = ours(spans, "step assistant")
    assert len(steps) == 2 and all(any(is_under(spans, c, s) for s in steps) for c in llm_spans)
    model = to_trace(spans)
    assert [span_kind(s) for s in model.spans].count("llm") == calls  # the RCA counts each call once


def test_adopted_agent_spans_read_as_steps(
    llm: MockLLMServer, exporter: InMemorySpanExporter, provider: TracerProvider
) -> None:
    from autogen.opentelemetry import instrument_agent

    llm.script = {"assistant": [Answer("Hello."), Answer("Bye.")]}
    assistant, user = _pair(llm)
    instrument_agent(assistant, tracer_provider=provider)
    instrument_agent(user, tracer_provider=provider)
    user.initiate_chat(assistant, message="Hi.", max_turns=2)
    spans = exporter.get_finished_spans()
    adopted = [s for s in named(spans, "step ") if s.instrumentation_scope.name == AG2]
    assert [s.name for s in adopted] == ["step assistant", "step user_proxy", "step assistant"]  # AG2's invoke_agent
    assert all(s.attributes["gen_ai.operation.name"] == "step" for s in adopted)
    assert all(s.attributes["ag2.span.type"] == "agent" for s in adopted)  # AG2's own kind stays
    model = to_trace(spans)
    kinds = [(s.name, span_kind(s)) for s in model.spans]
    assert [name for name, kind in kinds if kind == "step"] == [s.name for s in adopted] or sorted(
        name for name, kind in kinds if kind == "step"
    ) == sorted(s.name for s in adopted)
    assert [name for name, kind in kinds if kind == "agent"] == ["invoke_workflow user_proxy -> assistant"]


def _trio(llm: MockLLMServer, method: Any, max_round: int = 4) -> tuple[Any, Any]:
    user = autogen.UserProxyAgent("user_proxy", human_input_mode="NEVER", code_execution_config=False)
    agents = [
        autogen.AssistantAgent(n, llm_config=llm_config(llm), system_message=f"[agent:{n}] {n}.") for n in ("a", "b")
    ]
    chat = autogen.GroupChat([user, *agents], messages=[], max_round=max_round, speaker_selection_method=method)
    return user, autogen.GroupChatManager(chat, llm_config=llm_config(llm))


def _selections(spans: Any, method: str) -> list[str]:
    decisions = ours(spans, "decision speaker_selection")
    steps = ours(spans, "step ")
    assert all(d.attributes["agent_trace.decision.condition"] == method for d in decisions)
    assert all(d.attributes["agent_trace.decision.options"] == ("user_proxy", "a", "b") for d in decisions)
    chosen = [str(d.attributes["agent_trace.decision.chosen"]) for d in decisions]
    assert chosen == [s.attributes["gen_ai.agent.name"] for s in steps]  # each chosen speaker takes the next turn
    assert all(is_under(spans, d, ours(spans, "invoke_workflow chat_manager")[0]) for d in decisions)
    assert not [c for c in named(spans, "chat ") for d in decisions if is_under(spans, c, d)]  # no selector LLM
    return chosen


def test_random_selection_is_a_decision_per_round(
    llm: MockLLMServer, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    llm.script = {"a": [Answer("from a")], "b": [Answer("from b")]}
    seeded, picked = random.Random(7), []

    def choice(seq: Any) -> Any:  # AG2 picks with ``random.choice``; the SDK's span ids use the global random too
        pick = seeded.choice(seq)
        picked.append(pick.name)
        return pick

    monkeypatch.setattr(random, "choice", choice)
    user, manager = _trio(llm, "random")
    user.initiate_chat(manager, message="Go.")
    assert len(picked) == 3  # max_round 4: the first message, then three selections
    assert _selections(exporter.get_finished_spans(), "random") == picked


def test_manual_selection_is_a_decision_per_round(
    llm: MockLLMServer, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    llm.script = {"a": [Answer("from a")], "b": [Answer("from b")]}
    typed = iter(["2", "3", "1"])  # AG2's console asks for the speaker's number: a, b, user_proxy
    monkeypatch.setattr("builtins.input", lambda prompt="": next(typed))
    user, manager = _trio(llm, "manual")
    user.initiate_chat(manager, message="Go.")
    assert _selections(exporter.get_finished_spans(), "manual") == ["a", "b", "user_proxy"]


def test_pattern_handoffs_are_the_selections_they_drove(llm: MockLLMServer, exporter: InMemorySpanExporter) -> None:
    from autogen.agentchat import initiate_group_chat
    from autogen.agentchat.group import AgentTarget, OnCondition, StringLLMCondition, TerminateTarget
    from autogen.agentchat.group.patterns import DefaultPattern

    llm.script = {"triage": [Call("transfer_to_billing_1", {})], "billing": [Answer("Refund done.")]}
    triage = autogen.ConversableAgent("triage", llm_config=llm_config(llm), system_message="[agent:triage] T.")
    billing = autogen.ConversableAgent("billing", llm_config=llm_config(llm), system_message="[agent:billing] B.")
    triage.handoffs.add_llm_condition(OnCondition(target=AgentTarget(billing), condition=StringLLMCondition("bills")))
    billing.handoffs.set_after_work(TerminateTarget())
    initiate_group_chat(
        DefaultPattern(initial_agent=triage, agents=[triage, billing]), messages="Refund?", max_rounds=8
    )
    spans = exporter.get_finished_spans()
    (workflow,) = ours(spans, "invoke_workflow")
    assert workflow.parent is None and workflow.attributes["agent_trace.termination.condition"] == "no_next_speaker"
    steps = ours(spans, "step ")
    assert [s.name for s in steps] == ["step triage", "step _Group_Tool_Executor", "step billing"]
    decisions = ours(spans, "decision speaker_selection")
    assert [d.attributes.get("agent_trace.decision.chosen") for d in decisions] == [
        "triage",
        "_Group_Tool_Executor",
        "billing",
        None,
    ]
    handoffs = [
        (d.attributes.get("agent_trace.handoff.from_agent"), d.attributes.get("agent_trace.handoff.to_agent"))
        for d in decisions
    ]
    assert handoffs == [(None, None), (None, None), ("triage", "billing"), ("billing", "Terminate")]
    assert decisions[2].attributes["agent_trace.decision.condition"] == "handoff.llm_condition"
    assert decisions[3].attributes["agent_trace.decision.condition"] == "handoff.after_work"
    assert decisions[3].attributes["agent_trace.decision.outcome"] == "undecided"
    assert decisions[0].attributes["agent_trace.decision.condition"] == "callable"  # the pattern's own selector
    (transfer,) = ours(spans, "execute_tool transfer_to_billing_1")
    assert is_under(spans, transfer, steps[1])
    calls = named(spans, "chat ")
    assert len(calls) == 2 and is_under(spans, calls[0], steps[0]) and is_under(spans, calls[1], steps[2])
    assert all(is_under(spans, s, workflow) for s in steps + decisions)


def test_context_condition_and_after_work_handoffs(llm: MockLLMServer, exporter: InMemorySpanExporter) -> None:
    from autogen.agentchat import initiate_group_chat
    from autogen.agentchat.group import (
        AgentTarget,
        ContextVariables,
        OnContextCondition,
        StringContextCondition,
        TerminateTarget,
    )
    from autogen.agentchat.group.patterns import DefaultPattern

    llm.script = {"first": [Answer("unused")], "second": [Answer("Done here.")], "third": [Answer("Closing.")]}
    agents = [
        autogen.ConversableAgent(n, llm_config=llm_config(llm), system_message=f"[agent:{n}] {n}.")
        for n in ("first", "second", "third")
    ]
    first, second, third = agents
    first.handoffs.add_context_condition(
        OnContextCondition(target=AgentTarget(second), condition=StringContextCondition(variable_name="escalate"))
    )
    second.handoffs.set_after_work(AgentTarget(third))
    third.handoffs.set_after_work(TerminateTarget())
    pattern = DefaultPattern(
        initial_agent=first, agents=agents, context_variables=ContextVariables(data={"escalate": True})
    )
    initiate_group_chat(pattern, messages="Help.", max_rounds=8)
    spans = exporter.get_finished_spans()
    assert [s.name for s in ours(spans, "step ")] == ["step first", "step second", "step third"]
    assert llm.served == {"second": 1, "third": 1}  # first handed off before calling its LLM
    decisions = ours(spans, "decision speaker_selection")
    got = [
        (
            d.attributes.get("agent_trace.decision.condition"),
            d.attributes.get("agent_trace.handoff.from_agent"),
            d.attributes.get("agent_trace.handoff.to_agent"),
            d.attributes.get("agent_trace.decision.chosen"),
        )
        for d in decisions
    ]
    assert got == [
        ("callable", None, None, "first"),
        ("handoff.context_condition", "first", "second", "second"),
        ("handoff.after_work", "second", "third", "third"),
        ("handoff.after_work", "third", "Terminate", None),
    ]

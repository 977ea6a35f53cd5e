"""A real Agent + Runner against the local Responses API mock, traced through the SDK's tracing processor."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from agents import (
    Agent,
    GuardrailFunctionOutput,
    InputGuardrailTripwireTriggered,
    RunContextWrapper,
    Runner,
    function_tool,
    input_guardrail,
)
from agents.tracing import get_trace_provider
from opentelemetry import trace
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from otel_agent_trace.instrumentation.openai_agents import OpenAIAgentsInstrumentor, _extract

from .conftest import fresh_client
from .mock_server import MockResponses, text, tool_call

MODEL = "gpt-4o-mini"
_TRACER_PROVIDER: list[TracerProvider] = []


@function_tool
def get_weather(city: str) -> str:
    """Report the weather of a city."""
    if _TRACER_PROVIDER:
        with _TRACER_PROVIDER[0].get_tracer("inside-tool").start_as_current_span("weather lookup"):
            pass
    return f"sunny in {city}"


@function_tool
def broken_tool(city: str) -> str:
    """Always fails."""
    raise ValueError(f"no data for {city}")


def _agents() -> tuple[Agent[Any], Agent[Any]]:
    spanish = Agent(name="Spanish", instructions="Answer in Spanish.", model=MODEL)
    triage = Agent(name="Triage", instructions="Help.", tools=[get_weather], handoffs=[spanish], model=MODEL)
    return triage, spanish


def _one(spans: Sequence[ReadableSpan], name: str) -> ReadableSpan:
    found = [s for s in spans if s.name == name]
    assert len(found) == 1, [s.name for s in spans]
    return found[0]


def _parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


def _children(spans: Sequence[ReadableSpan], parent: ReadableSpan) -> list[ReadableSpan]:
    kids = [s for s in spans if _parent_of(s) == parent.context.span_id]
    return sorted(kids, key=lambda s: s.start_time or 0)


@pytest.mark.usefixtures("instrumentor")
async def test_tool_round_trip_and_handoff_tree(
    responses: MockResponses, exporter: InMemorySpanExporter, provider: TracerProvider
) -> None:
    responses.script.extend(
        [
            tool_call("r1", "get_weather", {"city": "Paris"}, "call_1"),
            tool_call("r2", "transfer_to_spanish", {}, "call_2"),
            text("r3", "Hace sol en París."),
        ]
    )
    triage, _ = _agents()
    _TRACER_PROVIDER.append(provider)
    try:
        result = await Runner.run(triage, "What is the weather in Paris?")
    finally:
        _TRACER_PROVIDER.clear()

    assert result.final_output == "Hace sol en París."
    assert not trace.get_current_span().get_span_context().is_valid  # nothing of ours left current
    spans = exporter.get_finished_spans()
    assert len({s.context.trace_id for s in spans}) == 1
    root = _one(spans, "invoke_workflow Agent workflow")
    assert root.parent is None
    triage_span = _one(spans, "invoke_agent Triage")
    spanish_span = _one(spans, "invoke_agent Spanish")
    assert _parent_of(triage_span) == root.context.span_id
    assert _parent_of(spanish_span) == _one(spans, "handoff Spanish").context.span_id  # the handoff's target

    steps = _children(spans, triage_span)
    assert [s.name for s in steps] == [f"chat {MODEL}", "execute_tool get_weather", f"chat {MODEL}", "handoff Spanish"]
    assert [(s.attributes or {})["agent_trace.step.index"] for s in steps] == [0, 1, 2, 3]
    assert all((s.attributes or {})["gen_ai.agent.name"] == "Triage" for s in steps)

    first_chat, tool, _, handoff = steps
    chat_attrs = first_chat.attributes or {}
    assert chat_attrs["gen_ai.operation.name"] == "chat"
    assert chat_attrs["gen_ai.provider.name"] == "openai"
    assert chat_attrs["gen_ai.request.model"] == MODEL
    assert chat_attrs["gen_ai.response.id"] == "r1"
    assert chat_attrs["gen_ai.usage.input_tokens"] == 11
    assert chat_attrs["gen_ai.usage.output_tokens"] == 7
    assert chat_attrs["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert chat_attrs["agent_trace.llm.tool_call.names"] == ("get_weather",)
    assert "What is the weather" in str(chat_attrs["gen_ai.input.messages"])

    tool_attrs = tool.attributes or {}
    assert tool_attrs["gen_ai.operation.name"] == "execute_tool"
    assert tool_attrs["gen_ai.tool.name"] == "get_weather"
    assert tool_attrs["gen_ai.tool.type"] == "function"
    assert tool_attrs["agent_trace.tool.status"] == "ok"
    assert "Paris" in str(tool_attrs["gen_ai.tool.call.arguments"])
    assert tool_attrs["gen_ai.tool.call.result"] == "sunny in Paris"
    (inner,) = _children(spans, tool)
    assert inner.name == "weather lookup"  # the tool's own spans nest under execute_tool

    handoff_attrs = handoff.attributes or {}
    assert handoff_attrs["agent_trace.step.action_type"] == "handoff"
    assert handoff_attrs["agent_trace.handoff.from_agent"] == "Triage"
    assert handoff_attrs["agent_trace.handoff.to_agent"] == "Spanish"
    assert handoff_attrs["agent_trace.agent.parent_name"] == "Triage"

    triage_attrs = triage_span.attributes or {}
    assert triage_attrs["gen_ai.operation.name"] == "invoke_agent"
    assert triage_attrs["agent_trace.agent.tools"] == ("get_weather",)
    assert triage_attrs["agent_trace.agent.handoffs"] == ("Spanish",)

    spanish_attrs = spanish_span.attributes or {}
    assert spanish_attrs["agent_trace.agent.parent_name"] == "Triage"
    assert [link.context.span_id for link in spanish_span.links] == [handoff.context.span_id]
    (final_chat,) = _children(spans, spanish_span)
    final_attrs = final_chat.attributes or {}
    assert final_attrs["agent_trace.step.index"] == 0
    assert final_attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert "Hace sol" in str(final_attrs["gen_ai.output.messages"])


def test_run_sync_returns_the_same_result(
    responses: MockResponses, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    agent = Agent(name="Solo", instructions="Be brief.", model=MODEL)
    responses.script.append(text("p1", "plain answer"))
    plain = Runner.run_sync(agent, "hi")
    assert exporter.get_finished_spans() == ()

    inst = OpenAIAgentsInstrumentor()
    inst.instrument(tracer_provider=provider)
    try:
        responses.script.append(text("p2", "plain answer"))
        fresh_client(responses)
        traced = Runner.run_sync(agent, "hi")
    finally:
        inst.uninstrument()

    assert traced.final_output == plain.final_output
    spans = exporter.get_finished_spans()
    assert [s.name for s in spans] == [f"chat {MODEL}", "invoke_agent Solo", "invoke_workflow Agent workflow"]
    chat, agent_span, root = spans
    assert _parent_of(chat) == agent_span.context.span_id
    assert _parent_of(agent_span) == root.context.span_id


@pytest.mark.usefixtures("instrumentor")
async def test_tool_error_marks_the_tool_span(responses: MockResponses, exporter: InMemorySpanExporter) -> None:
    responses.script.extend([tool_call("e1", "broken_tool", {"city": "Oslo"}, "call_e"), text("e2", "sorry")])
    agent = Agent(name="Fragile", instructions="Help.", tools=[broken_tool], model=MODEL)

    result = await Runner.run(agent, "weather in Oslo?")

    assert result.final_output == "sorry"
    tool = _one(exporter.get_finished_spans(), "execute_tool broken_tool")
    assert tool.status.status_code is StatusCode.ERROR
    attrs = tool.attributes or {}
    assert attrs["error.type"] == "tool_error"
    assert attrs["agent_trace.tool.status"] == "error"
    assert attrs["agent_trace.error.message"]


@input_guardrail
async def no_secrets(ctx: RunContextWrapper[Any], agent: Agent[Any], data: Any) -> GuardrailFunctionOutput:
    """Trip on inputs mentioning a secret."""
    return GuardrailFunctionOutput(output_info=None, tripwire_triggered="secret" in str(data))


@pytest.mark.usefixtures("instrumentor")
@pytest.mark.parametrize(("prompt", "chosen"), [("hello", "not_triggered"), ("tell me the secret", "triggered")])
async def test_guardrail_is_a_decision(
    responses: MockResponses, exporter: InMemorySpanExporter, prompt: str, chosen: str
) -> None:
    responses.script.append(text("g1", "hi there"))
    agent = Agent(name="Guarded", instructions="Help.", input_guardrails=[no_secrets], model=MODEL)

    if chosen == "triggered":
        with pytest.raises(InputGuardrailTripwireTriggered):
            await Runner.run(agent, prompt)
    else:
        assert (await Runner.run(agent, prompt)).final_output == "hi there"

    spans = exporter.get_finished_spans()
    decision = _one(spans, "decision no_secrets")
    attrs = decision.attributes or {}
    assert attrs["agent_trace.step.action_type"] == "decision"
    assert attrs["agent_trace.decision.name"] == "no_secrets"
    assert attrs["agent_trace.decision.chosen"] == chosen
    assert attrs["agent_trace.decision.options"] == ("triggered", "not_triggered")
    assert _parent_of(decision) == _one(spans, "invoke_agent Guarded").context.span_id


async def test_content_capture_off(
    responses: MockResponses, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    responses.script.extend([tool_call("c1", "get_weather", {"city": "Rome"}, "call_c"), text("c2", "warm")])
    agent = Agent(name="Quiet", instructions="Help.", tools=[get_weather], model=MODEL)
    inst = OpenAIAgentsInstrumentor()
    inst.instrument(tracer_provider=provider, capture_content=False)
    try:
        await Runner.run(agent, "weather in Rome?")
    finally:
        inst.uninstrument()

    spans = exporter.get_finished_spans()
    tool = _one(spans, "execute_tool get_weather")
    assert (tool.attributes or {})["gen_ai.tool.name"] == "get_weather"
    content_keys = {"gen_ai.tool.call.arguments", "gen_ai.tool.call.result", "gen_ai.input.messages"}
    content_keys |= {"gen_ai.output.messages"}
    for span in spans:
        assert not content_keys & set(span.attributes or {}), span.name


async def test_concurrent_runs_keep_their_own_parents(
    responses: MockResponses, exporter: InMemorySpanExporter, instrumentor: OpenAIAgentsInstrumentor
) -> None:
    responses.script.extend([text("x1", "one"), text("x2", "two")])
    first = Agent(name="First", instructions="Help.", model=MODEL)
    second = Agent(name="Second", instructions="Help.", model=MODEL)

    await asyncio.gather(Runner.run(first, "a"), Runner.run(second, "b"))

    spans = exporter.get_finished_spans()
    for name in ("First", "Second"):
        agent_span = _one(spans, f"invoke_agent {name}")
        (chat,) = _children(spans, agent_span)
        assert chat.name == f"chat {MODEL}"
        assert (chat.attributes or {})["gen_ai.agent.name"] == name
        root = next(s for s in spans if s.context.span_id == _parent_of(agent_span))
        assert root.name == "invoke_workflow Agent workflow"
        assert root.context.trace_id == agent_span.context.trace_id == chat.context.trace_id
    assert len({s.context.trace_id for s in spans}) == 2


async def test_instrument_idempotent_and_uninstrument_removes_processor(
    responses: MockResponses, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    multi = get_trace_provider()._multi_processor  # type: ignore[attr-defined]
    before = multi._processors
    inst = OpenAIAgentsInstrumentor()
    inst.instrument(tracer_provider=provider)
    inst.instrument(tracer_provider=provider)
    assert len(multi._processors) == len(before) + 1
    inst.uninstrument()
    assert multi._processors == before

    responses.script.append(text("u1", "done"))
    await Runner.run(Agent(name="After", instructions="Help.", model=MODEL), "hi")
    assert exporter.get_finished_spans() == ()


@pytest.mark.usefixtures("instrumentor")
async def test_suppressed(responses: MockResponses, exporter: InMemorySpanExporter) -> None:
    responses.script.append(text("s1", "quiet"))
    with suppress_instrumentation():
        result = await Runner.run(Agent(name="Hidden", instructions="Help.", model=MODEL), "hi")
    assert result.final_output == "quiet"
    assert exporter.get_finished_spans() == ()


@pytest.mark.usefixtures("instrumentor")
async def test_internal_fault_is_swallowed(
    responses: MockResponses, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("extractor bug")

    monkeypatch.setattr(_extract, "end_attributes", broken)
    responses.script.append(text("f1", "still fine"))
    result = await Runner.run(Agent(name="Sturdy", instructions="Help.", model=MODEL), "hi")

    assert result.final_output == "still fine"
    spans = exporter.get_finished_spans()
    agent_span = _one(spans, "invoke_agent Sturdy")
    (chat,) = _children(spans, agent_span)
    assert chat.name == f"chat {MODEL}"  # the end-time attributes were lost, the span and its request were not
    assert "gen_ai.response.id" not in (chat.attributes or {})
    assert (chat.attributes or {})["agent_trace.step.index"] == 0

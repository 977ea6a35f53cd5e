"""The Agents SDK's own example shapes, run as a user runs them: our httpx2 and openai instrumentors on too, and
the SDK's own trace exporter left in place, pointed at a closed port (or at the local mock) instead of
api.openai.com. One test per defect of issue 11 item 4, each asserting the exact span tree.

Here: agent_patterns/input_guardrails.py (run and streamed) and agent_patterns/routing.py (streamed handoffs).
"""

from __future__ import annotations

from typing import Any

import pytest
from agents import (
    Agent,
    GuardrailFunctionOutput,
    InputGuardrailTripwireTriggered,
    RawResponsesStreamEvent,
    RunContextWrapper,
    Runner,
    TResponseInputItem,
    input_guardrail,
    trace,
)
from agents.tracing.processors import BatchTraceProcessor
from openai.types.responses import ResponseTextDeltaEvent
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import BaseModel

from ._example_tree import MODEL, attrs, finished, only_root, shape
from .mock_server import RESPONSE_MODEL, MockResponses, text, tool_call


# examples/agent_patterns/input_guardrails.py
class MathHomeworkOutput(BaseModel):
    reasoning: str
    is_math_homework: bool


guardrail_agent = Agent(
    name="Guardrail check",
    instructions="Check if the user is asking you to do their math homework.",
    output_type=MathHomeworkOutput,
    model=MODEL,
)


@input_guardrail
async def math_guardrail(
    context: RunContextWrapper[None], agent: Agent[Any], input: str | list[TResponseInputItem]
) -> GuardrailFunctionOutput:
    """This is an input guardrail function, which happens to call an agent to check for math homework."""
    result = await Runner.run(guardrail_agent, input, context=context.context)
    final_output = result.final_output_as(MathHomeworkOutput)
    return GuardrailFunctionOutput(output_info=final_output, tripwire_triggered=final_output.is_math_homework)


TRIPWIRE = "agents.exceptions.InputGuardrailTripwireTriggered"


async def run_to_the_end(agent: Agent[Any], input_data: list[TResponseInputItem], *, streamed: bool) -> None:
    """``Runner.run``, or ``Runner.run_streamed`` with every event consumed (where a streamed run raises)."""
    if not streamed:
        await Runner.run(agent, input_data)
        return
    result = Runner.run_streamed(agent, input_data)
    async for _ in result.stream_events():
        pass


@pytest.mark.parametrize("streamed", [False, True], ids=["run", "run_streamed"])
async def test_tripped_input_guardrail_is_an_error(
    responses: MockResponses, traced: BatchTraceProcessor, exporter: InMemorySpanExporter, streamed: bool
) -> None:
    """(c) The guardrail, the agent and the workflow spans are ERROR; the tripwire's info is on the guardrail."""
    agent = Agent(
        name="Customer support agent",
        instructions="You are a customer support agent. You help customers with their questions.",
        input_guardrails=[math_guardrail],
        model=MODEL,
    )
    verdict = '{"reasoning": "It asks to solve for x.", "is_math_homework": true}'
    responses.route("math homework", text("g1", verdict))
    responses.route("customer support", text("m1", "x = 3"))
    input_data: list[TResponseInputItem] = [{"role": "user", "content": "Can you help me solve for x: 2x + 5 = 11"}]

    with pytest.raises(InputGuardrailTripwireTriggered):
        await run_to_the_end(agent, input_data, streamed=streamed)

    tree = finished(exporter, traced)
    root = only_root(tree)
    assert shape(tree, root) == (
        "invoke_workflow Agent workflow",
        "ERROR",
        (
            (
                "invoke_agent Customer support agent",
                "ERROR",
                (
                    (f"chat {MODEL}", "UNSET", ()),  # the model call made in parallel with the guardrail
                    (
                        "decision math_guardrail",
                        "ERROR",
                        (("invoke_agent Guardrail check", "UNSET", ((f"chat {MODEL}", "UNSET", ()),)),),
                    ),
                ),
            ),
        ),
    )
    decision = tree.one("decision math_guardrail")
    assert attrs(decision)["error.type"] == TRIPWIRE
    assert attrs(decision)["agent_trace.decision.chosen"] == "triggered"
    assert attrs(decision)["agent_trace.decision.rationale"] == (
        '{"reasoning":"It asks to solve for x.","is_math_homework":true}'
    )
    for span in (tree.one("invoke_agent Customer support agent"), root):
        assert attrs(span)["error.type"] == TRIPWIRE
        (event,) = [e for e in span.events if e.name == "exception"]
        assert (event.attributes or {})["exception.type"] == TRIPWIRE


async def test_guardrail_not_tripped_stays_ok(
    responses: MockResponses, traced: BatchTraceProcessor, exporter: InMemorySpanExporter
) -> None:
    """(c) The same program, a question that is not homework: nothing is an error."""
    agent = Agent(
        name="Customer support agent",
        instructions="You are a customer support agent.",
        input_guardrails=[math_guardrail],
        model=MODEL,
    )
    responses.route("math homework", text("g1", '{"reasoning": "geography", "is_math_homework": false}'))
    responses.route("customer support", text("m1", "Sacramento."))

    result = await Runner.run(agent, "What's the capital of California?")

    assert result.final_output == "Sacramento."
    tree = finished(exporter, traced)
    only_root(tree)
    assert {s.status.status_code.name for s in tree.spans} == {"UNSET"}
    assert not [s for s in tree.spans if s.events]
    decision = tree.one("decision math_guardrail")
    assert attrs(decision)["agent_trace.decision.chosen"] == "not_triggered"


# examples/agent_patterns/routing.py (streamed)
async def test_streamed_handoff_target_is_a_child_of_the_handoff(
    responses: MockResponses, traced: BatchTraceProcessor, exporter: InMemorySpanExporter
) -> None:
    """(f) The agent handed off to starts under the handoff span (and links to it)."""
    french_agent = Agent(name="french_agent", instructions="You only speak French", model=MODEL)
    spanish_agent = Agent(name="spanish_agent", instructions="You only speak Spanish", model=MODEL)
    triage_agent = Agent(
        name="triage_agent",
        instructions="Handoff to the appropriate agent based on the language of the request.",
        handoffs=[french_agent, spanish_agent],
        model=MODEL,
    )
    responses.route("Handoff to the", tool_call("t1", "transfer_to_french_agent", {}, "call_fr"))
    responses.route("only speak French", text("f1", "Bonjour ! Comment puis-je aider ?"))
    inputs: list[TResponseInputItem] = [{"content": "Bonjour", "role": "user"}]

    deltas: list[str] = []
    with trace("Routing example", group_id="conversation-1"):
        result = Runner.run_streamed(triage_agent, input=inputs)
        async for event in result.stream_events():
            if isinstance(event, RawResponsesStreamEvent) and isinstance(event.data, ResponseTextDeltaEvent):
                deltas.append(event.data.delta)

    assert "".join(deltas) == "Bonjour ! Comment puis-je aider ?"
    assert result.current_agent is french_agent
    assert all(request.get("stream") is True for request in responses.requests)
    tree = finished(exporter, traced)
    root = only_root(tree)
    chat = (f"chat {MODEL}", "UNSET", ())
    assert shape(tree, root) == (
        "invoke_workflow Routing example",
        "UNSET",
        (
            (
                "invoke_agent triage_agent",
                "UNSET",
                (chat, ("handoff french_agent", "UNSET", (("invoke_agent french_agent", "UNSET", (chat,)),))),
            ),
        ),
    )
    assert attrs(root)["gen_ai.conversation.id"] == "conversation-1"
    handoff = tree.one("handoff french_agent")
    french = tree.one("invoke_agent french_agent")
    assert [link.context.span_id for link in french.links] == [handoff.context.span_id]
    assert attrs(french)["agent_trace.agent.parent_name"] == "triage_agent"
    assert attrs(handoff)["agent_trace.handoff.to_agent"] == "french_agent"
    for chat_span in tree.named(f"chat {MODEL}"):
        assert attrs(chat_span)["gen_ai.request.stream"] is True
        assert attrs(chat_span)["gen_ai.response.model"] == RESPONSE_MODEL

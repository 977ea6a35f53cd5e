"""Errors, sensitive-data settings and lazy patching of the Agents SDK instrumentor (local Responses API mock)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import agents
import openai
import pytest
from agents import (
    Agent,
    GuardrailFunctionOutput,
    OutputGuardrailTripwireTriggered,
    RunConfig,
    RunContextWrapper,
    Runner,
    function_tool,
    output_guardrail,
)
from openai import AsyncOpenAI
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from tests.instrumentation._spans import Tree

from .mock_server import MockResponses, text, tool_call

MODEL = "gpt-4o-mini"


@function_tool
def lookup_weather(city: str) -> str:
    """Report the weather of a city."""
    return f"sunny in {city}"


_LAZY_PROGRAM = """
import sys
from opentelemetry.sdk.trace import TracerProvider
from otel_agent_trace.instrumentation.openai_agents import OpenAIAgentsInstrumentor

inst = OpenAIAgentsInstrumentor()
inst.instrument(tracer_provider=TracerProvider())
assert "agents" not in sys.modules, "instrument() imported the SDK"
import agents
from agents.tracing import get_trace_provider
from agents.tracing.processors import BatchTraceProcessor

names = [type(p).__name__ for p in get_trace_provider()._multi_processor._processors]
assert "OTelTracingProcessor" in names, names
assert hasattr(BatchTraceProcessor._export_batches, "__wrapped__")
inst.uninstrument()
names = [type(p).__name__ for p in get_trace_provider()._multi_processor._processors]
assert "OTelTracingProcessor" not in names, names
assert not hasattr(BatchTraceProcessor._export_batches, "__wrapped__")
print("ok")
"""


def test_instrument_before_import_patches_on_import() -> None:
    from otel_agent_trace.instrumentation._base import AgentInstrumentor

    if not hasattr(AgentInstrumentor, "when_imported"):
        pytest.skip("the instrumentor base patches eagerly here")
    done = subprocess.run([sys.executable, "-c", _LAZY_PROGRAM], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


@pytest.mark.usefixtures("instrumentor")
async def test_run_inside_an_except_block_is_not_an_error(
    responses: MockResponses, exporter: InMemorySpanExporter
) -> None:
    """The exception the app is handling around the run is not the run's: no span takes it."""
    responses.script.append(text("h1", "fine"))
    try:
        raise KeyError("the app's own, handled")
    except KeyError:
        result = await Runner.run(Agent(name="Calm", instructions="Help.", model=MODEL), "hi")

    assert result.final_output == "fine"
    spans = exporter.get_finished_spans()
    assert len(spans) == 3
    assert {s.status.status_code for s in spans} == {StatusCode.UNSET}
    assert not [s for s in spans if s.events]


@pytest.mark.usefixtures("instrumentor")
async def test_model_error_is_recorded_where_it_happened_and_on_the_way_out(
    responses: MockResponses, exporter: InMemorySpanExporter
) -> None:
    """The API error of a model call: its exception on the chat span, the agent and the workflow; re-raised as is."""
    agents.set_default_openai_client(
        AsyncOpenAI(base_url=responses.base_url, api_key="x", max_retries=0), use_for_tracing=False
    )
    with pytest.raises(openai.NotFoundError):  # nothing scripted: the mock answers 404
        await Runner.run(Agent(name="Unlucky", instructions="Help.", model=MODEL), "hi")

    spans = exporter.get_finished_spans()
    assert [s.name for s in spans] == [f"chat {MODEL}", "invoke_agent Unlucky", "invoke_workflow Agent workflow"]
    for span in spans:
        assert span.status.status_code is StatusCode.ERROR, span.name
        assert (span.attributes or {})["error.type"] == "openai.NotFoundError", span.name
        (event,) = span.events
        assert event.name == "exception"
        assert (event.attributes or {})["exception.type"] == "openai.NotFoundError"
    assert (spans[0].attributes or {})["agent_trace.error.message"] == "Error getting response"


@pytest.mark.usefixtures("instrumentor")
async def test_without_sensitive_data_the_request_model_and_call_ids_stay(
    responses: MockResponses, exporter: InMemorySpanExporter
) -> None:
    """``trace_include_sensitive_data=False``: the SDK keeps the response off its span; what we read elsewhere stays."""
    responses.script.extend([tool_call("n1", "lookup_weather", {"city": "Nice"}, "call_n"), text("n2", "sunny")])
    agent = Agent(name="Discreet", instructions="Help.", tools=[lookup_weather], model=MODEL)

    await Runner.run(agent, "weather in Nice?", run_config=RunConfig(trace_include_sensitive_data=False))

    spans = exporter.get_finished_spans()
    chats = [s for s in spans if s.name == f"chat {MODEL}"]
    assert len(chats) == 2
    for chat in chats:
        assert (chat.attributes or {})["gen_ai.request.model"] == MODEL
        assert "gen_ai.input.messages" not in (chat.attributes or {})
    tool = Tree(spans).one("execute_tool lookup_weather")
    assert (tool.attributes or {})["gen_ai.tool.call.id"] == "call_n"
    assert "gen_ai.tool.call.arguments" not in (tool.attributes or {})


@output_guardrail
async def no_numbers(ctx: RunContextWrapper[Any], agent: Agent[Any], output: Any) -> GuardrailFunctionOutput:
    """Trip on answers with digits."""
    return GuardrailFunctionOutput(output_info={"digits": True}, tripwire_triggered=any(c.isdigit() for c in output))


@pytest.mark.usefixtures("instrumentor")
async def test_tripped_output_guardrail_is_an_error(responses: MockResponses, exporter: InMemorySpanExporter) -> None:
    responses.script.append(text("o1", "x = 3"))
    agent = Agent(name="Careful", instructions="Help.", output_guardrails=[no_numbers], model=MODEL)

    with pytest.raises(OutputGuardrailTripwireTriggered):
        await Runner.run(agent, "solve it")

    tree = Tree(exporter.get_finished_spans())
    tripwire = "agents.exceptions.OutputGuardrailTripwireTriggered"
    decision = tree.one("decision no_numbers")
    assert decision.status.status_code is StatusCode.ERROR
    assert (decision.attributes or {})["error.type"] == tripwire
    assert (decision.attributes or {})["agent_trace.decision.rationale"] == '{"digits":true}'
    agent_span = tree.one("invoke_agent Careful")
    assert tree.parent(decision) is agent_span
    for span in (agent_span, tree.one("invoke_workflow Agent workflow")):
        assert span.status.status_code is StatusCode.ERROR
        assert (span.attributes or {})["error.type"] == tripwire
        assert [(e.attributes or {})["exception.type"] for e in span.events] == [tripwire]

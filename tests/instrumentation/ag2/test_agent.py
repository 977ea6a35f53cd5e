"""AG2 single agents against the mock: the agent -> step -> chat / execute_tool tree, content rules, errors."""

from __future__ import annotations

import asyncio
import json

import pytest
from ag2 import tool
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from otel_agent_trace.instrumentation.ag2 import AG2Instrumentor

from ._run import agent, named, parent_of
from .mock_server import MockChat, error_reply, text_reply, tool_reply


@tool
def get_weather(city: str) -> str:
    """The weather of a city."""
    return f"sunny in {city}"


@tool
def broken_lookup(key: str) -> str:
    """Always fails."""
    raise RuntimeError(f"lookup of {key} failed")


def _ask(chat: MockChat, question: str, tools: list[object]) -> str | None:
    async def go() -> str | None:
        reply = await agent(chat, "weather_agent", tools).ask(question)
        return reply.body

    return asyncio.run(go())


def test_tool_loop_makes_agent_step_llm_and_tool_spans(instrumented: MockChat, exporter: InMemorySpanExporter) -> None:
    instrumented.reset(tool_reply(("get_weather", {"city": "Paris"})), text_reply("It is sunny in Paris."))
    assert _ask(instrumented, "Weather in Paris?", [get_weather]) == "It is sunny in Paris."
    spans = exporter.get_finished_spans()
    (run,) = named(spans, "invoke_agent")
    assert run.attributes["gen_ai.agent.name"] == "weather_agent"
    assert run.attributes["gen_ai.operation.name"] == "invoke_agent"
    assert parent_of(spans, run) is None
    steps = named(spans, "step ")
    assert [s.attributes["agent_trace.step.index"] for s in steps] == [0, 1]
    assert [s.attributes["agent_trace.step.action_type"] for s in steps] == ["tool_call", "response"]
    assert all(parent_of(spans, s) is run for s in steps)
    assert steps[0].attributes["agent_trace.llm.tool_call.names"] == ("get_weather",)
    chats = named(spans, "chat")
    assert len(chats) == len(instrumented.requests) == 2  # one LLM span per call
    assert [parent_of(spans, c) for c in chats] == steps
    assert sum(c.attributes["gen_ai.usage.input_tokens"] for c in chats) == 20  # tokens counted once
    (call,) = named(spans, "execute_tool")
    assert call.name == "execute_tool get_weather"
    assert parent_of(spans, call) is steps[0]
    assert call.attributes["gen_ai.tool.call.id"] == "call_1_0"
    assert json.loads(str(call.attributes["gen_ai.tool.call.arguments"])) == {"city": "Paris"}
    assert call.attributes["gen_ai.tool.call.result"] == "sunny in Paris"
    assert call.attributes["agent_trace.tool.status"] == "ok"
    assert "It is sunny in Paris." in str(run.attributes["gen_ai.output.messages"])
    # the run id ties the steps to their run
    assert {s.attributes["agent_trace.run.id"] for s in steps} == {run.attributes["agent_trace.run.id"]}


@pytest.mark.parametrize("instrumented", [False], ids=["no-content"], indirect=True)
def test_content_off_records_no_arguments_results_or_text(
    instrumented: MockChat, exporter: InMemorySpanExporter
) -> None:
    instrumented.reset(tool_reply(("get_weather", {"city": "Oslo"})), text_reply("Snow in Oslo."))
    assert _ask(instrumented, "Weather in Oslo?", [get_weather]) == "Snow in Oslo."
    spans = exporter.get_finished_spans()
    (call,) = named(spans, "execute_tool")
    assert call.attributes["gen_ai.tool.name"] == "get_weather"
    for span in spans:
        for key, value in (span.attributes or {}).items():
            assert "Oslo" not in str(value), (span.name, key)
    (run,) = named(spans, "invoke_agent")
    assert "gen_ai.output.messages" not in (run.attributes or {})


def test_tool_error_is_recorded_and_the_run_goes_on(instrumented: MockChat, exporter: InMemorySpanExporter) -> None:
    instrumented.reset(tool_reply(("broken_lookup", {"key": "k1"})), text_reply("The lookup failed."))
    assert _ask(instrumented, "Look up k1", [broken_lookup]) == "The lookup failed."
    (call,) = named(exporter.get_finished_spans(), "execute_tool")
    assert call.status.status_code is StatusCode.ERROR
    assert call.attributes["agent_trace.tool.status"] == "error"
    assert any(e.name == "exception" and "lookup of k1 failed" in str(e.attributes) for e in call.events)


def test_llm_failure_propagates_unchanged_and_is_recorded(
    instrumented: MockChat, exporter: InMemorySpanExporter
) -> None:
    import openai

    instrumented.reset(error_reply(500))
    with pytest.raises(openai.InternalServerError):
        _ask(instrumented, "Hello?", [])
    spans = exporter.get_finished_spans()
    (run,) = named(spans, "invoke_agent")
    (step,) = named(spans, "step ")
    assert run.status.status_code is StatusCode.ERROR
    assert step.status.status_code is StatusCode.ERROR
    assert parent_of(spans, step) is run


def test_uninstrument_restores_ag2(instrumented: MockChat, exporter: InMemorySpanExporter) -> None:
    import wrapt
    from ag2.agent import Agent

    assert isinstance(vars(Agent)["_drive_scope"], wrapt.FunctionWrapper)
    AG2Instrumentor().uninstrument()
    assert not isinstance(vars(Agent)["_drive_scope"], wrapt.FunctionWrapper)
    instrumented.reset(text_reply("plain"))
    assert _ask(instrumented, "Hi", []) == "plain"
    assert named(exporter.get_finished_spans(), "invoke_agent") == []
    assert named(exporter.get_finished_spans(), "chat")  # the openai instrumentor is still on


def test_ag2_telemetry_on_too_gives_one_span_per_call(instrumented: MockChat, exporter: InMemorySpanExporter) -> None:
    """With ag2's own TelemetryMiddleware, its spans stand: no second invoke_agent, chat or execute_tool span."""
    from ag2.middleware.builtin.telemetry import TelemetryMiddleware
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    theirs = TracerProvider()
    theirs.add_span_processor(SimpleSpanProcessor(exporter))
    instrumented.reset(tool_reply(("get_weather", {"city": "Rome"})), text_reply("Warm in Rome."))

    async def go() -> str | None:
        telemetry = TelemetryMiddleware(tracer_provider=theirs, agent_name="weather_agent")
        reply = await agent(instrumented, "weather_agent", [get_weather], middleware=[telemetry]).ask("Rome?")
        return reply.body

    assert asyncio.run(go()) == "Warm in Rome."
    spans = exporter.get_finished_spans()
    assert len(named(spans, "invoke_agent")) == 1
    assert len(named(spans, "chat")) == len(instrumented.requests) == 2
    assert len(named(spans, "execute_tool")) == 1
    assert all(s.instrumentation_scope.name == "opentelemetry.instrumentation.ag2" for s in named(spans, "chat"))

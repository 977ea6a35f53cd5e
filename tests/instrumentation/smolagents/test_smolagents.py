"""smolagents instrumentor: real agents, offline, against a scripted mock OpenAI server or a scripted model."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

import pytest
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from smolagents import CodeAgent, OpenAIServerModel, Tool, ToolCallingAgent, tool
from smolagents.agents import MultiStepAgent
from smolagents.models import ChatMessage, ChatMessageStreamDelta, ChatMessageToolCallStreamDelta, MessageRole, Model
from smolagents.models import ChatMessageToolCallFunction as Function
from smolagents.monitoring import TokenUsage

from otel_agent_trace.instrumentation.smolagents import SmolagentsInstrumentor
from otel_agent_trace.instrumentation.smolagents import _extract as X
from tests.instrumentation.smolagents.conftest import (
    MODEL,
    ScriptedServer,
    by_name,
    one,
    parent_of,
    text_reply,
    tool_call_reply,
)

QUIET = -1  # smolagents LogLevel.OFF


@tool
def get_weather(city: str) -> str:
    """Tell the weather of a city.

    Args:
        city: The city.
    """
    return f"sunny in {city}"


class WeatherDown(RuntimeError):
    pass


@tool
def broken_weather(city: str) -> str:
    """A weather service that is down.

    Args:
        city: The city.
    """
    raise WeatherDown(f"no weather for {city}")


def _model(server: ScriptedServer) -> OpenAIServerModel:
    return OpenAIServerModel(
        model_id=MODEL, api_base=server.base_url, api_key="sk-test", client_kwargs={"max_retries": 0}
    )


def _spans(exporter: InMemorySpanExporter) -> tuple[ReadableSpan, ...]:
    return exporter.get_finished_spans()


def _attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def _children(span: ReadableSpan, spans: tuple[ReadableSpan, ...]) -> list[str]:
    return sorted(s.name for s in spans if parent_of(s, spans) is span)


# --- ToolCallingAgent over OpenAIServerModel ------------------------------------------------------------------


def test_tool_calling_agent_span_tree(
    instrumented: SmolagentsInstrumentor, server: ScriptedServer, exporter: InMemorySpanExporter
) -> None:
    server.reply(
        tool_call_reply("get_weather", {"city": "Paris"}, "call_1"),
        tool_call_reply("final_answer", {"answer": "sunny"}, "call_2", tokens=(40, 6)),
    )
    agent = ToolCallingAgent(tools=[get_weather], model=_model(server), verbosity_level=QUIET)

    assert agent.run("Weather in Paris?") == "sunny"

    spans = _spans(exporter)
    run = one(spans, "invoke_agent ToolCallingAgent")
    assert run.parent is None and run.kind is SpanKind.INTERNAL
    assert run.status.status_code is StatusCode.UNSET
    attrs = _attrs(run)
    assert attrs["gen_ai.operation.name"] == "invoke_agent"
    assert attrs["gen_ai.agent.name"] == "ToolCallingAgent"
    assert attrs["agent_trace.agent.tools"] == ("get_weather", "final_answer")
    assert attrs["agent_trace.step.input"] == "Weather in Paris?"
    assert attrs["agent_trace.step.output"] == "sunny"
    assert "agent_trace.agent.parent_name" not in attrs
    assert "gen_ai.usage.input_tokens" not in attrs
    run_id = attrs["agent_trace.run.id"]

    step0, step1 = one(spans, "step 0"), one(spans, "step 1")
    assert parent_of(step0, spans) is run and parent_of(step1, spans) is run
    assert _attrs(step0)["agent_trace.step.index"] == 0
    assert _attrs(step0)["agent_trace.step.action_type"] == "tool_call"
    assert _attrs(step0)["agent_trace.step.name"] == "action 1"
    assert _attrs(step0)["agent_trace.step.output"] == "sunny in Paris"
    assert _attrs(step1)["agent_trace.step.index"] == 1
    assert _attrs(step1)["agent_trace.step.action_type"] == "response"
    assert _attrs(step0)["agent_trace.run.id"] == _attrs(step1)["agent_trace.run.id"] == run_id
    assert _children(step0, spans) == ["chat gpt-mock", "execute_tool get_weather"]
    assert _children(step1, spans) == ["chat gpt-mock", "execute_tool final_answer"]

    chat0, chat1 = by_name(spans, "chat gpt-mock")
    assert chat0.kind is SpanKind.CLIENT
    c = _attrs(chat0)
    assert c["gen_ai.operation.name"] == "chat"
    assert c["gen_ai.provider.name"] == "openai"
    assert c["gen_ai.request.model"] == MODEL
    assert c["gen_ai.response.model"] == "gpt-mock-2024-01-01"
    assert c["gen_ai.response.id"] == "chatcmpl-call_1"
    assert c["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert (c["gen_ai.usage.input_tokens"], c["gen_ai.usage.output_tokens"]) == (20, 5)
    assert c["agent_trace.llm.tool_call.names"] == ("get_weather",)
    assert c["agent_trace.llm.tool_call.ids"] == ("call_1",)
    assert c["server.address"] == "127.0.0.1"
    assert '"Weather in Paris?' in c["gen_ai.input.messages"] or "Weather in Paris?" in c["gen_ai.input.messages"]
    assert "get_weather" in c["gen_ai.tool.definitions"]
    assert (_attrs(chat1)["gen_ai.usage.input_tokens"], _attrs(chat1)["gen_ai.usage.output_tokens"]) == (40, 6)

    weather = one(spans, "execute_tool get_weather")
    w = _attrs(weather)
    assert w["gen_ai.tool.name"] == "get_weather"
    assert w["gen_ai.tool.call.id"] == "call_1"
    assert w["gen_ai.tool.call.arguments"] == '{"city":"Paris"}'
    assert w["gen_ai.tool.call.result"] == "sunny in Paris"
    assert w["agent_trace.tool.status"] == "ok"
    assert w["gen_ai.agent.name"] == "ToolCallingAgent"
    assert _attrs(one(spans, "execute_tool final_answer"))["gen_ai.tool.call.id"] == "call_2"


def test_one_llm_call_one_set_of_tokens_with_openai_instrumentor(
    provider: TracerProvider, server: ScriptedServer, exporter: InMemorySpanExporter
) -> None:
    from otel_agent_trace.instrumentation.openai import OpenAIInstrumentor

    openai_instrumentor = OpenAIInstrumentor()
    smol = SmolagentsInstrumentor()
    openai_instrumentor.instrument(tracer_provider=provider)
    smol.instrument(tracer_provider=provider)
    try:
        server.reply(
            tool_call_reply("get_weather", {"city": "Paris"}, "call_1"),
            tool_call_reply("final_answer", {"answer": "sunny"}, "call_2"),
        )
        agent = ToolCallingAgent(tools=[get_weather], model=_model(server), verbosity_level=QUIET)
        assert agent.run("Weather in Paris?") == "sunny"
        # The SDK is still traced outside an agent's model call.
        client = agent.model.client
        server.reply(text_reply("hi"))
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    finally:
        smol.uninstrument()
        openai_instrumentor.uninstrument()

    spans = _spans(exporter)
    with_usage = [s for s in spans if "gen_ai.usage.input_tokens" in _attrs(s)]
    scopes = sorted(s.instrumentation_scope.name for s in with_usage)  # type: ignore[union-attr]
    assert len(with_usage) == 3, [s.name for s in spans]
    assert scopes.count("otel_agent_trace.SmolagentsInstrumentor") == 2
    assert scopes.count("otel_agent_trace.OpenAIInstrumentor") == 1
    assert len(server.requests) == 3


def test_failing_tool_is_a_handled_step_error(
    instrumented: SmolagentsInstrumentor, server: ScriptedServer, exporter: InMemorySpanExporter
) -> None:
    server.reply(
        tool_call_reply("broken_weather", {"city": "Paris"}, "call_1"),
        tool_call_reply("final_answer", {"answer": "unknown"}, "call_2"),
    )
    agent = ToolCallingAgent(tools=[broken_weather], model=_model(server), verbosity_level=QUIET)

    assert agent.run("Weather in Paris?") == "unknown"

    spans = _spans(exporter)
    failed_tool = one(spans, "execute_tool broken_weather")
    assert failed_tool.status.status_code is StatusCode.ERROR
    assert _attrs(failed_tool)["error.type"].endswith("WeatherDown")
    assert _attrs(failed_tool)["agent_trace.tool.status"] == "error"
    step0 = one(spans, "step 0")
    assert parent_of(failed_tool, spans) is step0
    assert step0.status.status_code is StatusCode.ERROR
    assert _attrs(step0)["error.type"] == "smolagents.utils.AgentToolExecutionError"
    assert _attrs(step0)["agent_trace.step.action_type"] == "tool_call"
    assert one(spans, "step 1").status.status_code is StatusCode.UNSET

    run = one(spans, "invoke_agent ToolCallingAgent")
    assert run.status.status_code is StatusCode.UNSET
    events = [e for e in run.events if e.name == "agent_trace.error"]
    assert len(events) == 1
    event = dict(events[0].attributes or {})
    assert event["agent_trace.error.handled"] is True
    assert event["agent_trace.error.handler"] == "next_step"
    assert event["exception.type"] == "smolagents.utils.AgentToolExecutionError"
    assert _attrs(run)["agent_trace.error.handled"] is True


def test_generation_error_fails_the_run(
    instrumented: SmolagentsInstrumentor, server: ScriptedServer, exporter: InMemorySpanExporter
) -> None:
    from smolagents.utils import AgentGenerationError

    server.reply({"error": {"message": "bad request", "type": "invalid_request_error"}}, status=400)
    agent = ToolCallingAgent(tools=[get_weather], model=_model(server), verbosity_level=QUIET)

    with pytest.raises(AgentGenerationError):
        agent.run("Weather in Paris?")

    spans = _spans(exporter)
    chat = one(spans, "chat gpt-mock")
    assert chat.status.status_code is StatusCode.ERROR
    assert _attrs(chat)["error.type"] == "openai.BadRequestError"
    step = one(spans, "step 0")
    assert step.status.status_code is StatusCode.ERROR
    run = one(spans, "invoke_agent ToolCallingAgent")
    assert run.status.status_code is StatusCode.ERROR
    assert _attrs(run)["error.type"] == "smolagents.utils.AgentGenerationError"
    assert not [e for e in run.events if e.name == "agent_trace.error"]  # not handled: the run failed


def test_managed_agent_is_a_sub_agent_under_the_calling_step(
    instrumented: SmolagentsInstrumentor, server: ScriptedServer, exporter: InMemorySpanExporter
) -> None:
    server.reply(
        tool_call_reply("helper", {"task": "Find the weather in Paris"}, "call_m1"),  # manager
        tool_call_reply("get_weather", {"city": "Paris"}, "call_h1"),  # helper
        tool_call_reply("final_answer", {"answer": "sunny in Paris"}, "call_h2"),  # helper
        tool_call_reply("final_answer", {"answer": "It is sunny"}, "call_m2"),  # manager
    )
    helper = ToolCallingAgent(
        tools=[get_weather],
        model=_model(server),
        name="helper",
        description="Finds the weather.",
        verbosity_level=QUIET,
    )
    manager = ToolCallingAgent(
        tools=[], model=_model(server), managed_agents=[helper], name="manager", verbosity_level=QUIET
    )

    assert manager.run("What is the weather in Paris?") == "It is sunny"

    spans = _spans(exporter)
    top = one(spans, "invoke_agent manager")
    sub = one(spans, "invoke_agent helper")
    assert top.parent is None
    assert _attrs(top)["agent_trace.agent.handoffs"] == ("helper",)
    manager_steps = [s for s in spans if _attrs(s).get("gen_ai.agent.name") == "manager" and s.name.startswith("step")]
    assert sorted(s.name for s in manager_steps) == ["step 0", "step 1"]
    calling_step = next(s for s in manager_steps if s.name == "step 0")
    assert parent_of(sub, spans) is calling_step
    assert _attrs(calling_step)["agent_trace.step.action_type"] == "tool_call"
    s = _attrs(sub)
    assert s["agent_trace.agent.parent_name"] == "manager"
    assert s["agent_trace.step.action_type"] == "handoff"
    assert s["gen_ai.agent.description"] == "Finds the weather."
    assert s["agent_trace.run.id"] != _attrs(top)["agent_trace.run.id"]
    helper_steps = sorted(
        (x for x in spans if parent_of(x, spans) is sub), key=lambda x: _attrs(x)["agent_trace.step.index"]
    )
    assert [x.name for x in helper_steps] == ["step 0", "step 1"]
    assert all(_attrs(x)["gen_ai.agent.name"] == "helper" for x in helper_steps)
    weather = one(spans, "execute_tool get_weather")
    assert parent_of(weather, spans) is helper_steps[0]
    assert _attrs(weather)["gen_ai.agent.name"] == "helper"


def test_planning_step(
    instrumented: SmolagentsInstrumentor, server: ScriptedServer, exporter: InMemorySpanExporter
) -> None:
    server.reply(
        text_reply("1. Answer.", reply_id="plan"),
        tool_call_reply("final_answer", {"answer": "done"}, "call_1"),
    )
    agent = ToolCallingAgent(tools=[], model=_model(server), planning_interval=5, verbosity_level=QUIET)

    assert agent.run("Plan then answer") == "done"

    spans = _spans(exporter)
    plan, action = one(spans, "step 0"), one(spans, "step 1")
    assert _attrs(plan)["agent_trace.step.action_type"] == "planning"
    assert _attrs(plan)["agent_trace.step.name"] == "planning"
    assert "1. Answer." in _attrs(plan)["agent_trace.step.output"]
    assert _children(plan, spans) == ["chat gpt-mock"]
    assert _attrs(action)["agent_trace.step.action_type"] == "response"


def test_max_steps_final_answer_step_and_handled_error(
    instrumented: SmolagentsInstrumentor, server: ScriptedServer, exporter: InMemorySpanExporter
) -> None:
    server.reply(
        tool_call_reply("get_weather", {"city": "Paris"}, "call_1"),
        text_reply("Probably sunny.", reply_id="forced"),
    )
    agent = ToolCallingAgent(tools=[get_weather], model=_model(server), max_steps=1, verbosity_level=QUIET)

    assert agent.run("Weather in Paris?") == "Probably sunny."

    spans = _spans(exporter)
    run = one(spans, "invoke_agent ToolCallingAgent")
    final = one(spans, "step 1")
    assert parent_of(final, spans) is run
    assert _attrs(final)["agent_trace.step.name"] == "final_answer"
    assert _attrs(final)["agent_trace.step.action_type"] == "response"
    assert _attrs(final)["agent_trace.step.output"] == "Probably sunny."
    assert _children(final, spans) == ["chat gpt-mock"]
    events = [dict(e.attributes or {}) for e in run.events if e.name == "agent_trace.error"]
    assert [e["exception.type"] for e in events] == ["smolagents.utils.AgentMaxStepsError"]
    assert events[0]["agent_trace.error.handler"] == "provide_final_answer"
    assert run.status.status_code is StatusCode.UNSET


# --- streaming runs -------------------------------------------------------------------------------------------


def test_stream_run_keeps_spans_open_while_iterating(
    instrumented: SmolagentsInstrumentor, server: ScriptedServer, exporter: InMemorySpanExporter
) -> None:
    from smolagents.memory import FinalAnswerStep

    server.reply(
        tool_call_reply("get_weather", {"city": "Paris"}, "call_1"),
        tool_call_reply("final_answer", {"answer": "sunny"}, "call_2"),
    )
    agent = ToolCallingAgent(tools=[get_weather], model=_model(server), verbosity_level=QUIET)

    stream = agent.run("Weather in Paris?", stream=True)
    assert isinstance(stream, Generator)
    first = next(stream)
    assert not by_name(_spans(exporter), "invoke_agent ToolCallingAgent")
    items = [first, *stream]

    assert isinstance(items[-1], FinalAnswerStep) and items[-1].output == "sunny"
    spans = _spans(exporter)
    run = one(spans, "invoke_agent ToolCallingAgent")
    assert _attrs(run)["agent_trace.step.output"] == "sunny"
    assert parent_of(one(spans, "step 0"), spans) is run
    assert parent_of(one(spans, "execute_tool get_weather"), spans) is one(spans, "step 0")


def test_abandoned_stream_run_ends_its_spans(
    instrumented: SmolagentsInstrumentor, server: ScriptedServer, exporter: InMemorySpanExporter
) -> None:
    server.reply(tool_call_reply("get_weather", {"city": "Paris"}, "call_1"))
    agent = ToolCallingAgent(tools=[get_weather], model=_model(server), verbosity_level=QUIET)

    stream = agent.run("Weather in Paris?", stream=True)
    next(stream)  # the ToolCall of step 1
    with pytest.raises(RuntimeError, match="ignored GeneratorExit"):  # smolagents yields in a ``finally``
        stream.close()

    spans = _spans(exporter)
    run = one(spans, "invoke_agent ToolCallingAgent")
    assert run.status.status_code is StatusCode.ERROR
    assert len(by_name(spans, "step 0")) == 1
    assert len(by_name(spans, "chat gpt-mock")) == 1


# --- scripted models: CodeAgent, stream_outputs, model subclasses defined after instrument() -------------------


class ScriptedModel(Model):
    """A model answering from a script."""

    def __init__(self, replies: list[ChatMessage]) -> None:
        super().__init__(model_id="scripted-1")
        self.replies = list(replies)

    def generate(self, messages: Any, stop_sequences: Any = None, **kwargs: Any) -> ChatMessage:
        return self.replies.pop(0)


def test_code_agent_with_a_model_subclass(instrumented: SmolagentsInstrumentor, exporter: InMemorySpanExporter) -> None:
    code = "Thought: ask the tool.\n<code>\nweather = get_weather(city='Paris')\nfinal_answer(weather)\n</code>"
    model = ScriptedModel(
        [
            ChatMessage(
                role=MessageRole.ASSISTANT, content=code, token_usage=TokenUsage(input_tokens=11, output_tokens=3)
            )
        ]
    )
    agent = CodeAgent(tools=[get_weather], model=model, verbosity_level=QUIET)

    assert agent.run("Weather in Paris?") == "sunny in Paris"

    spans = _spans(exporter)
    run = one(spans, "invoke_agent CodeAgent")
    step = one(spans, "step 0")
    assert parent_of(step, spans) is run
    assert _attrs(step)["agent_trace.step.action_type"] == "response"
    assert "get_weather(city='Paris')" in _attrs(step)["agent_trace.step.input"]
    chat = one(spans, "chat scripted-1")
    assert parent_of(chat, spans) is step
    assert "gen_ai.provider.name" not in _attrs(chat)
    assert (_attrs(chat)["gen_ai.usage.input_tokens"], _attrs(chat)["gen_ai.usage.output_tokens"]) == (11, 3)
    weather = one(spans, "execute_tool get_weather")
    assert parent_of(weather, spans) is step
    assert _attrs(weather)["gen_ai.tool.call.result"] == "sunny in Paris"


class StreamingModel(Model):
    """A model whose ``generate_stream`` yields a tool call in pieces, then usage."""

    def __init__(self) -> None:
        super().__init__(model_id="streamer-1")
        self.turn = 0

    def generate(self, messages: Any, **kwargs: Any) -> ChatMessage:
        raise AssertionError("stream_outputs uses generate_stream")

    def generate_stream(self, messages: Any, **kwargs: Any) -> Iterator[ChatMessageStreamDelta]:
        self.turn += 1
        name, args = ("get_weather", '{"city": "Paris"}') if self.turn == 1 else ("final_answer", '{"answer": "ok"}')
        call_id = f"s{self.turn}"
        yield ChatMessageStreamDelta(
            content="", tool_calls=[ChatMessageToolCallStreamDelta(0, call_id, "function", Function(args[:5], name))]
        )
        yield ChatMessageStreamDelta(
            content="", tool_calls=[ChatMessageToolCallStreamDelta(0, None, None, Function(args[5:], ""))]
        )
        yield ChatMessageStreamDelta(content="", token_usage=TokenUsage(input_tokens=9, output_tokens=4))


def test_stream_outputs_model_stream(instrumented: SmolagentsInstrumentor, exporter: InMemorySpanExporter) -> None:
    agent = ToolCallingAgent(tools=[get_weather], model=StreamingModel(), stream_outputs=True, verbosity_level=QUIET)

    assert agent.run("Weather in Paris?") == "ok"

    spans = _spans(exporter)
    chat0, _ = by_name(spans, "chat streamer-1")
    assert parent_of(chat0, spans) is one(spans, "step 0")
    c = _attrs(chat0)
    assert c["gen_ai.request.stream"] is True
    assert (c["gen_ai.usage.input_tokens"], c["gen_ai.usage.output_tokens"]) == (9, 4)
    assert c["agent_trace.llm.tool_call.names"] == ("get_weather",)
    assert c["agent_trace.llm.tool_call.ids"] == ("s1",)
    assert '"city": "Paris"' in c["gen_ai.output.messages"] or '"city":"Paris"' in c["gen_ai.output.messages"]
    assert _attrs(one(spans, "execute_tool get_weather"))["gen_ai.tool.call.id"] == "s1"


def test_abandoned_model_stream_ends_its_span(
    instrumented: SmolagentsInstrumentor, exporter: InMemorySpanExporter
) -> None:
    stream = StreamingModel().generate_stream([])
    next(stream)
    del stream
    assert len(by_name(_spans(exporter), "chat streamer-1")) == 1

    stream = StreamingModel().generate_stream([])
    next(stream)
    stream.close()
    assert len(by_name(_spans(exporter), "chat streamer-1")) == 2


# --- tools outside agents, errors, content switch -------------------------------------------------------------


def test_tool_outside_an_agent_returns_and_raises_unchanged(
    instrumented: SmolagentsInstrumentor, exporter: InMemorySpanExporter
) -> None:
    assert get_weather(city="Oslo") == "sunny in Oslo"
    with pytest.raises(WeatherDown) as info:
        broken_weather("Oslo")
    assert str(info.value) == "no weather for Oslo"

    spans = _spans(exporter)
    ok, failed = one(spans, "execute_tool get_weather"), one(spans, "execute_tool broken_weather")
    assert ok.parent is None and "gen_ai.agent.name" not in _attrs(ok)
    assert _attrs(failed)["gen_ai.tool.call.arguments"] == "Oslo"
    assert failed.status.status_code is StatusCode.ERROR
    assert failed.events[0].name == "exception"


def test_no_content_without_capture(
    provider: TracerProvider, server: ScriptedServer, exporter: InMemorySpanExporter
) -> None:
    instrumentor = SmolagentsInstrumentor()
    instrumentor.instrument(tracer_provider=provider, capture_content=False)
    try:
        server.reply(
            tool_call_reply("get_weather", {"city": "Paris"}, "call_1"),
            tool_call_reply("final_answer", {"answer": "sunny"}, "call_2"),
        )
        agent = ToolCallingAgent(tools=[get_weather], model=_model(server), verbosity_level=QUIET)
        assert agent.run("Weather in Paris?") == "sunny"
    finally:
        instrumentor.uninstrument()

    spans = _spans(exporter)
    assert len(spans) == 7
    content_keys = {
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.tool.definitions",
        "gen_ai.tool.call.arguments",
        "gen_ai.tool.call.result",
        "agent_trace.step.input",
        "agent_trace.step.output",
    }
    for span in spans:
        assert not content_keys & set(_attrs(span)), span.name
    assert _attrs(one(spans, "execute_tool get_weather"))["gen_ai.tool.call.id"] == "call_1"


# --- instrumentor contract ------------------------------------------------------------------------------------


def _originals() -> dict[tuple[Any, str], Any]:
    from smolagents import local_python_executor
    from smolagents.models import OpenAIModel

    targets = [
        (MultiStepAgent, "run"),
        (MultiStepAgent, "_generate_planning_step"),
        (MultiStepAgent, "provide_final_answer"),
        (ToolCallingAgent, "_step_stream"),
        (CodeAgent, "_step_stream"),
        (OpenAIModel, "generate"),
        (OpenAIModel, "generate_stream"),
        (Tool, "__call__"),
        (local_python_executor, "timeout"),
    ]
    return {(cls, name): vars(cls)[name] for cls, name in targets}


def test_instrument_is_idempotent_and_uninstrument_restores_originals(
    provider: TracerProvider, server: ScriptedServer, exporter: InMemorySpanExporter
) -> None:
    originals = _originals()
    instrumentor = SmolagentsInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    instrumentor.instrument(tracer_provider=provider)

    class LateModel(ScriptedModel):
        """Defined after ``instrument()``: covered when an agent using it first runs."""

        def generate(self, messages: Any, stop_sequences: Any = None, **kwargs: Any) -> ChatMessage:
            return super().generate(messages, stop_sequences, **kwargs)

    scripted_original = vars(LateModel)["generate"]
    try:
        assert vars(ToolCallingAgent)["_step_stream"] is not originals[(ToolCallingAgent, "_step_stream")]
        server.reply(tool_call_reply("final_answer", {"answer": "x"}, "call_1"))
        agent = ToolCallingAgent(tools=[], model=_model(server), verbosity_level=QUIET)
        assert agent.run("x") == "x"
        assert [s.name for s in _spans(exporter)].count("chat gpt-mock") == 1  # wrapped once
        CodeAgent(tools=[], model=LateModel([]), verbosity_level=QUIET, max_steps=1)  # not run: not covered
        assert vars(LateModel)["generate"] is scripted_original
        exporter.clear()
        code = ChatMessage(role=MessageRole.ASSISTANT, content="<code>\nfinal_answer(1)\n</code>")
        assert CodeAgent(tools=[], model=LateModel([code]), verbosity_level=QUIET).run("one") == 1
        assert vars(LateModel)["generate"] is not scripted_original  # covered by the run
        assert [s.name for s in _spans(exporter)].count("chat scripted-1") == 1  # super().generate: one span
    finally:
        instrumentor.uninstrument()

    for (cls, name), original in originals.items():
        assert vars(cls)[name] is original, (cls, name)
    assert vars(LateModel)["generate"] is scripted_original
    exporter.clear()
    server.reply(tool_call_reply("final_answer", {"answer": "y"}, "call_2"))
    assert ToolCallingAgent(tools=[], model=_model(server), verbosity_level=QUIET).run("y") == "y"
    assert not _spans(exporter)


def test_suppressed_instrumentation_records_nothing(
    instrumented: SmolagentsInstrumentor, server: ScriptedServer, exporter: InMemorySpanExporter
) -> None:
    server.reply(
        tool_call_reply("get_weather", {"city": "Paris"}, "call_1"),
        tool_call_reply("final_answer", {"answer": "sunny"}, "call_2"),
    )
    agent = ToolCallingAgent(tools=[get_weather], model=_model(server), verbosity_level=QUIET)
    with suppress_instrumentation():
        assert agent.run("Weather in Paris?") == "sunny"
    assert not _spans(exporter)


def test_internal_fault_is_swallowed(
    instrumented: SmolagentsInstrumentor,
    server: ScriptedServer,
    exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("extractor bug")

    monkeypatch.setattr(X, "run_attributes", boom)
    monkeypatch.setattr(X, "chat_attributes", boom)
    monkeypatch.setattr(X, "response_attributes", boom)
    server.reply(
        tool_call_reply("get_weather", {"city": "Paris"}, "call_1"),
        tool_call_reply("final_answer", {"answer": "sunny"}, "call_2"),
    )
    agent = ToolCallingAgent(tools=[get_weather], model=_model(server), verbosity_level=QUIET)

    with caplog.at_level("DEBUG", logger="otel_agent_trace"):
        assert agent.run("Weather in Paris?") == "sunny"

    names = [s.name for s in _spans(exporter)]
    assert not [n for n in names if n.startswith(("invoke_agent", "chat", "step"))]  # no run: no steps either
    assert sorted(names) == ["execute_tool final_answer", "execute_tool get_weather"]
    assert "extractor bug" in caplog.text or "internal error" in caplog.text


def test_model_error_propagates_unchanged(
    instrumented: SmolagentsInstrumentor, server: ScriptedServer, exporter: InMemorySpanExporter
) -> None:
    import openai

    server.reply({"error": {"message": "nope", "type": "invalid_request_error"}}, status=400)
    model = _model(server)
    with pytest.raises(openai.BadRequestError):
        model.generate([ChatMessage(role=MessageRole.USER, content="hi")])
    chat = one(_spans(exporter), "chat gpt-mock")
    assert chat.status.status_code is StatusCode.ERROR
    assert chat.parent is None


def test_parallel_tool_calls_sit_under_their_step_with_their_ids(
    instrumented: SmolagentsInstrumentor, server: ScriptedServer, exporter: InMemorySpanExporter
) -> None:
    reply = tool_call_reply("get_weather", {"city": "Paris"}, "call_p")
    calls = reply["choices"][0]["message"]["tool_calls"]
    calls.append(
        {"id": "call_o", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'}}
    )
    server.reply(reply, tool_call_reply("final_answer", {"answer": "both sunny"}, "call_f"))
    agent = ToolCallingAgent(tools=[get_weather], model=_model(server), verbosity_level=QUIET)

    assert agent.run("Weather in Paris and Oslo?") == "both sunny"

    spans = _spans(exporter)
    step0 = one(spans, "step 0")
    tools = by_name(spans, "execute_tool get_weather")
    assert len(tools) == 2 and all(parent_of(t, spans) is step0 for t in tools)
    by_city = {_attrs(t)["gen_ai.tool.call.arguments"]: _attrs(t)["gen_ai.tool.call.id"] for t in tools}
    assert by_city == {'{"city":"Paris"}': "call_p", '{"city":"Oslo"}': "call_o"}
    first_chat = by_name(spans, "chat gpt-mock")[0]
    assert _attrs(first_chat)["agent_trace.llm.tool_call.ids"] == ("call_p", "call_o")

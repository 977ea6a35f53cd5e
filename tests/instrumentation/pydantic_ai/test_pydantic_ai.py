"""Pydantic AI's own spans, switched on zero-code: one tree, one chat span per model call, tokens once, enriched."""

from __future__ import annotations

import asyncio
import json
import sys

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic_ai import Agent
from pydantic_ai.capabilities.instrumentation import Instrumentation
from pydantic_ai.models.instrumented import InstrumentationSettings

from otel_agent_trace import agent_session
from otel_agent_trace.instrumentation.pydantic_ai import PydanticAIInstrumentor
from otel_agent_trace.semconv import agent as A
from tests.instrumentation.pydantic_ai.conftest import (
    OURS_OPENAI,
    PYDANTIC_AI,
    ScriptedServer,
    StreamingServer,
    model_of,
    named,
    text_reply,
    tool_call_reply,
)


def _weather_agent(server: ScriptedServer, **kwargs: object) -> Agent[None, str]:
    server.reply(tool_call_reply("get_weather", {"city": "Paris"}, "call_1", (20, 5)), text_reply("It is sunny"))
    agent: Agent[None, str] = Agent(model_of(server), name="weather", **kwargs)  # type: ignore[call-overload]

    @agent.tool_plain
    def get_weather(city: str) -> str:
        return f"sunny in {city}"

    return agent


@pytest.mark.usefixtures("instrumented")
def test_tree_one_chat_span_per_model_call_tokens_once(server: ScriptedServer, exporter: InMemorySpanExporter) -> None:
    with agent_session("sess-7", user_id="u-3"):
        result = _weather_agent(server).run_sync("Weather in Paris?")
    assert result.output == "It is sunny"
    spans = exporter.get_finished_spans()
    assert sorted(s.name for s in spans) == [
        "chat gpt-mock",
        "chat gpt-mock",
        "execute_tool get_weather",
        "invoke_agent weather",
    ]
    assert {s.instrumentation_scope.name for s in spans if s.instrumentation_scope} == {PYDANTIC_AI}
    (run,) = named(spans, "invoke_agent")
    first, tool, second = named(spans, "chat")[0], named(spans, "execute_tool")[0], named(spans, "chat")[1]
    for child in (first, tool, second):
        assert child.parent is not None and child.parent.span_id == run.context.span_id
    # our openai instrumentor recorded on Pydantic AI's chat span (its attributes are there, no span of its own)
    assert first.attributes is not None and first.attributes["openai.api.type"] == "chat_completions"
    assert first.attributes["gen_ai.usage.input_tokens"] == 20 and first.attributes["gen_ai.usage.output_tokens"] == 5
    assert second.attributes is not None and second.attributes["gen_ai.usage.input_tokens"] == 30
    assert not [s for s in spans if s.instrumentation_scope and s.instrumentation_scope.name == OURS_OPENAI]
    total_input = sum(int(str((s.attributes or {}).get("gen_ai.usage.input_tokens", 0))) for s in spans)
    assert total_input == 50  # the run's aggregated usage is under other names: each call's tokens once
    # our agent semantics, added on export
    assert [(s.attributes or {}).get(A.AGENT_STEP_INDEX) for s in (first, tool, second)] == [0, 1, 2]
    assert [(s.attributes or {}).get(A.AGENT_STEP_ACTION_TYPE) for s in (first, tool, second)] == [
        "llm_call",
        "tool_call",
        "llm_call",
    ]
    assert tool.attributes is not None and tool.attributes[A.AGENT_STEP_NAME] == "get_weather"
    run_ids = {(s.attributes or {}).get(A.AGENT_RUN_ID) for s in spans}
    assert len(run_ids) == 1 and None not in run_ids
    # correlation ids are stamped on every span at start, theirs included
    for span in spans:
        assert span.attributes is not None and span.attributes["agent_trace.session.id"] == "sess-7", span.name
        assert span.attributes["agent_trace.user.id"] == "u-3"


@pytest.mark.usefixtures("instrumented")
def test_content_captured_when_on(server: ScriptedServer, exporter: InMemorySpanExporter) -> None:
    _weather_agent(server).run_sync("Weather in Paris?")
    (tool,) = named(exporter.get_finished_spans(), "execute_tool")
    assert tool.attributes is not None and "sunny in Paris" in str(tool.attributes["gen_ai.tool.call.result"])
    first = named(exporter.get_finished_spans(), "chat")[0]
    messages = json.loads(str((first.attributes or {})["gen_ai.input.messages"]))
    assert "Weather in Paris?" in json.dumps(messages)


def test_content_off_by_default(
    server: ScriptedServer,
    exporter: InMemorySpanExporter,
    provider: TracerProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", raising=False)
    instrumentor = PydanticAIInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        _weather_agent(server).run_sync("Weather in Paris?")
    finally:
        instrumentor.uninstrument()
    spans = exporter.get_finished_spans()
    assert len(named(spans, "chat")) == 2
    for span in spans:
        text = json.dumps(dict(span.attributes or {}), default=str)
        assert "Weather in Paris?" not in text and "sunny in Paris" not in text and "It is sunny" not in text, span.name


def test_the_programs_own_settings_win(server: ScriptedServer, provider: TracerProvider) -> None:
    mine = InstrumentationSettings(tracer_provider=provider, include_content=False)
    Agent.instrument_all(mine)
    instrumentor = PydanticAIInstrumentor()
    try:
        instrumentor.instrument(tracer_provider=provider, capture_content=True)
        assert Agent._instrument_default is mine
        instrumentor.uninstrument()
        assert Agent._instrument_default is mine  # ours was never installed, so nothing of the program's is undone
    finally:
        Agent.instrument_all(False)


def test_uninstrument_restores_the_default(provider: TracerProvider) -> None:
    instrumentor = PydanticAIInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    assert isinstance(Agent._instrument_default, InstrumentationSettings)
    instrumentor.uninstrument()
    default: object = Agent._instrument_default
    assert default is False


@pytest.mark.usefixtures("openai_instrumented")
def test_an_agents_own_capability_is_kept_and_not_duplicated(
    server: ScriptedServer, exporter: InMemorySpanExporter, provider: TracerProvider
) -> None:
    capability = Instrumentation(InstrumentationSettings(tracer_provider=provider, include_content=False))
    _weather_agent(server, capabilities=[capability]).run_sync("Weather in Paris?")
    spans = exporter.get_finished_spans()
    assert len(named(spans, "chat")) == 2 and len(named(spans, "invoke_agent")) == 1
    assert {s.instrumentation_scope.name for s in spans if s.instrumentation_scope} == {PYDANTIC_AI}


@pytest.mark.usefixtures("openai_instrumented")
def test_peer_policy_both_nests_ours(
    server: ScriptedServer, exporter: InMemorySpanExporter, provider: TracerProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_AGENT_TRACE_PEER_POLICY", "both")
    Agent.instrument_all(InstrumentationSettings(tracer_provider=provider))
    try:
        _weather_agent(server).run_sync("Weather in Paris?")
    finally:
        Agent.instrument_all(False)
    spans = exporter.get_finished_spans()
    ours = [s for s in spans if s.instrumentation_scope and s.instrumentation_scope.name == OURS_OPENAI]
    theirs = [s for s in spans if s.name.startswith("chat") and s not in ours]
    assert len(ours) == 2 and len(theirs) == 2
    assert {s.parent.span_id for s in ours if s.parent} == {s.context.span_id for s in theirs}


@pytest.mark.usefixtures("instrumented")
def test_streamed_run_one_chat_span_with_our_stream_attributes(
    streaming_server: StreamingServer, exporter: InMemorySpanExporter
) -> None:
    agent: Agent[None, str] = Agent(model_of(streaming_server), name="streamer")

    async def go() -> str:
        async with agent.run_stream("Say hello") as result:
            return await result.get_output()

    output = asyncio.run(go())
    assert output.startswith("Hello there!")
    spans = exporter.get_finished_spans()
    (chat,) = named(spans, "chat")
    assert {s.instrumentation_scope.name for s in spans if s.instrumentation_scope} == {PYDANTIC_AI}
    attributes = chat.attributes or {}
    # ours read the stream and recorded on their span before they ended it
    assert float(str(attributes["gen_ai.response.time_to_first_chunk"])) > 0
    assert attributes["gen_ai.usage.input_tokens"] == 11 and attributes["gen_ai.usage.output_tokens"] == 24


@pytest.mark.skipif(
    sys.version_info < (3, 11),
    reason="pydantic-ai 2.68's AnthropicModel raises TypeError (Cannot instantiate typing.Union: BetaMessageParam) on "
    "Python 3.10 with anthropic 2.15, uninstrumented too",
)
def test_anthropic_model_one_chat_span(
    exporter: InMemorySpanExporter, provider: TracerProvider, instrumented: PydanticAIInstrumentor
) -> None:
    from pydantic_ai.models.anthropic import AnthropicModel
    from pydantic_ai.providers.anthropic import AnthropicProvider

    from otel_agent_trace.instrumentation.anthropic import AnthropicInstrumentor
    from tests.instrumentation._servers import serving
    from tests.instrumentation.anthropic.conftest import MockServer

    ours = AnthropicInstrumentor()
    ours.instrument(tracer_provider=provider)
    try:
        with serving(MockServer()) as server:
            model = AnthropicModel("claude-text", provider=AnthropicProvider(base_url=server.base_url, api_key="x"))
            assert Agent(model, name="claude").run_sync("Capital of France?").output.startswith("Paris")
    finally:
        ours.uninstrument()
    spans = exporter.get_finished_spans()
    assert sorted(s.name for s in spans) == ["chat claude-text", "invoke_agent claude"]
    assert {s.instrumentation_scope.name for s in spans if s.instrumentation_scope} == {PYDANTIC_AI}
    (chat,) = named(spans, "chat")
    assert (chat.attributes or {})["gen_ai.usage.input_tokens"] == 117  # 12 + 100 cache read + 5 cache write, once


@pytest.mark.usefixtures("instrumented")
def test_peer_policy_theirs_records_nothing_of_ours(
    server: ScriptedServer, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_AGENT_TRACE_PEER_POLICY", "theirs")
    _weather_agent(server).run_sync("Weather in Paris?")
    spans = exporter.get_finished_spans()
    chats = named(spans, "chat")
    assert len(chats) == 2 and len(spans) == 4
    assert all("openai.api.type" not in (s.attributes or {}) for s in chats)  # ours recorded nothing on them
    assert [(s.attributes or {})["gen_ai.usage.input_tokens"] for s in chats] == [20, 30]  # Pydantic AI's own


def test_client_metrics_counted_once_with_pydantic_ai(server: ScriptedServer, exporter: InMemorySpanExporter) -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    from otel_agent_trace._internal.settings import Settings
    from otel_agent_trace.instrumentation.openai import OpenAIInstrumentor
    from otel_agent_trace.processor import AgentSpanProcessor, GenAIMetricsSpanProcessor

    reader = InMemoryMetricReader()
    meters = MeterProvider(metric_readers=[reader])
    provider = TracerProvider()
    provider.add_span_processor(AgentSpanProcessor(SimpleSpanProcessor(exporter), settings=Settings()))
    recorder = GenAIMetricsSpanProcessor(meters)
    provider.add_span_processor(recorder)
    openai, pydantic = OpenAIInstrumentor(), PydanticAIInstrumentor()
    openai.instrument(tracer_provider=provider)
    pydantic.instrument(tracer_provider=provider, meter_provider=meters)
    try:
        _weather_agent(server).run_sync("Weather in Paris?")
    finally:
        pydantic.uninstrument()
        openai.uninstrument()
        Agent.instrument_all(False)
    recorder.force_flush()
    data = reader.get_metrics_data()
    assert data is not None
    counts: dict[tuple[str, str], int] = {}
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                points = metric.data.data_points
                counts[(scope.scope.name, metric.name)] = sum(p.count for p in points)  # type: ignore[attr-defined]
    tokens = {scope: n for (scope, name), n in counts.items() if name == "gen_ai.client.token.usage"}
    durations = {scope: n for (scope, name), n in counts.items() if name == "gen_ai.client.operation.duration"}
    assert tokens == {"pydantic-ai": 4}, counts  # two calls x (input, output), by Pydantic AI's meter only
    assert durations == {"otel_agent_trace": 2}, counts  # Pydantic AI records none: ours, once per call

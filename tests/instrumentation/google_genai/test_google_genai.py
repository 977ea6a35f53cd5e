"""GoogleGenAIInstrumentor against the real google-genai SDK and a local mock of the Gemini API."""

from __future__ import annotations

import asyncio
import gc
import json
from typing import Any

import pytest
from google import genai
from google.genai import errors, types
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from otel_agent_trace._internal import settings
from otel_agent_trace._internal.context import suppress_instrumentation, suppress_llm_instrumentation
from otel_agent_trace.instrumentation.google_genai import GoogleGenAIInstrumentor
from otel_agent_trace.instrumentation.httpx import HTTPXInstrumentor
from otel_agent_trace.instrumentation.httpx2 import HTTPX2Instrumentor

from .conftest import MockServer, afc_tool, finished, make_client, only_span

MODEL = "gemini-2.5-flash"


def _attrs(span: Any) -> dict[str, Any]:
    return dict(span.attributes or {})


def test_generate_content_span_shape(
    client: genai.Client, exporter: InMemorySpanExporter, mock_server: MockServer
) -> None:
    config = types.GenerateContentConfig(
        temperature=0.2, top_p=0.9, top_k=40, max_output_tokens=256, stop_sequences=["END"], seed=7
    )
    response = client.models.generate_content(model=MODEL, contents="Capital of France?", config=config)

    assert response.text == "Paris is the capital of France."
    span = only_span(exporter)
    assert span.name == f"generate_content {MODEL}"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    attrs = _attrs(span)
    assert attrs["gen_ai.operation.name"] == "generate_content"
    assert attrs["gen_ai.provider.name"] == "gcp.gemini"
    assert attrs["agent_trace.step.action_type"] == "llm_call"
    assert attrs["gen_ai.request.model"] == MODEL
    assert attrs["gen_ai.request.temperature"] == 0.2
    assert attrs["gen_ai.request.top_p"] == 0.9
    assert attrs["gen_ai.request.top_k"] == 40
    assert attrs["gen_ai.request.max_tokens"] == 256
    assert attrs["gen_ai.request.seed"] == 7
    assert attrs["gen_ai.request.stop_sequences"] == ("END",)
    assert "gen_ai.request.stream" not in attrs  # set only on streamed requests
    assert attrs["gen_ai.response.id"] == "resp_text_01"
    assert attrs["gen_ai.response.model"] == "gemini-2.5-flash-001"
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["gen_ai.usage.input_tokens"] == 12  # prompt_token_count already includes the 4 cached
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 4
    assert attrs["gen_ai.usage.output_tokens"] == 8 + 3  # candidates + thoughts
    assert attrs["gen_ai.usage.reasoning.output_tokens"] == 3
    assert attrs["server.address"] == "127.0.0.1"
    assert attrs["server.port"] == mock_server.server_address[1]
    for key in ("gen_ai.input.messages", "gen_ai.output.messages", "agent_trace.llm.tool_call.names"):
        assert key not in attrs


def test_choice_count_penalties_and_output_type(client: genai.Client, exporter: InMemorySpanExporter) -> None:
    config = types.GenerateContentConfig(
        candidate_count=2, frequency_penalty=0.5, presence_penalty=-0.5, response_mime_type="application/json"
    )
    client.models.generate_content(model=MODEL, contents="hi", config=config)
    client.models.generate_content(model=MODEL, contents="hi", config={"candidate_count": 1})

    first, second = (_attrs(s) for s in finished(exporter))
    assert first["gen_ai.request.choice.count"] == 2
    assert first["gen_ai.request.frequency_penalty"] == 0.5
    assert first["gen_ai.request.presence_penalty"] == -0.5
    assert first["gen_ai.output.type"] == "json"
    assert "gen_ai.request.choice.count" not in second  # 1 is the default: not recorded, as the spec asks
    assert "gen_ai.output.type" not in second


def test_dict_config_is_read(client: genai.Client, exporter: InMemorySpanExporter) -> None:
    client.models.generate_content(model=MODEL, contents="hi", config={"temperature": 1, "max_output_tokens": 5})

    attrs = _attrs(only_span(exporter))
    assert attrs["gen_ai.request.temperature"] == 1.0
    assert attrs["gen_ai.request.max_tokens"] == 5


@pytest.mark.parametrize("instrument_kwargs", [{"capture_content": True}])
def test_content_capture_on(client: genai.Client, exporter: InMemorySpanExporter) -> None:
    history = [
        types.Content(role="user", parts=[types.Part.from_text(text="Weather in Paris?")]),
        types.Content(role="model", parts=[types.Part.from_function_call(name="get_weather", args={"city": "Paris"})]),
        types.Content(
            role="user", parts=[types.Part.from_function_response(name="get_weather", response={"temp": "18C"})]
        ),
    ]
    declaration = types.FunctionDeclaration(
        name="get_weather", description="Weather of a city", parameters_json_schema={"type": "object"}
    )
    config = types.GenerateContentConfig(
        system_instruction="You are terse.",
        tools=[types.Tool(function_declarations=[declaration])],
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
    )
    client.models.generate_content(model=MODEL, contents=history, config=config)

    attrs = _attrs(only_span(exporter))
    inputs = json.loads(attrs["gen_ai.input.messages"])
    assert inputs[0] == {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}
    assert inputs[1]["role"] == "assistant"
    assert inputs[1]["parts"][0] == {
        "type": "tool_call",
        "id": None,
        "name": "get_weather",
        "arguments": {"city": "Paris"},
    }
    assert inputs[2] == {
        "role": "tool",
        "parts": [{"type": "tool_call_response", "id": None, "response": {"temp": "18C"}}],
    }
    assert json.loads(attrs["gen_ai.system_instructions"]) == [{"type": "text", "content": "You are terse."}]
    definitions = json.loads(attrs["gen_ai.tool.definitions"])
    assert definitions == [
        {
            "type": "function",
            "name": "get_weather",
            "description": "Weather of a city",
            "parameters": {"type": "object"},
        }
    ]
    assert json.loads(attrs["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "Paris is the capital of France."}],
            "finish_reason": "stop",
        }
    ]


def test_content_capture_setting_read_at_call_time(
    client: genai.Client, exporter: InMemorySpanExporter, provider: TracerProvider
) -> None:
    GoogleGenAIInstrumentor().uninstrument()
    GoogleGenAIInstrumentor().instrument(tracer_provider=provider)  # no explicit capture_content
    old = settings.get_settings()
    try:
        client.models.generate_content(model=MODEL, contents="one")
        settings.update_settings(capture_content=True)
        client.models.generate_content(model=MODEL, contents="two")
    finally:
        settings.set_settings(old)

    first, second = finished(exporter)
    assert "gen_ai.input.messages" not in _attrs(first)
    assert json.loads(_attrs(second)["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "two"}]}
    ]


def test_automatic_function_calling_model_tool_model(
    client: genai.Client, exporter: InMemorySpanExporter, provider: TracerProvider
) -> None:
    calls: list[str] = []

    @afc_tool
    def get_weather(city: str) -> str:
        """Weather of a city."""
        calls.append(city)
        with trace.get_tracer("app", tracer_provider=provider).start_as_current_span("lookup"):
            return "18C"

    response = client.models.generate_content(
        model="gemini-tool", contents="Weather in Paris?", config=types.GenerateContentConfig(tools=[get_weather])
    )

    assert response.text == "Paris is the capital of France."
    assert calls == ["Paris"]
    spans = finished(exporter)
    # model turn, the tool run between the turns (not inside an LLM span), model turn
    assert [s.name for s in spans] == [
        "generate_content gemini-tool",
        "lookup",
        "execute_tool get_weather",
        "generate_content gemini-tool",
    ]
    first, lookup, tool, second = spans
    assert tool.parent is None and first.parent is None and second.parent is None
    assert lookup.parent is not None and lookup.parent.span_id == tool.context.span_id  # the tool's work nests
    assert first.end_time <= tool.start_time and tool.end_time <= second.start_time
    tool_attrs = _attrs(tool)
    assert tool_attrs["gen_ai.operation.name"] == "execute_tool"
    assert tool_attrs["gen_ai.tool.name"] == "get_weather"
    assert tool_attrs["gen_ai.tool.description"] == "Weather of a city."
    assert tool_attrs["agent_trace.step.action_type"] == "tool_call"
    assert tool_attrs["agent_trace.tool.status"] == "ok"
    assert "gen_ai.tool.call.arguments" not in tool_attrs  # content capture is off
    first_attrs, second_attrs = _attrs(first), _attrs(second)
    assert first_attrs["agent_trace.llm.tool_call.names"] == ("get_weather",)
    assert first_attrs["agent_trace.llm.tool_call.ids"] == ("fc_1",)
    assert "agent_trace.llm.tool_call.names" not in second_attrs
    assert first_attrs["gen_ai.usage.input_tokens"] + second_attrs["gen_ai.usage.input_tokens"] == 30 + 12


@pytest.mark.parametrize("instrument_kwargs", [{"capture_content": True}])
def test_automatic_function_calling_tool_content_and_failure(
    client: genai.Client, exporter: InMemorySpanExporter
) -> None:
    @afc_tool
    def get_weather(city: str) -> dict[str, str]:
        """Weather of a city."""
        if city == "Atlantis":
            raise LookupError("no such city")
        return {"temp": "18C"}

    config = types.GenerateContentConfig(tools=[get_weather])
    client.models.generate_content(model="gemini-tool", contents="Weather in Paris?", config=config)
    tool = next(s for s in finished(exporter) if s.name == "execute_tool get_weather")
    assert json.loads(_attrs(tool)["gen_ai.tool.call.arguments"]) == {"city": "Paris"}
    assert json.loads(_attrs(tool)["gen_ai.tool.call.result"]) == {"temp": "18C"}

    exporter.clear()
    # the SDK answers the model with {"error": ...}; the program goes on, the tool span says it failed
    response = client.models.generate_content(model="gemini-tool-atlantis", contents="Atlantis?", config=config)
    assert response.text == "Paris is the capital of France."
    tool = next(s for s in finished(exporter) if s.name == "execute_tool get_weather")
    assert tool.status.status_code is StatusCode.ERROR
    assert _attrs(tool)["agent_trace.tool.status"] == "error"
    assert _attrs(tool)["error.type"] == "google.genai.errors.FunctionInvocationError"


def test_chat_send_message_one_span(client: genai.Client, exporter: InMemorySpanExporter) -> None:
    chat = client.chats.create(model=MODEL)
    chat.send_message("hello")
    chat.send_message("again")

    spans = finished(exporter)
    assert [s.name for s in spans] == [f"generate_content {MODEL}"] * 2
    assert all(s.parent is None for s in spans)


def test_stream_one_span_ended_when_exhausted(client: genai.Client, exporter: InMemorySpanExporter) -> None:
    text = "".join(chunk.text or "" for chunk in client.models.generate_content_stream(model=MODEL, contents="hi"))

    assert text == "Hello, world!"
    attrs = _attrs(only_span(exporter))
    assert attrs["gen_ai.request.stream"] is True
    assert attrs["gen_ai.response.id"] == "resp_stream_01"
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["gen_ai.usage.input_tokens"] == 25
    assert attrs["gen_ai.usage.output_tokens"] == 15  # the last chunk's cumulative count, not a sum
    assert attrs["gen_ai.response.time_to_first_chunk"] >= 0


@pytest.mark.parametrize("instrument_kwargs", [{"capture_content": True}])
def test_stream_content_joined(client: genai.Client, exporter: InMemorySpanExporter) -> None:
    list(client.models.generate_content_stream(model=MODEL, contents="hi"))

    outputs = json.loads(_attrs(only_span(exporter))["gen_ai.output.messages"])
    assert outputs == [
        {"role": "assistant", "parts": [{"type": "text", "content": "Hello, world!"}], "finish_reason": "stop"}
    ]


def test_stream_abandoned_ends_span(client: genai.Client, exporter: InMemorySpanExporter) -> None:
    stream = client.models.generate_content_stream(model=MODEL, contents="hi")
    next(stream)
    stream.close()
    del stream
    gc.collect()

    attrs = _attrs(only_span(exporter))
    assert attrs["gen_ai.response.id"] == "resp_stream_01"
    assert "gen_ai.response.finish_reasons" not in attrs


def test_stream_broken_midway_records_error(client: genai.Client, exporter: InMemorySpanExporter) -> None:
    with pytest.raises(errors.UnknownApiResponseError):
        list(client.models.generate_content_stream(model="gemini-midfail", contents="hi"))

    span = only_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    attrs = _attrs(span)
    assert attrs["error.type"] == "google.genai.errors.UnknownApiResponseError"


def test_api_error_recorded_and_reraised(client: genai.Client, exporter: InMemorySpanExporter) -> None:
    with pytest.raises(errors.ClientError) as caught:
        client.models.generate_content(model="gemini-quota", contents="hi")

    assert caught.value.code == 429
    span = only_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    attrs = _attrs(span)
    assert attrs["error.type"] == "google.genai.errors.ClientError"
    assert attrs["agent_trace.error.code"] == "RESOURCE_EXHAUSTED"
    assert [e.name for e in span.events] == ["exception"]


def test_stream_api_error(client: genai.Client, exporter: InMemorySpanExporter) -> None:
    with pytest.raises(errors.ClientError):
        list(client.models.generate_content_stream(model="gemini-bad", contents="hi"))

    assert _attrs(only_span(exporter))["agent_trace.error.code"] == "INVALID_ARGUMENT"


def test_embed_content(client: genai.Client, exporter: InMemorySpanExporter) -> None:
    result = client.models.embed_content(model="text-embedding-004", contents=["a", "b"])

    assert result.embeddings is not None and len(result.embeddings) == 2
    span = only_span(exporter)
    assert span.name == "embeddings text-embedding-004"
    attrs = _attrs(span)
    assert attrs["gen_ai.operation.name"] == "embeddings"
    assert attrs["agent_trace.step.action_type"] == "embedding"
    assert attrs["gen_ai.embeddings.dimension.count"] == 4
    assert "gen_ai.request.stream" not in attrs


async def test_async_generate_stream_and_embed(
    mock_server: MockServer, instrumentor: GoogleGenAIInstrumentor, exporter: InMemorySpanExporter
) -> None:
    client = make_client(mock_server)
    response = await client.aio.models.generate_content(model=MODEL, contents="hi")
    assert response.text == "Paris is the capital of France."
    pieces = [chunk.text async for chunk in await client.aio.models.generate_content_stream(model=MODEL, contents="hi")]
    assert "".join(p or "" for p in pieces) == "Hello, world!"
    await client.aio.models.embed_content(model="text-embedding-004", contents="a")
    chat = client.aio.chats.create(model=MODEL)
    await chat.send_message("hello")
    with pytest.raises(errors.ClientError):
        await client.aio.models.generate_content(model="gemini-quota", contents="hi")

    spans = finished(exporter)
    assert [s.name for s in spans] == [
        f"generate_content {MODEL}",
        f"generate_content {MODEL}",
        "embeddings text-embedding-004",
        f"generate_content {MODEL}",
        "generate_content gemini-quota",
    ]
    stream_attrs = _attrs(spans[1])
    assert stream_attrs["gen_ai.request.stream"] is True
    assert stream_attrs["gen_ai.usage.output_tokens"] == 15
    assert spans[4].status.status_code is StatusCode.ERROR


async def test_async_stream_aclose(
    mock_server: MockServer, instrumentor: GoogleGenAIInstrumentor, exporter: InMemorySpanExporter
) -> None:
    client = make_client(mock_server)
    stream = await client.aio.models.generate_content_stream(model=MODEL, contents="hi")
    async for _ in stream:
        break
    await stream.aclose()  # type: ignore[attr-defined]
    del stream
    gc.collect()
    # the SDK's inner async generators are finalised by the event loop (asyncgen hooks): let it run them
    for _ in range(5):
        await asyncio.sleep(0)

    assert _attrs(only_span(exporter))["gen_ai.response.id"] == "resp_stream_01"


def test_vertex_client_provider_name(
    mock_server: MockServer, instrumentor: GoogleGenAIInstrumentor, exporter: InMemorySpanExporter
) -> None:
    client = make_client(mock_server, vertexai=True, project="p", location="us-central1")
    client._api_client._credentials = _NoRefresh()  # no ADC lookup: the mock needs no auth
    client.models.generate_content(model=MODEL, contents="hi")

    assert _attrs(only_span(exporter))["gen_ai.provider.name"] == "gcp.vertex_ai"


class _NoRefresh:
    token = "t"
    valid = True
    expired = False
    quota_project_id = None

    def refresh(self, request: Any) -> None:
        pass

    def before_request(self, *args: Any) -> None:
        pass


def test_no_http_span_under_ours_unless_asked(
    mock_server: MockServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    # google-genai picks httpx or httpx2 by version and environment (httpx2 2.14 on Python 3.10): instrument both
    http_instrumentors: list[Any] = [HTTPXInstrumentor(), HTTPX2Instrumentor()]
    for http_instrumentor in http_instrumentors:
        http_instrumentor.instrument(tracer_provider=provider)
    try:
        for capture_http in (False, True):
            inst = GoogleGenAIInstrumentor()
            inst.instrument(tracer_provider=provider, capture_http=capture_http)
            client = make_client(mock_server)
            client.models.generate_content(model=MODEL, contents="hi")
            list(client.models.generate_content_stream(model=MODEL, contents="hi"))
            inst.uninstrument()
    finally:
        for http_instrumentor in http_instrumentors:
            http_instrumentor.uninstrument()

    spans = finished(exporter)
    llm = [s for s in spans if s.name.startswith("generate_content")]
    http = [s for s in spans if s not in llm]
    assert len(llm) == 4
    # only the capture_http=True calls made HTTP spans, each a child of its LLM span (the stream's too)
    assert len(http) == 2
    assert {s.parent.span_id for s in http if s.parent} == {s.context.span_id for s in llm[2:]}


def test_suppressed_calls_make_no_span(client: genai.Client, exporter: InMemorySpanExporter) -> None:
    with suppress_instrumentation():
        client.models.generate_content(model=MODEL, contents="hi")
    with suppress_llm_instrumentation():
        list(client.models.generate_content_stream(model=MODEL, contents="hi"))

    assert finished(exporter) == []


def test_uninstrument_restores(
    mock_server: MockServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    from google.genai import models

    original = models.Models.__dict__["_generate_content"]
    inst = GoogleGenAIInstrumentor()
    inst.instrument(tracer_provider=provider)
    assert models.Models.__dict__["_generate_content"] is not original
    inst.uninstrument()
    assert models.Models.__dict__["_generate_content"] is original
    client = make_client(mock_server)
    client.models.generate_content(model=MODEL, contents="hi")
    assert finished(exporter) == []


async def test_async_automatic_function_calling(
    mock_server: MockServer, instrumentor: GoogleGenAIInstrumentor, exporter: InMemorySpanExporter
) -> None:
    @afc_tool
    async def get_weather(city: str) -> str:
        """Weather of a city."""
        return "18C"

    client = make_client(mock_server)
    chat = client.aio.chats.create(model="gemini-tool", config=types.GenerateContentConfig(tools=[get_weather]))
    response = await chat.send_message("Weather in Paris?")

    assert response.text == "Paris is the capital of France."
    assert [s.name for s in finished(exporter)] == [
        "generate_content gemini-tool",
        "execute_tool get_weather",
        "generate_content gemini-tool",
    ]

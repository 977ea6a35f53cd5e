from __future__ import annotations

import gc
import json
import logging
from typing import Any

import openai
import pytest
from opentelemetry import trace
from opentelemetry.instrumentation.utils import is_http_instrumentation_enabled
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from otel_agent_trace._internal.context import suppress_instrumentation
from otel_agent_trace.instrumentation.openai import OpenAIInstrumentor, _wrappers
from otel_agent_trace.semconv.agent import AGENT_STEP_ACTION_TYPE, LLM_TOOL_CALL_IDS, LLM_TOOL_CALL_NAMES
from otel_agent_trace.semconv.error import ERROR_CODE
from otel_agent_trace.semconv.gen_ai import (
    GEN_AI_EMBEDDINGS_DIMENSION_COUNT,
    GEN_AI_INPUT_MESSAGES,
    GEN_AI_OPERATION_NAME,
    GEN_AI_OUTPUT_MESSAGES,
    GEN_AI_PROVIDER_NAME,
    GEN_AI_REQUEST_MAX_TOKENS,
    GEN_AI_REQUEST_MODEL,
    GEN_AI_REQUEST_SEED,
    GEN_AI_REQUEST_STOP_SEQUENCES,
    GEN_AI_REQUEST_STREAM,
    GEN_AI_REQUEST_TEMPERATURE,
    GEN_AI_REQUEST_TOP_P,
    GEN_AI_RESPONSE_FINISH_REASONS,
    GEN_AI_RESPONSE_ID,
    GEN_AI_RESPONSE_MODEL,
    GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
    GEN_AI_SYSTEM_INSTRUCTIONS,
    GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    GEN_AI_USAGE_INPUT_TOKENS,
    GEN_AI_USAGE_OUTPUT_TOKENS,
)

from .mock_server import MockOpenAIServer

MESSAGES = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Weather in Paris?"}]
TOOLS = [
    {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}},
]
content_on = pytest.mark.parametrize("instrument_options", [{"capture_content": True}])


def only_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    spans = exporter.get_finished_spans()
    assert len(spans) == 1, [s.name for s in spans]
    return spans[0]


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


# --- chat completions ---------------------------------------------------------------------------------------------


def test_chat_completion_span(client: openai.OpenAI, exporter: InMemorySpanExporter, server: MockOpenAIServer) -> None:
    result = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,  # type: ignore[arg-type]
        temperature=0.3,
        top_p=0.9,
        max_tokens=50,
        seed=7,
        stop=["END"],
    )
    assert result.choices[0].message.content == "Hello there!"
    span = only_span(exporter)
    assert span.name == "chat gpt-4o-mini"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    a = attrs(span)
    assert a[GEN_AI_OPERATION_NAME] == "chat"
    assert a[GEN_AI_PROVIDER_NAME] == "openai"
    assert a[GEN_AI_REQUEST_MODEL] == "gpt-4o-mini"
    assert a[GEN_AI_REQUEST_TEMPERATURE] == 0.3
    assert a[GEN_AI_REQUEST_TOP_P] == 0.9
    assert a[GEN_AI_REQUEST_MAX_TOKENS] == 50
    assert a[GEN_AI_REQUEST_SEED] == 7
    assert a[GEN_AI_REQUEST_STOP_SEQUENCES] == ("END",)
    assert GEN_AI_REQUEST_STREAM not in a
    assert a[GEN_AI_RESPONSE_ID] == "chatcmpl-abc123"
    assert a[GEN_AI_RESPONSE_MODEL] == "gpt-4o-mini-2024-07-18"
    assert a[GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    assert a[GEN_AI_USAGE_INPUT_TOKENS] == 19
    assert a[GEN_AI_USAGE_OUTPUT_TOKENS] == 10
    assert a[GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 3
    assert a["server.address"] == "127.0.0.1"
    assert a["server.port"] == server.server_address[1]
    assert a[AGENT_STEP_ACTION_TYPE] == "llm_call"
    assert LLM_TOOL_CALL_NAMES not in a
    # content capture is off: no messages, no prompts
    assert GEN_AI_INPUT_MESSAGES not in a
    assert GEN_AI_OUTPUT_MESSAGES not in a
    assert "Weather" not in json.dumps(a)


def test_raw_response_gets_response_attributes(client: openai.OpenAI, exporter: InMemorySpanExporter) -> None:
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=MESSAGES)  # type: ignore[arg-type]
    completion = raw.parse()
    assert completion.choices[0].message.content == "Hello there!"
    assert raw.parse() is completion  # our parse() was cached: the caller gets the same object
    a = attrs(only_span(exporter))
    assert a[GEN_AI_RESPONSE_ID] == "chatcmpl-abc123"
    assert a[GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    assert a[GEN_AI_USAGE_INPUT_TOKENS] == 19
    assert a[GEN_AI_USAGE_OUTPUT_TOKENS] == 10


def test_raw_streaming_response_is_not_parsed(client: openai.OpenAI, exporter: InMemorySpanExporter) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini",
        messages=MESSAGES,  # type: ignore[arg-type]
        stream=True,
    )
    chunks = list(raw.parse())
    assert chunks
    span = only_span(exporter)
    assert GEN_AI_USAGE_INPUT_TOKENS not in attrs(span)


def test_tool_calls_visible_without_content(client: openai.OpenAI, exporter: InMemorySpanExporter) -> None:
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, tools=TOOLS)  # type: ignore[arg-type]
    a = attrs(only_span(exporter))
    assert a[GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_calls",)
    assert a[LLM_TOOL_CALL_NAMES] == ("get_weather", "get_time")
    assert a[LLM_TOOL_CALL_IDS] == ("call_weather_1", "call_time_2")
    assert "Paris" not in json.dumps(a)  # arguments are content


@content_on
def test_chat_content_capture(client: openai.OpenAI, exporter: InMemorySpanExporter) -> None:
    history = [
        *MESSAGES,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_0",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Rome"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_0", "content": "sunny"},
        {"role": "user", "content": [{"type": "text", "text": "and Paris?"}]},
    ]
    client.chat.completions.create(model="gpt-4o-mini", messages=history, tools=TOOLS)  # type: ignore[arg-type]
    a = attrs(only_span(exporter))
    inputs = json.loads(a[GEN_AI_INPUT_MESSAGES])
    assert inputs[0] == {"role": "system", "parts": [{"type": "text", "content": "You are terse."}]}
    assert inputs[2]["parts"] == [
        {"type": "tool_call", "id": "call_0", "name": "get_weather", "arguments": {"city": "Rome"}}
    ]
    assert inputs[3] == {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_0", "response": "sunny"}]}
    assert inputs[4]["parts"] == [{"type": "text", "content": "and Paris?"}]
    outputs = json.loads(a[GEN_AI_OUTPUT_MESSAGES])
    assert outputs == [
        {
            "role": "assistant",
            "parts": [
                {"type": "tool_call", "id": "call_weather_1", "name": "get_weather", "arguments": {"city": "Paris"}},
                {"type": "tool_call", "id": "call_time_2", "name": "get_time", "arguments": {"tz": "CET"}},
            ],
            "finish_reason": "tool_calls",
        }
    ]


def test_capture_content_env_setting_read_at_call_time(
    provider: TracerProvider, exporter: InMemorySpanExporter, server: MockOpenAIServer
) -> None:
    from otel_agent_trace._internal import settings

    inst = OpenAIInstrumentor()
    inst.instrument(tracer_provider=provider)
    try:
        with openai.OpenAI(api_key="sk", base_url=server.base_url, max_retries=0) as c:
            old = settings.get_settings()
            settings.update_settings(capture_content=True)
            try:
                c.chat.completions.create(model="m", messages=MESSAGES)  # type: ignore[arg-type]
            finally:
                settings.set_settings(old)
            c.chat.completions.create(model="m", messages=MESSAGES)  # type: ignore[arg-type]
    finally:
        inst.uninstrument()
    first, second = exporter.get_finished_spans()
    assert GEN_AI_INPUT_MESSAGES in attrs(first)
    assert GEN_AI_INPUT_MESSAGES not in attrs(second)


def test_result_identical_to_uninstrumented(
    client: openai.OpenAI, instrumentor: OpenAIInstrumentor, server: MockOpenAIServer, exporter: InMemorySpanExporter
) -> None:
    instrumented = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # type: ignore[arg-type]
    instrumentor.uninstrument()
    try:
        plain = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # type: ignore[arg-type]
    finally:
        instrumentor.instrument(tracer_provider=trace.NoOpTracerProvider())
    assert type(instrumented) is type(plain) is openai.types.chat.ChatCompletion
    assert instrumented.model_dump() == plain.model_dump()
    assert len(exporter.get_finished_spans()) == 1


def test_nests_under_current_span(
    client: openai.OpenAI, exporter: InMemorySpanExporter, provider: TracerProvider
) -> None:
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("execute_tool search") as parent:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # type: ignore[arg-type]
    llm, tool = exporter.get_finished_spans()
    assert llm.name == "chat gpt-4o-mini"
    assert llm.parent is not None
    assert llm.parent.span_id == parent.get_span_context().span_id
    assert tool.name == "execute_tool search"


# --- errors ---------------------------------------------------------------------------------------------------------


def test_rate_limit_error(client: openai.OpenAI, exporter: InMemorySpanExporter) -> None:
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(model="error-429", messages=MESSAGES)  # type: ignore[arg-type]
    assert info.value.status_code == 429
    span = only_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    a = attrs(span)
    assert a["error.type"] == "openai.RateLimitError"
    assert a[ERROR_CODE] == "rate_limit_exceeded"
    assert [e.name for e in span.events] == ["exception"]


def test_server_error_code_falls_back_to_status(client: openai.OpenAI, exporter: InMemorySpanExporter) -> None:
    with pytest.raises(openai.InternalServerError):
        client.embeddings.create(model="error-500", input="x")
    span = only_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert attrs(span)["error.type"] == "openai.InternalServerError"
    assert attrs(span)[ERROR_CODE] == "500"


def test_same_exception_object_reraised(
    client: openai.OpenAI, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    boom = ValueError("from the SDK")

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise boom

    monkeypatch.setattr(client, "post", fail)
    with pytest.raises(ValueError, match="from the SDK") as info:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # type: ignore[arg-type]
    assert info.value is boom
    assert attrs(only_span(exporter))["error.type"] == "ValueError"


# --- streaming ------------------------------------------------------------------------------------------------------


def test_stream_exhausted(client: openai.OpenAI, exporter: InMemorySpanExporter) -> None:
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,  # type: ignore[arg-type]
        stream=True,
        stream_options={"include_usage": True},
    )
    assert isinstance(stream, openai.Stream)
    assert stream.response.status_code == 200
    assert not exporter.get_finished_spans()
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text.startswith("Hello there!")
    span = only_span(exporter)
    a = attrs(span)
    assert a[GEN_AI_REQUEST_STREAM] is True
    assert a[GEN_AI_RESPONSE_ID] == "chatcmpl-stream1"
    assert a[GEN_AI_RESPONSE_MODEL] == "gpt-4o-mini-2024-07-18"
    assert a[GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    assert a[GEN_AI_USAGE_INPUT_TOKENS] == 11
    assert a[GEN_AI_USAGE_OUTPUT_TOKENS] == 24
    assert a[GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] >= 0
    assert GEN_AI_OUTPUT_MESSAGES not in a
    stream.close()  # closing after the end does not end the span twice
    assert len(exporter.get_finished_spans()) == 1


@content_on
def test_stream_tool_call_deltas(client: openai.OpenAI, exporter: InMemorySpanExporter) -> None:
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,  # type: ignore[arg-type]
        tools=TOOLS,  # type: ignore[arg-type]
        stream=True,
    )
    for _ in stream:
        pass
    a = attrs(only_span(exporter))
    assert a[LLM_TOOL_CALL_NAMES] == ("get_weather",)
    assert a[LLM_TOOL_CALL_IDS] == ("call_weather_1",)
    assert a[GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_calls",)
    assert json.loads(a[GEN_AI_OUTPUT_MESSAGES]) == [
        {
            "role": "assistant",
            "parts": [
                {"type": "tool_call", "id": "call_weather_1", "name": "get_weather", "arguments": {"city": "Paris"}}
            ],
            "finish_reason": "tool_calls",
        }
    ]


def test_stream_closed_early(client: openai.OpenAI, exporter: InMemorySpanExporter) -> None:
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)  # type: ignore[arg-type]
    first = next(stream)
    assert first.id == "chatcmpl-stream1"
    assert not exporter.get_finished_spans()
    stream.close()
    stream.close()
    span = only_span(exporter)
    assert span.status.status_code is StatusCode.UNSET
    assert attrs(span)[GEN_AI_RESPONSE_ID] == "chatcmpl-stream1"
    assert GEN_AI_RESPONSE_FINISH_REASONS not in attrs(span)


def test_stream_with_block(client: openai.OpenAI, exporter: InMemorySpanExporter) -> None:
    with client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True) as stream:  # type: ignore[arg-type]
        assert isinstance(stream, openai.Stream)
        next(iter(stream))
        assert not exporter.get_finished_spans()
    assert only_span(exporter).name == "chat gpt-4o-mini"


def test_stream_abandoned_is_ended_by_gc(client: openai.OpenAI, exporter: InMemorySpanExporter) -> None:
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)  # type: ignore[arg-type]
    next(stream)
    del stream
    gc.collect()
    span = only_span(exporter)
    assert attrs(span)[GEN_AI_RESPONSE_ID] == "chatcmpl-stream1"


def test_stream_raising_mid_way(
    client: openai.OpenAI, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)  # type: ignore[arg-type]
    next(stream)
    broken = openai.APIConnectionError(request=stream.response.request)

    def fail() -> Any:
        raise broken

    monkeypatch.setattr(stream.__wrapped__, "_iterator", type("It", (), {"__next__": staticmethod(fail)})())
    with pytest.raises(openai.APIConnectionError) as info:
        next(stream)
    assert info.value is broken
    span = only_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert attrs(span)["error.type"] == "openai.APIConnectionError"
    stream.close()
    assert len(exporter.get_finished_spans()) == 1


def test_chat_stream_helper_routes_through_create(client: openai.OpenAI, exporter: InMemorySpanExporter) -> None:
    with client.chat.completions.stream(model="gpt-4o-mini", messages=MESSAGES) as stream:  # type: ignore[arg-type]
        final = stream.get_final_completion()
    assert final.choices[0].message.content is not None
    assert final.choices[0].message.content.startswith("Hello there!")
    span = only_span(exporter)
    assert span.name == "chat gpt-4o-mini"
    assert attrs(span)[GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)


# --- responses and embeddings ---------------------------------------------------------------------------------------


@content_on
def test_responses_create(client: openai.OpenAI, exporter: InMemorySpanExporter) -> None:
    result = client.responses.create(
        model="gpt-4o", input="Say hi", instructions="Be brief", temperature=0.5, max_output_tokens=64
    )
    assert result.output_text == "Hi from responses"
    span = only_span(exporter)
    assert span.name == "chat gpt-4o"
    a = attrs(span)
    assert a[GEN_AI_OPERATION_NAME] == "chat"
    assert a[GEN_AI_REQUEST_TEMPERATURE] == 0.5
    assert a[GEN_AI_REQUEST_MAX_TOKENS] == 64
    assert a[GEN_AI_RESPONSE_ID] == "resp_abc123"
    assert a[GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    assert a[GEN_AI_USAGE_INPUT_TOKENS] == 12
    assert a[GEN_AI_USAGE_OUTPUT_TOKENS] == 5
    assert json.loads(a[GEN_AI_SYSTEM_INSTRUCTIONS]) == [{"type": "text", "content": "Be brief"}]
    assert json.loads(a[GEN_AI_INPUT_MESSAGES]) == [{"role": "user", "parts": [{"type": "text", "content": "Say hi"}]}]
    assert json.loads(a[GEN_AI_OUTPUT_MESSAGES]) == [
        {"role": "assistant", "parts": [{"type": "text", "content": "Hi from responses"}], "finish_reason": "stop"}
    ]


def test_responses_tool_call(client: openai.OpenAI, exporter: InMemorySpanExporter) -> None:
    client.responses.create(
        model="gpt-4o",
        input=[
            {"role": "user", "content": "look it up"},
            {"type": "function_call_output", "call_id": "call_0", "output": "42"},
        ],
        tools=[{"type": "function", "name": "lookup", "parameters": {}, "strict": False}],
    )
    a = attrs(only_span(exporter))
    assert a[LLM_TOOL_CALL_NAMES] == ("lookup",)
    assert a[LLM_TOOL_CALL_IDS] == ("call_lookup_1",)
    assert a[GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_calls",)
    assert GEN_AI_INPUT_MESSAGES not in a


def test_responses_stream_and_helper(client: openai.OpenAI, exporter: InMemorySpanExporter) -> None:
    events = [e.type for e in client.responses.create(model="gpt-4o", input="hi", stream=True)]
    assert events[-1] == "response.completed"
    with client.responses.stream(model="gpt-4o", input="hi") as stream:
        final = stream.get_final_response()
    assert final.output_text == "Hi from responses"
    spans = exporter.get_finished_spans()
    assert [s.name for s in spans] == ["chat gpt-4o", "chat gpt-4o"]
    for span in spans:
        a = attrs(span)
        assert a[GEN_AI_RESPONSE_ID] == "resp_abc123"
        assert a[GEN_AI_USAGE_OUTPUT_TOKENS] == 5
        assert a[GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
        assert a[GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] >= 0


def test_embeddings(client: openai.OpenAI, exporter: InMemorySpanExporter) -> None:
    result = client.embeddings.create(model="text-embedding-3-small", input=["a", "b"], encoding_format="float")
    assert len(result.data) == 2
    span = only_span(exporter)
    assert span.name == "embeddings text-embedding-3-small"
    a = attrs(span)
    assert a[GEN_AI_OPERATION_NAME] == "embeddings"
    assert a[GEN_AI_USAGE_INPUT_TOKENS] == 7
    assert a[GEN_AI_EMBEDDINGS_DIMENSION_COUNT] == 4
    assert a["gen_ai.request.encoding_formats"] == ("float",)


# --- async ----------------------------------------------------------------------------------------------------------


async def test_async_chat(async_client: openai.AsyncOpenAI, exporter: InMemorySpanExporter) -> None:
    result = await async_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # type: ignore[arg-type]
    assert result.choices[0].message.content == "Hello there!"
    span = only_span(exporter)
    assert span.name == "chat gpt-4o-mini"
    assert attrs(span)[GEN_AI_USAGE_OUTPUT_TOKENS] == 10


async def test_async_error(async_client: openai.AsyncOpenAI, exporter: InMemorySpanExporter) -> None:
    with pytest.raises(openai.RateLimitError):
        await async_client.chat.completions.create(model="error-429", messages=MESSAGES)  # type: ignore[arg-type]
    assert attrs(only_span(exporter))[ERROR_CODE] == "rate_limit_exceeded"


async def test_async_stream_exhausted(async_client: openai.AsyncOpenAI, exporter: InMemorySpanExporter) -> None:
    stream = await async_client.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,  # type: ignore[arg-type]
        stream=True,
        stream_options={"include_usage": True},
    )
    assert isinstance(stream, openai.AsyncStream)
    chunks = [c async for c in stream]
    assert chunks[-1].usage is not None
    a = attrs(only_span(exporter))
    assert a[GEN_AI_USAGE_OUTPUT_TOKENS] == 24
    assert a[GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)


async def test_async_stream_closed_and_with(async_client: openai.AsyncOpenAI, exporter: InMemorySpanExporter) -> None:
    stream = await async_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)  # type: ignore[arg-type]
    await stream.__anext__()
    await stream.close()
    assert len(exporter.get_finished_spans()) == 1
    async with await async_client.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,  # type: ignore[arg-type]
        stream=True,
    ) as stream2:
        async for _ in stream2:
            break
        assert len(exporter.get_finished_spans()) == 1
    assert len(exporter.get_finished_spans()) == 2


async def test_async_stream_abandoned(async_client: openai.AsyncOpenAI, exporter: InMemorySpanExporter) -> None:
    stream = await async_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)  # type: ignore[arg-type]
    await stream.__anext__()
    del stream
    gc.collect()
    assert attrs(only_span(exporter))[GEN_AI_RESPONSE_ID] == "chatcmpl-stream1"


async def test_async_responses_stream_helper(async_client: openai.AsyncOpenAI, exporter: InMemorySpanExporter) -> None:
    async with async_client.responses.stream(model="gpt-4o", input="hi") as stream:
        final = await stream.get_final_response()
    assert final.output_text == "Hi from responses"
    assert attrs(only_span(exporter))[GEN_AI_RESPONSE_ID] == "resp_abc123"


async def test_async_embeddings(async_client: openai.AsyncOpenAI, exporter: InMemorySpanExporter) -> None:
    await async_client.embeddings.create(model="text-embedding-3-small", input="a")
    assert only_span(exporter).name == "embeddings text-embedding-3-small"


# --- suppression, lifecycle, fault tolerance ------------------------------------------------------------------------


def test_suppress_instrumentation(client: openai.OpenAI, exporter: InMemorySpanExporter) -> None:
    with suppress_instrumentation():
        result = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # type: ignore[arg-type]
    assert result.id == "chatcmpl-abc123"
    assert exporter.get_finished_spans() == ()


def test_http_instrumentation_suppressed_during_call(
    client: openai.OpenAI, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    original = client.post

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(is_http_instrumentation_enabled())
        return original(*args, **kwargs)

    monkeypatch.setattr(client, "post", spy)
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # type: ignore[arg-type]
    assert seen == [False]
    assert is_http_instrumentation_enabled()
    assert len(exporter.get_finished_spans()) == 1


@pytest.mark.parametrize("instrument_options", [{"capture_http": True}])
def test_capture_http_keeps_http_instrumentation(
    client: openai.OpenAI, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[bool, bool]] = []
    original = client.post

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append((is_http_instrumentation_enabled(), trace.get_current_span().is_recording()))
        return original(*args, **kwargs)

    monkeypatch.setattr(client, "post", spy)
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # type: ignore[arg-type]
    assert seen == [(True, True)]  # the LLM span is current, so HTTP spans nest under it
    assert len(exporter.get_finished_spans()) == 1


def test_uninstrument_restores_originals(provider: TracerProvider, exporter: InMemorySpanExporter) -> None:
    from openai.resources.chat.completions import AsyncCompletions, Completions
    from openai.resources.embeddings import Embeddings
    from openai.resources.responses import Responses

    originals = {
        (cls, name): cls.__dict__[name]
        for cls in (Completions, AsyncCompletions, Responses, Embeddings)
        for name in ("create", "parse")
        if name in cls.__dict__
    }
    inst = OpenAIInstrumentor()
    inst.instrument(tracer_provider=provider)
    inst.instrument(tracer_provider=provider)  # idempotent: wrapped once
    create = Completions.__dict__["create"]
    assert create is not originals[(Completions, "create")]
    assert create.__wrapped__ is originals[(Completions, "create")]
    inst.uninstrument()
    for (cls, name), original in originals.items():
        assert cls.__dict__[name] is original
    assert exporter.get_finished_spans() == ()


def test_instrument_twice_records_one_span(
    client: openai.OpenAI, instrumentor: OpenAIInstrumentor, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    instrumentor.instrument(tracer_provider=provider)
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # type: ignore[arg-type]
    assert only_span(exporter).name == "chat gpt-4o-mini"


def test_internal_fault_in_response_extractor_is_swallowed(
    client: openai.OpenAI,
    exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def boom(*args: Any) -> None:
        raise RuntimeError("extractor bug")

    monkeypatch.setattr(_wrappers.CHAT_COMPLETIONS, "response", boom)
    with caplog.at_level(logging.DEBUG, logger="otel_agent_trace"):
        result = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # type: ignore[arg-type]
    assert type(result) is openai.types.chat.ChatCompletion
    assert result.choices[0].message.content == "Hello there!"
    span = only_span(exporter)  # the span still ends, with its request attributes
    assert attrs(span)[GEN_AI_REQUEST_MODEL] == "gpt-4o-mini"
    assert GEN_AI_RESPONSE_ID not in attrs(span)
    assert any("internal error" in r.getMessage() for r in caplog.records)


def test_internal_fault_in_request_extractor_calls_through(
    client: openai.OpenAI, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: Any) -> None:
        raise RuntimeError("extractor bug")

    monkeypatch.setattr(_wrappers.CHAT_COMPLETIONS, "request", boom)
    result = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # type: ignore[arg-type]
    assert result.id == "chatcmpl-abc123"
    assert exporter.get_finished_spans() == ()


def test_internal_fault_in_stream_accumulator_is_swallowed(
    client: openai.OpenAI, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    from otel_agent_trace.instrumentation.openai import _stream

    def boom(self: Any, chunk: Any) -> None:
        raise RuntimeError("accumulator bug")

    monkeypatch.setattr(_stream.ChatStreamState, "on_chunk", boom)
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)  # type: ignore[arg-type]
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text.startswith("Hello there!")
    assert only_span(exporter).name == "chat gpt-4o-mini"

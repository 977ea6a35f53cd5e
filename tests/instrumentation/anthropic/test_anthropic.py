"""AnthropicInstrumentor against the real SDK and a local mock of the Messages API."""

from __future__ import annotations

import gc
import json
import logging
import time
from typing import Any

import anthropic
import pytest
from anthropic.resources.messages import messages as messages_module
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from otel_agent_trace._internal.context import suppress_instrumentation, suppress_llm_instrumentation
from otel_agent_trace.instrumentation.anthropic import AnthropicInstrumentor, _extract, _wrappers

from .conftest import MockServer, finished, only_span

MODEL = "claude-test-model"
MESSAGES = [{"role": "user", "content": "What is the capital of France?"}]


def _create(client: anthropic.Anthropic, model: str = MODEL, **kwargs: Any) -> Any:
    return client.messages.create(model=model, max_tokens=256, messages=MESSAGES, **kwargs)


# --- non-streaming ---------------------------------------------------------------------------------------------


def test_sync_create_span_shape(
    client: anthropic.Anthropic, exporter: InMemorySpanExporter, mock_server: MockServer
) -> None:
    message = _create(client, extra_body={"temperature": 0.2, "top_p": 0.9, "top_k": 40}, stop_sequences=["END"])

    assert isinstance(message, anthropic.types.Message)
    span = only_span(exporter)
    assert span.name == f"chat {MODEL}"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    attrs = dict(span.attributes or {})
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.provider.name"] == "anthropic"
    assert attrs["agent_trace.step.action_type"] == "llm_call"
    assert attrs["gen_ai.request.model"] == MODEL
    assert attrs["gen_ai.request.max_tokens"] == 256
    assert attrs["gen_ai.request.temperature"] == 0.2
    assert attrs["gen_ai.request.top_p"] == 0.9
    assert attrs["gen_ai.request.top_k"] == 40
    assert attrs["gen_ai.request.stop_sequences"] == ("END",)
    assert "gen_ai.request.stream" not in attrs  # set if and only if the request streams
    assert attrs["gen_ai.response.id"] == "msg_text_01"
    assert attrs["gen_ai.response.model"] == "claude-sonnet-4-5-20250929"
    assert attrs["gen_ai.response.finish_reasons"] == ("end_turn",)
    # input tokens include cached ones (GenAI semconv); the cache counts are also given apart
    assert attrs["gen_ai.usage.input_tokens"] == 12 + 100 + 5
    assert attrs["gen_ai.usage.output_tokens"] == 8
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 100
    assert attrs["gen_ai.usage.cache_creation.input_tokens"] == 5
    assert attrs["server.address"] == "127.0.0.1"
    assert attrs["server.port"] == mock_server.server_address[1]
    assert "agent_trace.llm.tool_call.names" not in attrs
    for key in ("gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions"):
        assert key not in attrs


def test_tool_use_names_and_ids_always_recorded(client: anthropic.Anthropic, exporter: InMemorySpanExporter) -> None:
    _create(client, model="claude-tool")

    attrs = dict(only_span(exporter).attributes or {})
    assert attrs["agent_trace.llm.tool_call.names"] == ("get_weather", "get_time")
    assert attrs["agent_trace.llm.tool_call.ids"] == ("toolu_01", "toolu_02")
    assert attrs["gen_ai.response.finish_reasons"] == ("tool_use",)
    assert "gen_ai.output.messages" not in attrs


@pytest.mark.parametrize("instrument_kwargs", [{"capture_content": True}])
def test_content_capture_on(client: anthropic.Anthropic, exporter: InMemorySpanExporter) -> None:
    history = [
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_00", "name": "get_weather", "input": {"city": "Paris"}}],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_00", "content": "18C"}]},
    ]
    tools = [{"name": "get_weather", "description": "Weather", "input_schema": {"type": "object"}}]
    client.messages.create(model="claude-tool", max_tokens=64, messages=history, system="You are terse.", tools=tools)

    attrs = dict(only_span(exporter).attributes or {})
    inputs = json.loads(str(attrs["gen_ai.input.messages"]))
    assert inputs[0] == {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}
    assert inputs[1]["parts"][0] == {
        "type": "tool_call",
        "id": "toolu_00",
        "name": "get_weather",
        "arguments": {"city": "Paris"},
    }
    assert inputs[2]["parts"][0] == {"type": "tool_call_response", "id": "toolu_00", "response": "18C"}
    assert json.loads(str(attrs["gen_ai.system_instructions"])) == [{"type": "text", "content": "You are terse."}]
    assert json.loads(str(attrs["gen_ai.tool.definitions"]))[0]["name"] == "get_weather"
    outputs = json.loads(str(attrs["gen_ai.output.messages"]))
    assert outputs == [
        {
            "role": "assistant",
            "parts": [
                {"type": "text", "content": "Let me look that up."},
                {"type": "tool_call", "id": "toolu_01", "name": "get_weather", "arguments": {"city": "Paris"}},
                {"type": "tool_call", "id": "toolu_02", "name": "get_time", "arguments": {"tz": "CET"}},
            ],
            "finish_reason": "tool_call",
        }
    ]


@pytest.mark.parametrize("instrument_kwargs", [{"capture_content": True}])
def test_generator_messages_are_not_consumed_by_us(
    client: anthropic.Anthropic, exporter: InMemorySpanExporter, mock_server: MockServer
) -> None:
    def messages() -> Any:
        yield {"role": "user", "content": "hi"}

    client.messages.create(model=MODEL, max_tokens=8, messages=messages())

    assert mock_server.requests[-1]["body"]["messages"] == [{"role": "user", "content": "hi"}]
    attrs = dict(only_span(exporter).attributes or {})
    assert "gen_ai.input.messages" not in attrs
    assert "gen_ai.output.messages" in attrs


async def test_async_create(aclient: anthropic.AsyncAnthropic, exporter: InMemorySpanExporter) -> None:
    tracer = trace.get_tracer("test", tracer_provider=exporter_provider(exporter))
    with tracer.start_as_current_span("agent step") as parent:
        message = await aclient.messages.create(model="claude-tool", max_tokens=10, messages=MESSAGES)

    assert message.stop_reason == "tool_use"
    spans = {s.name: s for s in finished(exporter)}
    span = spans["chat claude-tool"]
    assert span.parent is not None
    assert span.parent.span_id == parent.get_span_context().span_id
    assert span.attributes is not None
    assert span.attributes["agent_trace.llm.tool_call.names"] == ("get_weather", "get_time")
    assert "gen_ai.request.stream" not in span.attributes


def exporter_provider(exporter: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


def test_parse_is_traced(client: anthropic.Anthropic, exporter: InMemorySpanExporter) -> None:
    parsed = client.messages.parse(model=MODEL, max_tokens=32, messages=MESSAGES)

    assert parsed.id == "msg_text_01"
    span = only_span(exporter)
    assert span.name == f"chat {MODEL}"
    assert span.attributes is not None
    assert span.attributes["gen_ai.response.id"] == "msg_text_01"


# --- errors ----------------------------------------------------------------------------------------------------


def test_overloaded_error(client: anthropic.Anthropic, exporter: InMemorySpanExporter) -> None:
    with pytest.raises(anthropic.APIStatusError) as info:
        _create(client, model="claude-overloaded")

    assert info.value.status_code == 529
    span = only_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    attrs = dict(span.attributes or {})
    assert attrs["error.type"].endswith(type(info.value).__name__)
    assert attrs["agent_trace.error.code"] == "overloaded_error"
    assert any(event.name == "exception" for event in span.events)


async def test_async_bad_request(aclient: anthropic.AsyncAnthropic, exporter: InMemorySpanExporter) -> None:
    with pytest.raises(anthropic.BadRequestError) as info:
        await aclient.messages.create(model="claude-bad", max_tokens=10, messages=MESSAGES)

    span = only_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    attrs = dict(span.attributes or {})
    assert attrs["agent_trace.error.code"] == "invalid_request_error"
    assert attrs["error.type"].endswith("BadRequestError")
    assert info.value.status_code == 400


def test_same_exception_as_uninstrumented(mock_server: MockServer, provider: TracerProvider) -> None:
    def call() -> BaseException:
        c = anthropic.Anthropic(api_key="k", base_url=mock_server.base_url, max_retries=0, open_telemetry=False)
        try:
            _create(c, model="claude-overloaded")
        except anthropic.APIStatusError as exc:
            return exc
        raise AssertionError("no error")

    plain = call()
    inst = AnthropicInstrumentor()
    inst.instrument(tracer_provider=provider)
    try:
        traced = call()
    finally:
        inst.uninstrument()
    assert type(traced) is type(plain)
    assert traced.body == plain.body
    assert str(traced) == str(plain)


def test_error_code_falls_back_to_status() -> None:
    class Err(Exception):
        status_code = 503
        body = None

    assert _extract.error_code(Err()) == "503"
    assert _extract.error_code(ValueError("x")) is None


# --- streaming -------------------------------------------------------------------------------------------------


def test_stream_exhausted(client: anthropic.Anthropic, exporter: InMemorySpanExporter) -> None:
    stream = _create(client, stream=True)
    assert isinstance(stream, anthropic.Stream)
    assert finished(exporter) == []
    events = list(stream)

    assert events[-1].type == "message_stop"
    span = only_span(exporter)
    attrs = dict(span.attributes or {})
    assert attrs["gen_ai.request.stream"] is True
    assert attrs["gen_ai.response.id"] == "msg_stream_01"
    assert attrs["gen_ai.response.finish_reasons"] == ("end_turn",)
    assert attrs["gen_ai.usage.input_tokens"] == 35
    assert attrs["gen_ai.usage.output_tokens"] == 15
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 10
    assert attrs["gen_ai.response.time_to_first_chunk"] >= 0
    assert "gen_ai.output.messages" not in attrs


@pytest.mark.parametrize("instrument_kwargs", [{"capture_content": True}])
def test_stream_tool_use_with_content(client: anthropic.Anthropic, exporter: InMemorySpanExporter) -> None:
    with _create(client, model="claude-tool", stream=True) as stream:
        for _ in stream:
            pass

    span = only_span(exporter)
    attrs = dict(span.attributes or {})
    assert attrs["agent_trace.llm.tool_call.names"] == ("search",)
    assert attrs["agent_trace.llm.tool_call.ids"] == ("toolu_s1",)
    assert attrs["gen_ai.response.finish_reasons"] == ("tool_use",)
    outputs = json.loads(str(attrs["gen_ai.output.messages"]))
    assert outputs[0]["parts"] == [
        {"type": "text", "content": "Searching."},
        {"type": "tool_call", "id": "toolu_s1", "name": "search", "arguments": {"query": "otel"}},
    ]
    assert outputs[0]["finish_reason"] == "tool_call"


def test_stream_closed_early(client: anthropic.Anthropic, exporter: InMemorySpanExporter) -> None:
    stream = _create(client, stream=True)
    first = next(iter(stream))
    assert first.type == "message_start"
    assert finished(exporter) == []
    stream.close()
    stream.close()

    span = only_span(exporter)
    attrs = dict(span.attributes or {})
    assert attrs["gen_ai.response.id"] == "msg_stream_01"
    assert "gen_ai.response.finish_reasons" not in attrs
    assert span.status.status_code is StatusCode.UNSET


def test_stream_with_exit_before_end(client: anthropic.Anthropic, exporter: InMemorySpanExporter) -> None:
    with _create(client, stream=True) as stream:
        for event in stream:
            if event.type == "content_block_delta":
                break
    span = only_span(exporter)
    assert span.attributes is not None
    assert span.attributes["gen_ai.response.id"] == "msg_stream_01"


def test_stream_error_mid_stream(client: anthropic.Anthropic, exporter: InMemorySpanExporter) -> None:
    stream = _create(client, model="claude-midfail", stream=True)
    with pytest.raises(anthropic.APIStatusError):
        for _ in stream:
            pass
    stream.close()

    span = only_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["agent_trace.error.code"] == "overloaded_error"


def test_stream_abandoned_is_ended_by_gc(client: anthropic.Anthropic, exporter: InMemorySpanExporter) -> None:
    stream = _create(client, stream=True)
    next(iter(stream))
    del stream
    for _ in range(20):  # the stream sits in a reference cycle with its iterator; collect until the proxy is freed
        gc.collect()
        if exporter.get_finished_spans():
            break
        time.sleep(0.05)

    span = only_span(exporter)
    assert span.name == f"chat {MODEL}"
    assert span.end_time is not None


async def test_async_stream_exhausted(aclient: anthropic.AsyncAnthropic, exporter: InMemorySpanExporter) -> None:
    stream = await aclient.messages.create(model=MODEL, max_tokens=10, messages=MESSAGES, stream=True)
    assert isinstance(stream, anthropic.AsyncStream)
    kinds = [event.type async for event in stream]

    assert kinds[0] == "message_start"
    span = only_span(exporter)
    assert span.attributes is not None
    assert span.attributes["gen_ai.usage.output_tokens"] == 15
    assert span.attributes["gen_ai.response.finish_reasons"] == ("end_turn",)


async def test_async_stream_closed_early(aclient: anthropic.AsyncAnthropic, exporter: InMemorySpanExporter) -> None:
    async with await aclient.messages.create(model=MODEL, max_tokens=10, messages=MESSAGES, stream=True) as stream:
        async for _ in stream:
            break
    span = only_span(exporter)
    assert span.attributes is not None
    assert span.attributes["gen_ai.response.id"] == "msg_stream_01"


# --- the messages.stream() helper --------------------------------------------------------------------------------


@pytest.mark.parametrize("instrument_kwargs", [{"capture_content": True}])
def test_stream_helper_one_span(client: anthropic.Anthropic, exporter: InMemorySpanExporter) -> None:
    manager = client.messages.stream(model=MODEL, max_tokens=50, messages=MESSAGES)
    assert finished(exporter) == []  # nothing is sent before __enter__
    with manager as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()

    assert text == "Hello, world!"
    assert final.stop_reason == "end_turn"
    span = only_span(exporter)
    attrs = dict(span.attributes or {})
    assert span.name == f"chat {MODEL}"
    assert attrs["gen_ai.request.stream"] is True
    assert attrs["gen_ai.usage.output_tokens"] == 15
    outputs = json.loads(str(attrs["gen_ai.output.messages"]))
    assert outputs[0]["parts"] == [{"type": "text", "content": "Hello, world!"}]


def test_stream_helper_get_final_message(client: anthropic.Anthropic, exporter: InMemorySpanExporter) -> None:
    with client.messages.stream(model="claude-tool", max_tokens=50, messages=MESSAGES) as stream:
        final = stream.get_final_message()
    assert final.content[1].type == "tool_use"
    attrs = dict(only_span(exporter).attributes or {})
    assert attrs["agent_trace.llm.tool_call.names"] == ("search",)


def test_stream_helper_exit_early(client: anthropic.Anthropic, exporter: InMemorySpanExporter) -> None:
    with client.messages.stream(model=MODEL, max_tokens=50, messages=MESSAGES) as stream:
        for _ in stream:
            break
    span = only_span(exporter)
    assert span.end_time is not None


async def test_async_stream_helper(aclient: anthropic.AsyncAnthropic, exporter: InMemorySpanExporter) -> None:
    async with aclient.messages.stream(model="claude-tool", max_tokens=50, messages=MESSAGES) as stream:
        final = await stream.get_final_message()

    assert final.stop_reason == "tool_use"
    span = only_span(exporter)
    attrs = dict(span.attributes or {})
    assert attrs["agent_trace.llm.tool_call.ids"] == ("toolu_s1",)
    assert attrs["gen_ai.request.stream"] is True


def test_stream_helper_error_on_enter(client: anthropic.Anthropic, exporter: InMemorySpanExporter) -> None:
    with pytest.raises(anthropic.APIStatusError):  # noqa: SIM117
        with client.messages.stream(model="claude-overloaded", max_tokens=5, messages=MESSAGES):
            pass
    span = only_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["agent_trace.error.code"] == "overloaded_error"


# --- duplicates with the SDK's own spans --------------------------------------------------------------------------


def _sdk_traced_client(mock_server: MockServer, provider: TracerProvider) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key="k",
        base_url=mock_server.base_url,
        max_retries=0,
        open_telemetry={"tracer_provider": provider},
    )


def test_sdk_span_is_skipped_for_our_calls(
    mock_server: MockServer,
    instrumentor: AnthropicInstrumentor,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    client = _sdk_traced_client(mock_server, provider)
    _create(client)
    stream = _create(client, stream=True)
    list(stream)

    names = [s.name for s in finished(exporter)]
    assert names == [f"chat {MODEL}", f"chat {MODEL}"]
    assert "anthropic.messages.create" not in names


def test_sdk_span_kept_without_instrumentation(
    mock_server: MockServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    client = _sdk_traced_client(mock_server, provider)
    _create(client)
    assert [s.name for s in finished(exporter)] == ["anthropic.messages.create"]


@pytest.mark.parametrize("instrument_kwargs", [{"keep_sdk_spans": True}])
def test_keep_sdk_spans_nests_sdk_span(
    mock_server: MockServer,
    instrumentor: AnthropicInstrumentor,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    client = _sdk_traced_client(mock_server, provider)
    _create(client)
    spans = {s.name: s for s in finished(exporter)}
    ours, sdk = spans[f"chat {MODEL}"], spans["anthropic.messages.create"]
    assert sdk.parent is not None
    assert sdk.parent.span_id == ours.context.span_id


# --- suppression, lifecycle, faults -------------------------------------------------------------------------------


def test_suppress_instrumentation(client: anthropic.Anthropic, exporter: InMemorySpanExporter) -> None:
    with suppress_instrumentation():
        _create(client)
        list(_create(client, stream=True))
        with client.messages.stream(model=MODEL, max_tokens=5, messages=MESSAGES) as stream:
            stream.until_done()
    assert finished(exporter) == []


def test_suppress_llm_instrumentation(client: anthropic.Anthropic, exporter: InMemorySpanExporter) -> None:
    with suppress_llm_instrumentation():
        _create(client)
    assert finished(exporter) == []


def test_uninstrument_restores_originals(provider: TracerProvider) -> None:
    originals = {
        (cls, name): vars(cls)[name]
        for cls in (messages_module.Messages, messages_module.AsyncMessages)
        for name in ("create", "parse", "stream")
    }
    import anthropic._base_client as base_client

    original_gate = base_client.start_api_call_span
    inst = AnthropicInstrumentor()
    inst.instrument(tracer_provider=provider)
    inst.instrument(tracer_provider=provider)  # idempotent
    for (cls, name), func in originals.items():
        assert vars(cls)[name] is not func
        assert vars(cls)[name].__wrapped__ is func  # wrapped once, not twice
    inst.uninstrument()
    for (cls, name), func in originals.items():
        assert vars(cls)[name] is func
    assert base_client.start_api_call_span is original_gate


def test_instrument_twice_makes_one_span(
    client: anthropic.Anthropic,
    instrumentor: AnthropicInstrumentor,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    instrumentor.instrument(tracer_provider=provider)
    _create(client)
    assert len(finished(exporter)) == 1


def test_uninstrumented_client_makes_no_span(
    mock_server: MockServer, instrumentor: AnthropicInstrumentor, exporter: InMemorySpanExporter
) -> None:
    instrumentor.uninstrument()
    c = anthropic.Anthropic(api_key="k", base_url=mock_server.base_url, max_retries=0, open_telemetry=False)
    _create(c)
    assert finished(exporter) == []
    instrumentor.instrument(tracer_provider=exporter_provider(exporter))


def test_returns_identical_objects(
    mock_server: MockServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    c = anthropic.Anthropic(api_key="k", base_url=mock_server.base_url, max_retries=0, open_telemetry=False)
    plain = _create(c, model="claude-tool")
    plain_events = [e.model_dump() for e in _create(c, stream=True)]
    inst = AnthropicInstrumentor()
    inst.instrument(tracer_provider=provider)
    try:
        traced = _create(c, model="claude-tool")
        traced_stream = _create(c, stream=True)
        traced_events = [e.model_dump() for e in traced_stream]
    finally:
        inst.uninstrument()
    assert type(traced) is type(plain)
    assert traced.model_dump() == plain.model_dump()
    assert isinstance(traced_stream, anthropic.Stream)
    assert traced_stream.response.status_code == 200
    assert traced_events == plain_events
    assert len(finished(exporter)) == 2


def test_internal_fault_is_swallowed(
    client: anthropic.Anthropic,
    exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("extractor bug")

    monkeypatch.setattr(_wrappers, "request_attributes", boom)
    with caplog.at_level(logging.DEBUG, logger="otel_agent_trace"):
        message = _create(client)
    assert message.id == "msg_text_01"
    assert finished(exporter) == []  # no span could start: the call ran untraced
    assert any("extractor bug" in (r.exc_text or "") or r.exc_info for r in caplog.records)


def test_response_fault_still_ends_span(
    client: anthropic.Anthropic, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("response extractor bug")

    from otel_agent_trace.instrumentation.anthropic import _stream

    monkeypatch.setattr(_stream, "message_attributes", boom)
    message = _create(client)
    assert message.id == "msg_text_01"
    span = only_span(exporter)
    assert span.attributes is not None
    assert span.attributes["gen_ai.request.model"] == MODEL

    monkeypatch.setattr(_stream.StreamAccumulator, "observe", boom)
    events = list(_create(client, stream=True))
    assert len(events) == 9
    assert len(finished(exporter)) == 2


def test_http_spans_suppressed_by_default(client: anthropic.Anthropic) -> None:
    from opentelemetry.instrumentation.utils import is_http_instrumentation_enabled

    seen: list[bool] = []

    def gate(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        seen.append(is_http_instrumentation_enabled())
        return wrapped(*args, **kwargs)

    import wrapt

    wrapt.wrap_function_wrapper("anthropic._base_client", "SyncAPIClient._attempt_request", gate)
    try:
        _create(client)
    finally:
        from opentelemetry.instrumentation.utils import unwrap

        unwrap(anthropic._base_client.SyncAPIClient, "_attempt_request")
    assert seen == [False]


@pytest.mark.parametrize("instrument_kwargs", [{"capture_http": True}])
def test_capture_http_opts_back_in(client: anthropic.Anthropic, exporter: InMemorySpanExporter) -> None:
    from opentelemetry.instrumentation.utils import is_http_instrumentation_enabled

    seen: list[bool] = []
    import wrapt
    from opentelemetry.instrumentation.utils import unwrap

    def gate(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        seen.append(is_http_instrumentation_enabled())
        return wrapped(*args, **kwargs)

    wrapt.wrap_function_wrapper("anthropic._base_client", "SyncAPIClient._attempt_request", gate)
    try:
        _create(client)
    finally:
        unwrap(anthropic._base_client.SyncAPIClient, "_attempt_request")
    assert seen == [True]
    assert len(finished(exporter)) == 1


def test_sdk_span_also_skipped_when_suppressed(
    mock_server: MockServer,
    instrumentor: AnthropicInstrumentor,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    client = _sdk_traced_client(mock_server, provider)
    with suppress_instrumentation():
        _create(client)
    with suppress_llm_instrumentation():
        _create(client)
    assert finished(exporter) == []
    client.messages.count_tokens(model=MODEL, messages=MESSAGES)  # not ours: the SDK keeps its own span
    assert [s.name for s in finished(exporter)] == ["anthropic.messages.count_tokens"]

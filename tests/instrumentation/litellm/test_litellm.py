"""LiteLLMInstrumentor against the real litellm and a local OpenAI-compatible mock server."""

from __future__ import annotations

import gc
import json
from typing import Any

import litellm
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from otel_agent_trace._internal.context import is_llm_instrumentation_enabled, suppress_instrumentation
from otel_agent_trace.instrumentation._genai import litellm_provider_name
from otel_agent_trace.instrumentation.litellm import LiteLLMInstrumentor

from .conftest import MockServer, finished, only_span

MESSAGES = [{"role": "user", "content": "Capital of France?"}]


def _kwargs(server: MockServer, model: str = "openai/gpt-mock", **extra: Any) -> dict[str, Any]:
    return {
        "model": model,
        "messages": MESSAGES,
        "api_base": server.api_base,
        "api_key": "sk-test",
        "max_retries": 0,
        "num_retries": 0,
        **extra,
    }


def test_completion_span_shape(
    instrumentor: LiteLLMInstrumentor, exporter: InMemorySpanExporter, mock_server: MockServer
) -> None:
    response = litellm.completion(**_kwargs(mock_server, max_tokens=32, temperature=0.5, stop=["END"], seed=7))

    assert response.choices[0].message.content == "Paris."
    span = only_span(exporter)
    assert span.name == "chat gpt-mock"
    assert span.kind is SpanKind.CLIENT
    attrs = dict(span.attributes or {})
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.provider.name"] == "openai"
    assert attrs["agent_trace.step.action_type"] == "llm_call"
    assert attrs["gen_ai.request.model"] == "gpt-mock"
    assert attrs["gen_ai.request.max_tokens"] == 32
    assert attrs["gen_ai.request.temperature"] == 0.5
    assert attrs["gen_ai.request.stop_sequences"] == ("END",)
    assert attrs["gen_ai.request.seed"] == 7
    assert "gen_ai.request.stream" not in attrs  # set if and only if the request streams
    assert attrs["gen_ai.response.id"] == "chatcmpl-text-1"
    assert attrs["gen_ai.response.model"] == "gpt-mock-2024-01-01"
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["gen_ai.usage.input_tokens"] == 20
    assert attrs["gen_ai.usage.output_tokens"] == 3
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 8
    assert attrs["server.address"] == "127.0.0.1"
    assert attrs["server.port"] == mock_server.server_address[1]
    assert "gen_ai.input.messages" not in attrs
    assert "gen_ai.output.messages" not in attrs


def test_tool_calls_always_recorded(
    instrumentor: LiteLLMInstrumentor, exporter: InMemorySpanExporter, mock_server: MockServer
) -> None:
    litellm.completion(**_kwargs(mock_server, model="openai/gpt-tool"))
    attrs = dict(only_span(exporter).attributes or {})
    assert attrs["agent_trace.llm.tool_call.names"] == ("get_weather", "get_time")
    assert attrs["agent_trace.llm.tool_call.ids"] == ("call_1", "call_2")
    assert attrs["gen_ai.response.finish_reasons"] == ("tool_calls",)


@pytest.mark.parametrize("instrument_kwargs", [{"capture_content": True}])
def test_content_capture(
    instrumentor: LiteLLMInstrumentor, exporter: InMemorySpanExporter, mock_server: MockServer
) -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_0", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "call_0", "content": "sunny"},
    ]
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    litellm.completion(**{**_kwargs(mock_server, model="openai/gpt-tool"), "messages": messages, "tools": tools})

    attrs = dict(only_span(exporter).attributes or {})
    inputs = json.loads(str(attrs["gen_ai.input.messages"]))
    assert inputs[0] == {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]}
    assert inputs[2]["parts"] == [{"type": "tool_call", "id": "call_0", "name": "get_weather", "arguments": {}}]
    assert inputs[3] == {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_0", "response": "sunny"}]}
    assert json.loads(str(attrs["gen_ai.tool.definitions"]))[0]["name"] == "get_weather"
    outputs = json.loads(str(attrs["gen_ai.output.messages"]))
    assert outputs[0]["finish_reason"] == "tool_calls"
    assert outputs[0]["parts"][0] == {
        "type": "tool_call",
        "id": "call_1",
        "name": "get_weather",
        "arguments": {"city": "Paris"},
    }


async def test_acompletion(
    instrumentor: LiteLLMInstrumentor, exporter: InMemorySpanExporter, mock_server: MockServer
) -> None:
    response = await litellm.acompletion(**_kwargs(mock_server))
    assert response.id == "chatcmpl-text-1"
    span = only_span(exporter)
    assert span.name == "chat gpt-mock"
    assert span.attributes is not None
    assert span.attributes["gen_ai.usage.output_tokens"] == 3


def test_provider_resolution_without_prefix(
    instrumentor: LiteLLMInstrumentor, exporter: InMemorySpanExporter, mock_server: MockServer
) -> None:
    litellm.completion(**_kwargs(mock_server, model="gpt-mock", custom_llm_provider="openai"))
    attrs = dict(only_span(exporter).attributes or {})
    assert attrs["gen_ai.provider.name"] == "openai"
    assert litellm_provider_name("bedrock") == "aws.bedrock"
    assert litellm_provider_name("hosted_vllm") == "hosted_vllm"
    assert litellm_provider_name(None) == "litellm"


# --- streams -------------------------------------------------------------------------------------------------------


def test_stream_exhausted(
    instrumentor: LiteLLMInstrumentor, exporter: InMemorySpanExporter, mock_server: MockServer
) -> None:
    stream = litellm.completion(**_kwargs(mock_server, stream=True, stream_options={"include_usage": True}))
    assert finished(exporter) == []
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)

    assert text == "Hello, world"
    span = only_span(exporter)
    attrs = dict(span.attributes or {})
    assert attrs["gen_ai.request.stream"] is True
    assert attrs["gen_ai.response.id"] == "chatcmpl-stream-1"
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["gen_ai.usage.output_tokens"] == 4
    assert attrs["gen_ai.response.time_to_first_chunk"] >= 0


@pytest.mark.parametrize("instrument_kwargs", [{"capture_content": True}])
def test_stream_tool_calls(
    instrumentor: LiteLLMInstrumentor, exporter: InMemorySpanExporter, mock_server: MockServer
) -> None:
    for _ in litellm.completion(**_kwargs(mock_server, model="openai/gpt-tool", stream=True)):
        pass
    attrs = dict(only_span(exporter).attributes or {})
    assert attrs["agent_trace.llm.tool_call.names"] == ("search",)
    assert attrs["agent_trace.llm.tool_call.ids"] == ("call_s1",)
    outputs = json.loads(str(attrs["gen_ai.output.messages"]))
    assert outputs[0]["parts"] == [{"type": "tool_call", "id": "call_s1", "name": "search", "arguments": {"q": "otel"}}]


async def test_async_stream(
    instrumentor: LiteLLMInstrumentor, exporter: InMemorySpanExporter, mock_server: MockServer
) -> None:
    stream = await litellm.acompletion(**_kwargs(mock_server, stream=True))
    pieces = [chunk.choices[0].delta.content async for chunk in stream if chunk.choices]
    assert "Hello" in pieces
    span = only_span(exporter)
    assert span.attributes is not None
    assert span.attributes["gen_ai.response.finish_reasons"] == ("stop",)


def test_stream_closed_early(
    instrumentor: LiteLLMInstrumentor, exporter: InMemorySpanExporter, mock_server: MockServer
) -> None:
    stream = litellm.completion(**_kwargs(mock_server, stream=True))
    next(iter(stream))
    stream.close()
    stream.close()
    span = only_span(exporter)
    assert span.attributes is not None
    assert span.attributes["gen_ai.response.id"] == "chatcmpl-stream-1"
    assert span.status.status_code is StatusCode.UNSET


def test_stream_with_exit(
    instrumentor: LiteLLMInstrumentor, exporter: InMemorySpanExporter, mock_server: MockServer
) -> None:
    with litellm.completion(**_kwargs(mock_server, stream=True)) as stream:
        for _ in stream:
            break
    assert only_span(exporter).end_time is not None


def test_stream_abandoned(
    instrumentor: LiteLLMInstrumentor, exporter: InMemorySpanExporter, mock_server: MockServer
) -> None:
    stream = litellm.completion(**_kwargs(mock_server, stream=True))
    next(iter(stream))
    del stream
    gc.collect()
    span = only_span(exporter)
    assert span.name == "chat gpt-mock"


# --- errors ----------------------------------------------------------------------------------------------------------


def test_rate_limit_error(
    instrumentor: LiteLLMInstrumentor, exporter: InMemorySpanExporter, mock_server: MockServer
) -> None:
    with pytest.raises(litellm.RateLimitError) as info:
        litellm.completion(**_kwargs(mock_server, model="openai/gpt-ratelimited"))

    span = only_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    attrs = dict(span.attributes or {})
    assert attrs["error.type"].endswith("RateLimitError")
    assert attrs["agent_trace.error.code"] in ("rate_limit_exceeded", "429")
    assert info.value.status_code == 429


async def test_async_bad_request(
    instrumentor: LiteLLMInstrumentor, exporter: InMemorySpanExporter, mock_server: MockServer
) -> None:
    with pytest.raises(litellm.BadRequestError):
        await litellm.acompletion(**_kwargs(mock_server, model="openai/gpt-bad"))
    span = only_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["agent_trace.error.code"] in ("invalid_request_error", "400")


# --- duplicates, suppression, lifecycle ------------------------------------------------------------------------------


def test_nested_sdk_call_runs_with_llm_instrumentation_suppressed(
    instrumentor: LiteLLMInstrumentor, exporter: InMemorySpanExporter, mock_server: MockServer
) -> None:
    import openai
    import wrapt
    from opentelemetry.instrumentation.utils import unwrap

    seen: list[bool] = []

    def spy(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        seen.append(is_llm_instrumentation_enabled())
        return wrapped(*args, **kwargs)

    wrapt.wrap_function_wrapper(openai._base_client, "SyncAPIClient.request", spy)
    try:
        litellm.completion(**_kwargs(mock_server))
    finally:
        unwrap(openai._base_client.SyncAPIClient, "request")
    assert seen == [False]
    assert is_llm_instrumentation_enabled()
    assert len(finished(exporter)) == 1


def test_one_span_with_openai_instrumentor_on(
    instrumentor: LiteLLMInstrumentor, provider: TracerProvider, exporter: InMemorySpanExporter, mock_server: MockServer
) -> None:
    openai_module = pytest.importorskip("otel_agent_trace.instrumentation.openai")
    openai_instrumentor = openai_module.OpenAIInstrumentor()
    openai_instrumentor.instrument(tracer_provider=provider)
    try:
        litellm.completion(**_kwargs(mock_server))
    finally:
        openai_instrumentor.uninstrument()
    assert [s.name for s in finished(exporter)] == ["chat gpt-mock"]


def test_suppress_instrumentation(
    instrumentor: LiteLLMInstrumentor, exporter: InMemorySpanExporter, mock_server: MockServer
) -> None:
    with suppress_instrumentation():
        litellm.completion(**_kwargs(mock_server))
        list(litellm.completion(**_kwargs(mock_server, stream=True)))
    assert finished(exporter) == []


def test_uninstrument_restores_originals(provider: TracerProvider) -> None:
    original_completion, original_acompletion = litellm.completion, litellm.acompletion
    inst = LiteLLMInstrumentor()
    inst.instrument(tracer_provider=provider)
    inst.instrument(tracer_provider=provider)
    assert litellm.completion.__wrapped__ is original_completion  # type: ignore[attr-defined]
    assert litellm.acompletion.__wrapped__ is original_acompletion  # type: ignore[attr-defined]
    inst.uninstrument()
    assert litellm.completion is original_completion
    assert litellm.acompletion is original_acompletion


def test_returns_identical_objects(
    provider: TracerProvider, exporter: InMemorySpanExporter, mock_server: MockServer
) -> None:
    plain = litellm.completion(**_kwargs(mock_server, model="openai/gpt-tool"))
    inst = LiteLLMInstrumentor()
    inst.instrument(tracer_provider=provider)
    try:
        traced = litellm.completion(**_kwargs(mock_server, model="openai/gpt-tool"))
        stream = litellm.completion(**_kwargs(mock_server, stream=True))
        chunks = list(stream)
    finally:
        inst.uninstrument()
    assert type(traced) is type(plain)
    assert traced.choices[0].message.model_dump() == plain.choices[0].message.model_dump()
    assert isinstance(stream, litellm.CustomStreamWrapper)
    assert chunks
    assert len(finished(exporter)) == 2


def test_internal_fault_is_swallowed(
    instrumentor: LiteLLMInstrumentor,
    exporter: InMemorySpanExporter,
    mock_server: MockServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import otel_agent_trace.instrumentation.litellm as module

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("extractor bug")

    monkeypatch.setattr(module, "request_attributes", boom)
    response = litellm.completion(**_kwargs(mock_server))
    assert response.id == "chatcmpl-text-1"
    assert finished(exporter) == []

    monkeypatch.undo()
    from otel_agent_trace.instrumentation.litellm import _stream

    monkeypatch.setattr(_stream, "response_attributes", boom)
    response = litellm.completion(**_kwargs(mock_server))
    assert response.id == "chatcmpl-text-1"
    span = only_span(exporter)
    assert span.attributes is not None
    assert span.attributes["gen_ai.request.model"] == "gpt-mock"

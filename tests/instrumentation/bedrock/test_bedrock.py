"""BedrockInstrumentor against the real boto3/botocore and a local mock of the Bedrock Runtime API."""

from __future__ import annotations

import gc
import json
from typing import Any

import botocore.client
import pytest
from botocore.eventstream import EventStream
from botocore.exceptions import ClientError, EventStreamError
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from otel_agent_trace._internal.context import suppress_instrumentation, suppress_llm_instrumentation
from otel_agent_trace.instrumentation.bedrock import BedrockInstrumentor
from otel_agent_trace.instrumentation.urllib3 import URLLib3Instrumentor

from .conftest import MockServer, finished, make_client, only_span

CLAUDE = "anthropic.claude-sonnet-4-5-20250929-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Capital of France?"}]}]


def _attrs(span: Any) -> dict[str, Any]:
    return dict(span.attributes or {})


def test_converse_span_shape(client: Any, exporter: InMemorySpanExporter, mock_server: MockServer) -> None:
    response = client.converse(
        modelId=CLAUDE,
        messages=MESSAGES,
        inferenceConfig={"maxTokens": 256, "temperature": 0.2, "topP": 0.9, "stopSequences": ["END"]},
        additionalModelRequestFields={"top_k": 40},
    )

    assert response["output"]["message"]["content"][0]["text"] == "Paris is the capital of France."
    span = only_span(exporter)
    assert span.name == f"chat {CLAUDE}"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    attrs = _attrs(span)
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.provider.name"] == "aws.bedrock"
    assert attrs["agent_trace.step.action_type"] == "llm_call"
    assert attrs["gen_ai.request.model"] == CLAUDE
    assert attrs["gen_ai.request.max_tokens"] == 256
    assert attrs["gen_ai.request.temperature"] == 0.2
    assert attrs["gen_ai.request.top_p"] == 0.9
    assert attrs["gen_ai.request.stop_sequences"] == ("END",)
    assert attrs["gen_ai.request.top_k"] == 40
    assert "gen_ai.request.stream" not in attrs  # set only on streamed requests
    assert attrs["gen_ai.response.finish_reasons"] == ("end_turn",)
    assert attrs["gen_ai.usage.input_tokens"] == 12 + 100  # cache reads count as input (GenAI semconv)
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 100
    assert attrs["gen_ai.usage.output_tokens"] == 8
    assert attrs["server.address"] == "127.0.0.1"
    assert attrs["server.port"] == mock_server.server_address[1]
    for key in ("gen_ai.input.messages", "gen_ai.output.messages", "agent_trace.llm.tool_call.names"):
        assert key not in attrs


def test_converse_tool_use_always_recorded(client: Any, exporter: InMemorySpanExporter) -> None:
    client.converse(modelId="anthropic.claude-tool", messages=MESSAGES)

    attrs = _attrs(only_span(exporter))
    assert attrs["agent_trace.llm.tool_call.names"] == ("get_weather",)
    assert attrs["agent_trace.llm.tool_call.ids"] == ("tooluse_1",)
    assert attrs["gen_ai.response.finish_reasons"] == ("tool_use",)
    assert "gen_ai.output.messages" not in attrs


@pytest.mark.parametrize("instrument_kwargs", [{"capture_content": True}])
def test_converse_content_capture(client: Any, exporter: InMemorySpanExporter) -> None:
    history = [
        {"role": "user", "content": [{"text": "Weather in Paris?"}]},
        {
            "role": "assistant",
            "content": [{"toolUse": {"toolUseId": "t0", "name": "get_weather", "input": {"city": "Paris"}}}],
        },
        {"role": "user", "content": [{"toolResult": {"toolUseId": "t0", "content": [{"json": {"temp": 18}}]}}]},
        {"role": "user", "content": [{"image": {"format": "png", "source": {"bytes": b"\x89PNG"}}}]},
    ]
    tools = {
        "tools": [
            {"toolSpec": {"name": "get_weather", "description": "Weather", "inputSchema": {"json": {"type": "object"}}}}
        ]
    }
    client.converse(modelId="anthropic.claude-tool", messages=history, system=[{"text": "Be terse."}], toolConfig=tools)

    attrs = _attrs(only_span(exporter))
    inputs = json.loads(attrs["gen_ai.input.messages"])
    assert inputs[0] == {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}
    assert inputs[1]["parts"] == [
        {"type": "tool_call", "id": "t0", "name": "get_weather", "arguments": {"city": "Paris"}}
    ]
    assert inputs[2] == {
        "role": "tool",
        "parts": [{"type": "tool_call_response", "id": "t0", "response": {"temp": 18}}],
    }
    assert inputs[3]["parts"] == [{"type": "blob", "modality": "image", "format": "png"}]  # the bytes are not copied
    assert json.loads(attrs["gen_ai.system_instructions"]) == [{"type": "text", "content": "Be terse."}]
    assert json.loads(attrs["gen_ai.tool.definitions"]) == [
        {"type": "function", "name": "get_weather", "description": "Weather", "parameters": {"type": "object"}}
    ]
    assert json.loads(attrs["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [
                {"type": "text", "content": "Let me check."},
                {"type": "tool_call", "id": "tooluse_1", "name": "get_weather", "arguments": {"city": "Paris"}},
            ],
            "finish_reason": "tool_call",
        }
    ]


@pytest.mark.parametrize("instrument_kwargs", [{"capture_content": True}])
def test_converse_stream(client: Any, exporter: InMemorySpanExporter) -> None:
    response = client.converse_stream(modelId=CLAUDE, messages=MESSAGES)
    stream = response["stream"]
    assert isinstance(stream, EventStream)
    assert finished(exporter) == []  # open while the program reads
    events = list(stream)

    assert len(events) == 10
    attrs = _attrs(only_span(exporter))
    assert attrs["gen_ai.request.stream"] is True
    assert attrs["gen_ai.response.finish_reasons"] == ("tool_use",)
    assert attrs["gen_ai.usage.input_tokens"] == 25
    assert attrs["gen_ai.usage.output_tokens"] == 15
    assert attrs["agent_trace.llm.tool_call.names"] == ("search",)
    assert attrs["agent_trace.llm.tool_call.ids"] == ("tooluse_s1",)
    assert attrs["gen_ai.response.time_to_first_chunk"] >= 0
    assert json.loads(attrs["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [
                {"type": "text", "content": "Hello, world"},
                {"type": "tool_call", "id": "tooluse_s1", "name": "search", "arguments": {"q": "otel"}},
            ],
            "finish_reason": "tool_call",
        }
    ]


def test_converse_stream_error_midway(client: Any, exporter: InMemorySpanExporter) -> None:
    stream = client.converse_stream(modelId="anthropic.claude-midfail", messages=MESSAGES)["stream"]
    with pytest.raises(EventStreamError):
        list(stream)

    span = only_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert _attrs(span)["agent_trace.error.code"] == "modelStreamErrorException"


def test_converse_stream_abandoned(client: Any, exporter: InMemorySpanExporter) -> None:
    stream = client.converse_stream(modelId=CLAUDE, messages=MESSAGES)["stream"]
    next(iter(stream))
    stream.close()

    assert "gen_ai.response.finish_reasons" not in _attrs(only_span(exporter))


def test_converse_stream_never_read_ends_on_gc(client: Any, exporter: InMemorySpanExporter) -> None:
    response = client.converse_stream(modelId=CLAUDE, messages=MESSAGES)
    del response
    gc.collect()

    assert len(finished(exporter)) == 1


@pytest.mark.parametrize("instrument_kwargs", [{"capture_content": True}])
def test_invoke_model_anthropic_body(client: Any, exporter: InMemorySpanExporter) -> None:
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 100,
        "temperature": 0.5,
        "top_k": 5,
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "Say hello in French"}],
    }
    response = client.invoke_model(modelId=CLAUDE, body=json.dumps(body))

    # the program reads the body exactly as it would uninstrumented
    assert json.loads(response["body"].read())["content"][0]["text"] == "Bonjour."
    span = only_span(exporter)
    assert span.name == f"chat {CLAUDE}"
    attrs = _attrs(span)
    assert attrs["gen_ai.request.max_tokens"] == 100
    assert attrs["gen_ai.request.temperature"] == 0.5
    assert attrs["gen_ai.request.top_k"] == 5
    assert attrs["gen_ai.response.id"] == "msg_bdrk_01"
    assert attrs["gen_ai.response.model"] == "claude-sonnet-4-5-20250929"
    assert attrs["gen_ai.response.finish_reasons"] == ("end_turn",)
    assert attrs["gen_ai.usage.input_tokens"] == 9
    assert attrs["gen_ai.usage.output_tokens"] == 3
    assert json.loads(attrs["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Say hello in French"}]}
    ]
    assert json.loads(attrs["gen_ai.system_instructions"]) == [{"type": "text", "content": "Be brief."}]
    assert json.loads(attrs["gen_ai.output.messages"])[0]["parts"] == [{"type": "text", "content": "Bonjour."}]


@pytest.mark.parametrize(
    ("model", "body", "expected"),
    [
        (
            "amazon.titan-text-express-v1",
            {"inputText": "hi", "textGenerationConfig": {"maxTokenCount": 50, "temperature": 0.1, "topP": 0.8}},
            {
                "gen_ai.operation.name": "text_completion",
                "gen_ai.request.max_tokens": 50,
                "gen_ai.request.top_p": 0.8,
                "gen_ai.usage.input_tokens": 5,
                "gen_ai.usage.output_tokens": 7,
                "gen_ai.response.finish_reasons": ("FINISH",),
            },
        ),
        (
            "meta.llama3-8b-instruct-v1:0",
            {"prompt": "hi", "max_gen_len": 64, "temperature": 0.3},
            {
                "gen_ai.operation.name": "text_completion",
                "gen_ai.request.max_tokens": 64,
                "gen_ai.usage.input_tokens": 6,
                "gen_ai.usage.output_tokens": 2,
                "gen_ai.response.finish_reasons": ("stop",),
            },
        ),
        (
            "amazon.titan-embed-text-v2:0",
            {"inputText": "hi", "dimensions": 3},
            {
                "gen_ai.operation.name": "embeddings",
                "agent_trace.step.action_type": "embedding",
                "gen_ai.embeddings.dimension.count": 3,
                "gen_ai.usage.input_tokens": 4,
            },
        ),
        (
            "cohere.unknown-family-v1",
            {"anything": 1},
            {"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 21, "gen_ai.usage.output_tokens": 13},
        ),
    ],
)
def test_invoke_model_other_families(
    client: Any, exporter: InMemorySpanExporter, model: str, body: dict[str, Any], expected: dict[str, Any]
) -> None:
    response = client.invoke_model(modelId=model, body=json.dumps(body).encode())
    json.loads(response["body"].read())

    attrs = _attrs(only_span(exporter))
    assert attrs["gen_ai.request.model"] == model
    for key, value in expected.items():
        assert attrs[key] == value, key


def test_invoke_model_with_response_stream(client: Any, exporter: InMemorySpanExporter) -> None:
    response = client.invoke_model_with_response_stream(modelId=CLAUDE, body=json.dumps({"messages": []}))
    chunks = [json.loads(event["chunk"]["bytes"]) for event in response["body"]]

    assert len(chunks) == 6
    attrs = _attrs(only_span(exporter))
    assert attrs["gen_ai.request.stream"] is True
    assert attrs["gen_ai.response.id"] == "msg_bdrk_s1"
    assert attrs["gen_ai.response.finish_reasons"] == ("end_turn",)
    assert attrs["gen_ai.usage.input_tokens"] == 11
    assert attrs["gen_ai.usage.output_tokens"] == 4


@pytest.mark.parametrize("instrument_kwargs", [{"capture_content": True}])
def test_invoke_model_with_response_stream_titan(client: Any, exporter: InMemorySpanExporter) -> None:
    body = {"inputText": "Say hello", "textGenerationConfig": {"maxTokenCount": 20}}
    response = client.invoke_model_with_response_stream(modelId="amazon.titan-text-express-v1", body=json.dumps(body))
    text = "".join(json.loads(event["chunk"]["bytes"])["outputText"] for event in response["body"])

    assert text == "Hello there."
    span = only_span(exporter)
    assert span.name == "text_completion amazon.titan-text-express-v1"
    attrs = _attrs(span)
    assert attrs["gen_ai.request.max_tokens"] == 20
    assert attrs["gen_ai.response.finish_reasons"] == ("FINISH",)
    assert attrs["gen_ai.usage.input_tokens"] == 5  # from the last chunk's invocation metrics
    assert attrs["gen_ai.usage.output_tokens"] == 3
    assert json.loads(attrs["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Say hello"}]}
    ]
    assert json.loads(attrs["gen_ai.output.messages"])[0]["parts"] == [{"type": "text", "content": "Hello there."}]


@pytest.mark.parametrize(("model", "code"), [("throttled", "ThrottlingException"), ("invalid", "ValidationException")])
def test_client_error_recorded_and_reraised(client: Any, exporter: InMemorySpanExporter, model: str, code: str) -> None:
    with pytest.raises(ClientError) as caught:
        client.converse(modelId=model, messages=MESSAGES)

    assert caught.value.response["Error"]["Code"] == code
    span = only_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    attrs = _attrs(span)
    assert attrs["agent_trace.error.code"] == code
    assert attrs["error.type"].endswith(code)
    assert [e.name for e in span.events] == ["exception"]


def test_other_services_and_operations_untraced(
    mock_server: MockServer, instrumentor: BedrockInstrumentor, exporter: InMemorySpanExporter
) -> None:
    s3 = make_client(mock_server, "s3")
    with pytest.raises(ClientError):
        s3.list_buckets()  # the mock answers 404: the call went through our wrapper untouched
    bedrock = make_client(mock_server)
    with pytest.raises(ClientError):
        bedrock.apply_guardrail(guardrailIdentifier="g", guardrailVersion="1", source="INPUT", content=[])

    assert finished(exporter) == []


def test_client_created_before_instrument_is_traced(
    mock_server: MockServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    early = make_client(mock_server)
    inst = BedrockInstrumentor()
    inst.instrument(tracer_provider=provider)
    try:
        early.converse(modelId=CLAUDE, messages=MESSAGES)
    finally:
        inst.uninstrument()
    early.converse(modelId=CLAUDE, messages=MESSAGES)

    assert len(finished(exporter)) == 1


def test_no_http_span_under_ours_unless_asked(
    mock_server: MockServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    http_inst = URLLib3Instrumentor()
    http_inst.instrument(tracer_provider=provider)
    try:
        for capture_http in (False, True):
            inst = BedrockInstrumentor()
            inst.instrument(tracer_provider=provider, capture_http=capture_http)
            make_client(mock_server).converse(modelId=CLAUDE, messages=MESSAGES)
            inst.uninstrument()
    finally:
        http_inst.uninstrument()

    spans = finished(exporter)
    llm = [s for s in spans if s.name.startswith("chat")]
    http = [s for s in spans if s not in llm]
    assert len(llm) == 2
    assert len(http) == 1
    assert http[0].parent is not None and http[0].parent.span_id == llm[1].context.span_id


def test_suppressed_calls_make_no_span(client: Any, exporter: InMemorySpanExporter) -> None:
    with suppress_instrumentation():
        client.converse(modelId=CLAUDE, messages=MESSAGES)
    with suppress_llm_instrumentation():
        client.converse(modelId=CLAUDE, messages=MESSAGES)

    assert finished(exporter) == []


def test_uninstrument_restores(provider: TracerProvider) -> None:
    original = botocore.client.BaseClient.__dict__["_make_api_call"]
    inst = BedrockInstrumentor()
    inst.instrument(tracer_provider=provider)
    assert botocore.client.BaseClient.__dict__["_make_api_call"] is not original
    inst.uninstrument()
    assert botocore.client.BaseClient.__dict__["_make_api_call"] is original

"""A local mock of the Bedrock Runtime API (JSON and AWS event streams) and the real boto3 client against it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import boto3
import pytest
from botocore.config import Config
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_agent_trace.instrumentation.bedrock import BedrockInstrumentor
from tests.instrumentation._servers import JSONHandler, serving

from . import _eventstream

CONVERSE_TEXT: dict[str, Any] = {
    "output": {"message": {"role": "assistant", "content": [{"text": "Paris is the capital of France."}]}},
    "stopReason": "end_turn",
    "usage": {"inputTokens": 12, "outputTokens": 8, "totalTokens": 20, "cacheReadInputTokens": 100},
    "metrics": {"latencyMs": 5},
}

CONVERSE_TOOL: dict[str, Any] = {
    "output": {
        "message": {
            "role": "assistant",
            "content": [
                {"text": "Let me check."},
                {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather", "input": {"city": "Paris"}}},
            ],
        }
    },
    "stopReason": "tool_use",
    "usage": {"inputTokens": 30, "outputTokens": 40, "totalTokens": 70},
    "metrics": {"latencyMs": 5},
}

ANTHROPIC_BODY: dict[str, Any] = {
    "id": "msg_bdrk_01",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-5-20250929",
    "content": [{"type": "text", "text": "Bonjour."}],
    "stop_reason": "end_turn",
    "usage": {"input_tokens": 9, "output_tokens": 3},
}

TITAN_BODY: dict[str, Any] = {
    "inputTextTokenCount": 5,
    "results": [{"tokenCount": 7, "outputText": "Hello there.", "completionReason": "FINISH"}],
}

LLAMA_BODY: dict[str, Any] = {
    "generation": "Hi!",
    "prompt_token_count": 6,
    "generation_token_count": 2,
    "stop_reason": "stop",
}


def converse_stream_events() -> list[bytes]:
    event = _eventstream.event
    return [
        event("messageStart", {"role": "assistant"}),
        event("contentBlockDelta", {"delta": {"text": "Hello"}, "contentBlockIndex": 0}),
        event("contentBlockDelta", {"delta": {"text": ", world"}, "contentBlockIndex": 0}),
        event("contentBlockStop", {"contentBlockIndex": 0}),
        event(
            "contentBlockStart",
            {"start": {"toolUse": {"toolUseId": "tooluse_s1", "name": "search"}}, "contentBlockIndex": 1},
        ),
        event("contentBlockDelta", {"delta": {"toolUse": {"input": '{"q": '}}, "contentBlockIndex": 1}),
        event("contentBlockDelta", {"delta": {"toolUse": {"input": '"otel"}'}}, "contentBlockIndex": 1}),
        event("contentBlockStop", {"contentBlockIndex": 1}),
        event("messageStop", {"stopReason": "tool_use"}),
        event(
            "metadata",
            {"usage": {"inputTokens": 25, "outputTokens": 15, "totalTokens": 40}, "metrics": {"latencyMs": 9}},
        ),
    ]


def invoke_stream_events() -> list[bytes]:
    chunk = _eventstream.chunk
    return [
        chunk(
            {
                "type": "message_start",
                "message": {
                    "id": "msg_bdrk_s1",
                    "model": "claude-sonnet-4-5",
                    "usage": {"input_tokens": 11, "output_tokens": 1},
                },
            }
        ),
        chunk({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        chunk({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Bon"}}),
        chunk({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "jour"}}),
        chunk({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 4}}),
        chunk(
            {
                "type": "message_stop",
                "amazon-bedrock-invocationMetrics": {"inputTokenCount": 11, "outputTokenCount": 4},
            }
        ),
    ]


def titan_stream_events() -> list[bytes]:
    chunk = _eventstream.chunk
    return [
        chunk({"outputText": "Hello", "index": 0, "totalOutputTextTokenCount": 1, "completionReason": None}),
        chunk(
            {
                "outputText": " there.",
                "index": 0,
                "totalOutputTextTokenCount": 3,
                "completionReason": "FINISH",
                "amazon-bedrock-invocationMetrics": {"inputTokenCount": 5, "outputTokenCount": 3},
            }
        ),
    ]


class _Handler(JSONHandler):
    def _error(self, status: int, code: str, text: str) -> None:
        raw = json.dumps({"message": text}).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("x-amzn-ErrorType", code)
        self.send_header("content-length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _eventstream(self, messages: list[bytes]) -> None:
        self.send_response(200)
        self.send_header("content-type", "application/vnd.amazon.eventstream")
        self.send_header("connection", "close")
        self.end_headers()
        for raw in messages:
            self.wfile.write(raw)
        self.close_connection = True

    def _raw(self, body: dict[str, Any], tokens: tuple[int, int] | None = None) -> None:
        raw = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        if tokens is not None:
            self.send_header("x-amzn-bedrock-input-token-count", str(tokens[0]))
            self.send_header("x-amzn-bedrock-output-token-count", str(tokens[1]))
        self.send_header("content-length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_POST(self) -> None:
        body = self.read_json()
        server: MockServer = self.server  # type: ignore[assignment]
        server.requests.append({"path": self.path, "body": body})
        _, _, rest = self.path.partition("/model/")
        model, _, action = rest.rpartition("/")
        model = unquote(model)
        if "throttled" in model:
            self._error(429, "ThrottlingException", "Too many requests")
        elif "invalid" in model:
            self._error(400, "ValidationException", "Malformed input request")
        elif action == "converse":
            self.send_json(200, CONVERSE_TOOL if "tool" in model else CONVERSE_TEXT)
        elif action == "converse-stream":
            events = converse_stream_events()
            if "midfail" in model:
                events = [*events[:3], _eventstream.exception("modelStreamErrorException", "model broke")]
            self._eventstream(events)
        elif action == "invoke-with-response-stream":
            self._eventstream(titan_stream_events() if "titan" in model else invoke_stream_events())
        elif action == "invoke":
            if "titan-embed" in model:
                self._raw({"embedding": [0.1, 0.2, 0.3], "inputTextTokenCount": 4})
            elif "titan" in model:
                self._raw(TITAN_BODY)
            elif "llama" in model:
                self._raw(LLAMA_BODY)
            elif "anthropic" in model:
                self._raw(ANTHROPIC_BODY)
            else:
                self._raw({"whatever": True}, tokens=(21, 13))
        else:
            self._error(404, "UnknownOperationException", self.path)


class MockServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict[str, Any]] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture(scope="session")
def mock_server() -> Iterator[MockServer]:
    with serving(MockServer()) as server:
        yield server


@pytest.fixture
def instrument_kwargs() -> dict[str, Any]:
    return {"capture_content": False}


@pytest.fixture
def instrumentor(provider: TracerProvider, instrument_kwargs: dict[str, Any]) -> Iterator[BedrockInstrumentor]:
    inst = BedrockInstrumentor()
    inst.instrument(tracer_provider=provider, **instrument_kwargs)
    yield inst
    inst.uninstrument()


def make_client(server: MockServer, service: str = "bedrock-runtime") -> Any:
    return boto3.client(
        service,
        endpoint_url=server.base_url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


@pytest.fixture
def client(mock_server: MockServer, instrumentor: BedrockInstrumentor) -> Any:
    return make_client(mock_server)


def finished(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return list(exporter.get_finished_spans())


def only_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    spans = finished(exporter)
    assert len(spans) == 1, [s.name for s in spans]
    return spans[0]

"""A local mock of the Gemini API (generateContent, streamGenerateContent SSE, embedContent) and fixtures."""

from __future__ import annotations

import json
import typing
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from typing import Any, TypeVar

import pytest
from google import genai
from google.genai import types
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_agent_trace.instrumentation.google_genai import GoogleGenAIInstrumentor
from tests.instrumentation._servers import JSONHandler, serving

USAGE = {
    "promptTokenCount": 12,
    "candidatesTokenCount": 8,
    "cachedContentTokenCount": 4,
    "thoughtsTokenCount": 3,
    "totalTokenCount": 23,
}

TEXT_RESPONSE: dict[str, Any] = {
    "candidates": [
        {"content": {"role": "model", "parts": [{"text": "Paris is the capital of France."}]}, "finishReason": "STOP"}
    ],
    "usageMetadata": USAGE,
    "modelVersion": "gemini-2.5-flash-001",
    "responseId": "resp_text_01",
}


def function_call_response(name: str = "get_weather", args: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [{"functionCall": {"id": "fc_1", "name": name, "args": args or {"city": "Paris"}}}],
                },
                "finishReason": "STOP",
            }
        ],
        "usageMetadata": {"promptTokenCount": 30, "candidatesTokenCount": 5, "totalTokenCount": 35},
        "modelVersion": "gemini-2.5-flash-001",
        "responseId": "resp_tool_01",
    }


def stream_chunks() -> list[dict[str, Any]]:
    pieces = ["Hello", ", ", "world", "!"]
    chunks: list[dict[str, Any]] = []
    for i, piece in enumerate(pieces):
        chunk: dict[str, Any] = {
            "candidates": [{"content": {"role": "model", "parts": [{"text": piece}]}, "index": 0}],
            "usageMetadata": {"promptTokenCount": 25, "candidatesTokenCount": i + 1, "totalTokenCount": 26 + i},
            "modelVersion": "gemini-2.5-flash-001",
            "responseId": "resp_stream_01",
        }
        if i == len(pieces) - 1:
            chunk["candidates"][0]["finishReason"] = "STOP"
            chunk["usageMetadata"] = {"promptTokenCount": 25, "candidatesTokenCount": 15, "totalTokenCount": 40}
        chunks.append(chunk)
    return chunks


def _sse(data: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(data)}\r\n\r\n".encode()


ERRORS = {
    "quota": (429, {"error": {"code": 429, "message": "Resource has been exhausted", "status": "RESOURCE_EXHAUSTED"}}),
    "bad": (400, {"error": {"code": 400, "message": "Invalid argument", "status": "INVALID_ARGUMENT"}}),
}


class _Handler(JSONHandler):
    def do_POST(self) -> None:
        body = self.read_json()
        server: MockServer = self.server  # type: ignore[assignment]
        server.requests.append({"path": self.path, "body": body})
        model = self.path.split("/models/", 1)[-1].split(":", 1)[0]
        for marker, (status, error) in ERRORS.items():
            if marker in model:
                self.send_json(status, error)
                return
        if ":batchEmbedContents" in self.path:
            self.send_json(200, {"embeddings": [{"values": [0.1, 0.2, 0.3, 0.4]} for _ in body.get("requests", [])]})
        elif ":embedContent" in self.path:
            self.send_json(200, {"embedding": {"values": [0.1, 0.2, 0.3, 0.4]}})
        elif ":streamGenerateContent" in self.path:
            if "midfail" in model:
                self.send_sse([_sse(stream_chunks()[0]), b"data: {not json\r\n\r\n"])
            else:
                self.send_sse([_sse(chunk) for chunk in stream_chunks()])
        elif "tool" in model:
            # the first turn asks for the tool, the turn after the tool's result answers in text
            contents = body.get("contents", [])
            answered = any("functionResponse" in p for c in contents for p in c.get("parts", []))
            city = "Atlantis" if "atlantis" in model else "Paris"
            self.send_json(200, TEXT_RESPONSE if answered else function_call_response(args={"city": city}))
        else:
            self.send_json(200, TEXT_RESPONSE)


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
def instrumentor(provider: TracerProvider, instrument_kwargs: dict[str, Any]) -> Iterator[GoogleGenAIInstrumentor]:
    inst = GoogleGenAIInstrumentor()
    inst.instrument(tracer_provider=provider, **instrument_kwargs)
    yield inst
    inst.uninstrument()


_F = TypeVar("_F", bound=Callable[..., Any])


def afc_tool(fn: _F) -> _F:
    """``fn`` with its annotations resolved: google-genai on Python 3.10 cannot read string annotations (this
    package's ``from __future__ import annotations``) and then silently runs no tool, instrumented or not."""
    fn.__annotations__ = typing.get_type_hints(fn)
    return fn


def make_client(server: MockServer, **kwargs: Any) -> genai.Client:
    options = types.HttpOptions(base_url=server.base_url, retry_options=types.HttpRetryOptions(attempts=1))
    return genai.Client(api_key="test", http_options=options, **kwargs)


@pytest.fixture
def client(mock_server: MockServer, instrumentor: GoogleGenAIInstrumentor) -> Iterator[genai.Client]:
    c = make_client(mock_server)
    yield c
    c.close()


def finished(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return list(exporter.get_finished_spans())


def only_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    spans = finished(exporter)
    assert len(spans) == 1, [s.name for s in spans]
    return spans[0]

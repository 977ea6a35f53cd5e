"""Behaviour every HTTP client instrumentor shares, checked against the real libraries and a local server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry.instrumentation.utils import suppress_http_instrumentation, suppress_instrumentation
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from otel_agent_trace._internal.context import ToolScope, use_tool
from otel_agent_trace._internal.tracing import error_type_of
from otel_agent_trace.instrumentation import _http
from otel_agent_trace.semconv.tool import HTTP_REQUEST_BODY, HTTP_RESPONSE_BODY

from ._clients import CLIENTS, Client
from .conftest import Server, only_span, traceparent_of

Instrument = Callable[..., Any]

pytestmark = pytest.mark.parametrize("client", CLIENTS, ids=repr)


async def test_success(client: Client, server: Server, instrument: Instrument, exporter: InMemorySpanExporter) -> None:
    plain = await client.send("GET", f"{server.base_url}/ok", None, None)
    instrument(client.instrumentor)
    result = await client.send("GET", f"{server.base_url}/ok", None, None)

    assert result == plain == (200, b'{"result": "hello"}')
    span = only_span(exporter)
    assert span.name == "GET"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    assert dict(span.attributes or {}) == {
        "http.request.method": "GET",
        "url.full": f"{server.base_url}/ok",
        "server.address": "127.0.0.1",
        "server.port": server.port,
        "http.response.status_code": 200,
        "network.protocol.version": "1.1",
    }


@pytest.mark.parametrize(("path", "code"), [("/notfound", 404), ("/error", 500)])
async def test_error_status(
    client: Client, server: Server, instrument: Instrument, exporter: InMemorySpanExporter, path: str, code: int
) -> None:
    instrument(client.instrumentor)
    status, _ = await client.send("GET", f"{server.base_url}{path}", None, None)

    assert status == code
    span = only_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["http.response.status_code"] == code
    assert span.attributes["error.type"] == str(code)


async def test_connection_refused(
    client: Client, refused_url: str, instrument: Instrument, exporter: InMemorySpanExporter
) -> None:
    instrument(client.instrumentor)
    with pytest.raises(client.connect_error) as info:
        await client.send("GET", refused_url, None, None)

    span = only_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["error.type"] == error_type_of(info.value)
    assert "http.response.status_code" not in span.attributes
    assert [event.name for event in span.events] == ["exception"]


async def test_traceparent_sent_and_parented(
    client: Client, server: Server, instrument: Instrument, exporter: InMemorySpanExporter, provider: TracerProvider
) -> None:
    instrument(client.instrumentor)
    headers = {"X-Caller": "1"}
    with provider.get_tracer("test").start_as_current_span("parent") as parent:
        await client.send("GET", f"{server.base_url}/ok", headers, None)

    span = next(s for s in exporter.get_finished_spans() if s.name == "GET")
    assert span.parent is not None
    assert span.parent.span_id == parent.get_span_context().span_id
    assert server.last_headers()["traceparent"] == traceparent_of(span)
    assert server.last_headers()["x-caller"] == "1"
    assert headers == {"X-Caller": "1"}  # the caller's dict is not mutated


async def test_tool_call_marks_span(
    client: Client, server: Server, instrument: Instrument, exporter: InMemorySpanExporter
) -> None:
    instrument(client.instrumentor)
    with use_tool(ToolScope("search", "call_1")):
        await client.send("GET", f"{server.base_url}/ok", None, None)
    await client.send("GET", f"{server.base_url}/ok", None, None)

    inside, outside = exporter.get_finished_spans()
    assert inside.attributes is not None
    assert inside.attributes["agent_trace.tool.external"] is True
    assert inside.attributes["agent_trace.tool.parent_name"] == "search"
    assert inside.attributes["gen_ai.tool.call.id"] == "call_1"
    assert outside.attributes is not None
    assert "agent_trace.tool.external" not in outside.attributes


async def test_bodies_recorded_with_content_capture(
    client: Client, server: Server, instrument: Instrument, exporter: InMemorySpanExporter
) -> None:
    instrument(client.instrumentor, capture_content=True)
    result = await client.send("POST", f"{server.base_url}/echo", {"Content-Type": "application/json"}, b'{"q": 1}')

    assert result == (200, b'{"q": 1}')
    span = only_span(exporter)
    assert span.name == "POST"
    assert span.attributes is not None
    assert span.attributes[HTTP_REQUEST_BODY] == '{"q": 1}'
    if client.reads_response_body:
        assert span.attributes[HTTP_RESPONSE_BODY] == '{"q": 1}'
    else:
        assert HTTP_RESPONSE_BODY not in span.attributes


async def test_bodies_not_recorded_without_content_capture(
    client: Client, server: Server, instrument: Instrument, exporter: InMemorySpanExporter
) -> None:
    instrument(client.instrumentor, capture_content=False)
    await client.send("POST", f"{server.base_url}/echo", None, b'{"q": 1}')

    span = only_span(exporter)
    assert span.attributes is not None
    assert HTTP_REQUEST_BODY not in span.attributes
    assert HTTP_RESPONSE_BODY not in span.attributes


async def test_body_bounded(
    client: Client, server: Server, instrument: Instrument, exporter: InMemorySpanExporter
) -> None:
    instrument(client.instrumentor, capture_content=True)
    status, body = await client.send("POST", f"{server.base_url}/big", None, b"y" * 10_000)

    assert (status, len(body)) == (200, 20_000)
    attributes = only_span(exporter).attributes
    assert attributes is not None
    assert attributes[HTTP_REQUEST_BODY] == "y" * 8192
    if client.reads_response_body:
        assert attributes[HTTP_RESPONSE_BODY] == "x" * 8192


async def test_secrets_not_recorded(
    client: Client, server: Server, instrument: Instrument, exporter: InMemorySpanExporter
) -> None:
    instrument(client.instrumentor, capture_content=True)
    url = f"{server.base_url}/ok?q=cats&api_key=sk-secret-1&Signature=sig-secret-2"
    await client.send("GET", url, {"Authorization": "Bearer tok-secret-3", "X-Api-Key": "sk-secret-4"}, None)

    span = only_span(exporter)
    assert span.attributes is not None
    assert span.attributes["url.full"] == f"{server.base_url}/ok?q=cats&api_key=REDACTED&Signature=REDACTED"
    assert server.last_headers()["authorization"] == "Bearer tok-secret-3"  # still sent
    assert "secret" not in repr(dict(span.attributes))


@pytest.mark.parametrize("suppress", [suppress_http_instrumentation, suppress_instrumentation])
async def test_suppressed_calls_through(
    client: Client, server: Server, instrument: Instrument, exporter: InMemorySpanExporter, suppress: Any
) -> None:
    instrument(client.instrumentor)
    with suppress():
        result = await client.send("GET", f"{server.base_url}/ok", None, None)

    assert result == (200, b'{"result": "hello"}')
    assert exporter.get_finished_spans() == ()
    assert "traceparent" not in server.last_headers()


async def test_instrument_idempotent_and_uninstrument_restores(
    client: Client, server: Server, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    originals = [(owner, name, owner.__dict__[name]) for owner, name in client.patched]
    instrumentor = client.instrumentor()
    instrumentor.instrument(tracer_provider=provider)
    instrumentor.instrument(tracer_provider=provider)
    try:
        assert all(owner.__dict__[name] is not original for owner, name, original in originals)
        await client.send("GET", f"{server.base_url}/ok", None, None)
        assert len(exporter.get_finished_spans()) == 1
    finally:
        instrumentor.uninstrument()

    assert all(owner.__dict__[name] is original for owner, name, original in originals)
    await client.send("GET", f"{server.base_url}/ok", None, None)
    assert len(exporter.get_finished_spans()) == 1


async def test_internal_fault_before_span_is_swallowed(
    client: Client,
    server: Server,
    instrument: Instrument,
    exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(url: str) -> Any:
        raise RuntimeError("extractor bug")

    monkeypatch.setattr(_http, "url_attributes", broken)
    instrument(client.instrumentor)
    result = await client.send("GET", f"{server.base_url}/ok", None, None)

    assert result == (200, b'{"result": "hello"}')
    assert exporter.get_finished_spans() == ()
    assert "internal error" in caplog.text


async def test_internal_fault_after_response_is_swallowed(
    client: Client,
    server: Server,
    instrument: Instrument,
    exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(self: Any, info: Any) -> None:
        raise RuntimeError("extractor bug")

    monkeypatch.setattr(_http.ClientCall, "set_response", broken)
    instrument(client.instrumentor)
    result = await client.send("GET", f"{server.base_url}/ok", None, None)

    assert result == (200, b'{"result": "hello"}')
    span = only_span(exporter)  # still ended, exactly once
    assert span.attributes is not None
    assert span.attributes["url.full"] == f"{server.base_url}/ok"
    assert server.last_headers()["traceparent"] == traceparent_of(span)

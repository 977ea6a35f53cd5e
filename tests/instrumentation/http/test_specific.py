"""Per-library behaviour: nested suppression, streams left unread, redirects, argument forms."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import aiohttp
import httpx
import httpx2
import pytest
import requests
import urllib3
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from otel_agent_trace.instrumentation.aiohttp import AiohttpClientInstrumentor
from otel_agent_trace.instrumentation.httpx import HTTPXInstrumentor
from otel_agent_trace.instrumentation.httpx2 import HTTPX2Instrumentor
from otel_agent_trace.instrumentation.requests import RequestsInstrumentor
from otel_agent_trace.instrumentation.urllib3 import URLLib3Instrumentor
from otel_agent_trace.semconv.tool import HTTP_RESPONSE_BODY

from .conftest import Server, only_span, traceparent_of

Instrument = Callable[..., Any]


def test_requests_over_urllib3_gives_one_span(
    server: Server, instrument: Instrument, exporter: InMemorySpanExporter
) -> None:
    instrument(URLLib3Instrumentor)
    instrument(RequestsInstrumentor)
    requests.get(f"{server.base_url}/ok", timeout=10)

    span = only_span(exporter)
    assert span.instrumentation_scope is not None
    assert span.instrumentation_scope.name.endswith("RequestsInstrumentor")
    assert server.last_headers()["traceparent"] == traceparent_of(span)

    with urllib3.PoolManager() as pool:  # urllib3 on its own is still traced
        pool.request("GET", f"{server.base_url}/ok")
    assert len(exporter.get_finished_spans()) == 2


def test_requests_redirect_is_one_span_with_final_status(
    server: Server, instrument: Instrument, exporter: InMemorySpanExporter
) -> None:
    instrument(RequestsInstrumentor)
    response = requests.get(f"{server.base_url}/redirect", timeout=10)

    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [302]
    span = only_span(exporter)
    assert span.attributes is not None
    assert span.attributes["url.full"] == f"{server.base_url}/redirect"
    assert span.attributes["http.response.status_code"] == 200
    assert [r["headers"]["traceparent"] for r in server.received] == [traceparent_of(span)] * 2


def test_requests_stream_body_left_unread(
    server: Server, instrument: Instrument, exporter: InMemorySpanExporter
) -> None:
    instrument(RequestsInstrumentor, capture_content=True)
    with requests.get(f"{server.base_url}/ok", stream=True, timeout=10) as response:
        span = only_span(exporter)  # ended at the response headers
        assert response.raw.tell() == 0
        assert response.content == b'{"result": "hello"}'
    assert span.attributes is not None
    assert HTTP_RESPONSE_BODY not in span.attributes
    assert span.attributes["http.response.status_code"] == 200


def test_requests_prepared_request_headers_not_mutated(
    server: Server, instrument: Instrument, exporter: InMemorySpanExporter
) -> None:
    instrument(RequestsInstrumentor)
    headers = {"X-A": "1"}
    with requests.Session() as session:
        prepared = session.prepare_request(requests.Request("GET", f"{server.base_url}/ok", headers=headers))
        original_headers = prepared.headers
        session.send(prepared, timeout=10)

    assert "traceparent" not in original_headers
    assert headers == {"X-A": "1"}
    assert server.last_headers()["traceparent"] == traceparent_of(only_span(exporter))


def test_urllib3_positional_and_pool_default_headers(
    server: Server, instrument: Instrument, exporter: InMemorySpanExporter
) -> None:
    instrument(URLLib3Instrumentor)
    pool_headers = {"X-Pool": "p"}
    call_headers = {"X-Call": "c"}
    with urllib3.HTTPConnectionPool("127.0.0.1", server.port, headers=pool_headers) as pool:
        pool.urlopen("GET", "/ok")
        default_sent = server.last_headers()
        pool.urlopen("GET", "/ok?x=1", None, call_headers)
        positional_sent = server.last_headers()

    first, second = exporter.get_finished_spans()
    assert default_sent["x-pool"] == "p"
    assert default_sent["traceparent"] == traceparent_of(first)
    assert positional_sent["x-call"] == "c"
    assert positional_sent["traceparent"] == traceparent_of(second)
    assert pool_headers == {"X-Pool": "p"}
    assert call_headers == {"X-Call": "c"}
    assert second.attributes is not None
    assert second.attributes["url.full"] == f"{server.base_url}/ok?x=1"


def test_urllib3_unpreloaded_body_left_unread(
    server: Server, instrument: Instrument, exporter: InMemorySpanExporter
) -> None:
    instrument(URLLib3Instrumentor, capture_content=True)
    with urllib3.PoolManager() as pool:
        response = pool.request("GET", f"{server.base_url}/ok", preload_content=False)
        span = only_span(exporter)
        assert response.read() == b'{"result": "hello"}'
        response.release_conn()
    assert span.attributes is not None
    assert HTTP_RESPONSE_BODY not in span.attributes


@pytest.mark.parametrize(("module", "instrumentor"), [(httpx, HTTPXInstrumentor), (httpx2, HTTPX2Instrumentor)])
def test_httpx_stream_body_left_unread(
    server: Server, instrument: Instrument, exporter: InMemorySpanExporter, module: Any, instrumentor: type[Any]
) -> None:
    instrument(instrumentor, capture_content=True)
    with module.Client() as client, client.stream("GET", f"{server.base_url}/big") as response:
        span = only_span(exporter)
        assert not response.is_stream_consumed
        assert len(response.read()) == 20_000
    assert span.attributes is not None
    assert HTTP_RESPONSE_BODY not in span.attributes


@pytest.mark.parametrize(("module", "instrumentor"), [(httpx, HTTPXInstrumentor), (httpx2, HTTPX2Instrumentor)])
async def test_httpx_async_redirect_followed(
    server: Server, instrument: Instrument, exporter: InMemorySpanExporter, module: Any, instrumentor: type[Any]
) -> None:
    instrument(instrumentor)
    async with module.AsyncClient(follow_redirects=True) as client:
        response = await client.get(f"{server.base_url}/redirect")

    assert response.status_code == 200
    span = only_span(exporter)
    assert span.attributes is not None
    assert span.attributes["http.response.status_code"] == 200
    assert [r["headers"]["traceparent"] for r in server.received] == [traceparent_of(span)] * 2


@pytest.mark.parametrize(("module", "instrumentor"), [(httpx, HTTPXInstrumentor), (httpx2, HTTPX2Instrumentor)])
def test_httpx_custom_method_and_credentials(
    server: Server, instrument: Instrument, exporter: InMemorySpanExporter, module: Any, instrumentor: type[Any]
) -> None:
    instrument(instrumentor)
    url = f"http://user:pw-secret@127.0.0.1:{server.port}/ok"
    with module.Client() as client:
        client.request("PURGE", url)

    span = only_span(exporter)
    assert span.name == "HTTP"
    assert span.attributes is not None
    assert span.attributes["http.request.method"] == "_OTHER"
    assert span.attributes["http.request.method_original"] == "PURGE"
    assert span.attributes["url.full"] == f"http://REDACTED:REDACTED@127.0.0.1:{server.port}/ok"


async def test_aiohttp_base_url_params_and_json(
    server: Server, instrument: Instrument, exporter: InMemorySpanExporter
) -> None:
    instrument(AiohttpClientInstrumentor, capture_content=True)
    async with (
        aiohttp.ClientSession(base_url=server.base_url) as session,
        session.post("/echo", params={"a": "1"}, json={"q": 2}) as response,
    ):
        assert await response.json() == {"q": 2}

    span = only_span(exporter)
    assert span.attributes is not None
    assert span.attributes["url.full"] == f"{server.base_url}/echo?a=1"
    assert json.loads(str(span.attributes["agent_trace.http.request.body"])) == {"q": 2}
    assert server.last_headers()["traceparent"] == traceparent_of(span)


async def test_aiohttp_raise_for_status_records_exception(
    server: Server, instrument: Instrument, exporter: InMemorySpanExporter
) -> None:
    instrument(AiohttpClientInstrumentor)
    async with aiohttp.ClientSession(raise_for_status=True) as session:
        with pytest.raises(aiohttp.ClientResponseError):
            await session.get(f"{server.base_url}/error")

    span = only_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["error.type"] == "aiohttp.client_exceptions.ClientResponseError"


@pytest.mark.parametrize(("module", "instrumentor"), [(httpx, HTTPXInstrumentor), (httpx2, HTTPX2Instrumentor)])
async def test_cancelled_request_still_ends_span(
    instrument: Instrument, exporter: InMemorySpanExporter, module: Any, instrumentor: type[Any]
) -> None:
    instrument(instrumentor)
    started = asyncio.Event()

    async def hang(request: Any) -> Any:
        started.set()
        await asyncio.sleep(3600)

    async with module.AsyncClient(transport=module.MockTransport(hang)) as client:
        task = asyncio.create_task(client.get("http://127.0.0.1:9/slow"))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    span = only_span(exporter)
    assert span.end_time is not None
    assert span.attributes is not None
    assert span.attributes["url.full"] == "http://127.0.0.1:9/slow"

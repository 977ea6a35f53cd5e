"""One driver per instrumented client, so that the shared behaviour is tested the same way for all of them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx
import httpx2
import requests
import urllib3
import urllib3.connectionpool

from otel_agent_trace.instrumentation.aiohttp import AiohttpClientInstrumentor
from otel_agent_trace.instrumentation.httpx import HTTPXInstrumentor
from otel_agent_trace.instrumentation.httpx2 import HTTPX2Instrumentor
from otel_agent_trace.instrumentation.requests import RequestsInstrumentor
from otel_agent_trace.instrumentation.urllib3 import URLLib3Instrumentor

Result = tuple[int, bytes]
Send = Callable[[str, str, "dict[str, str] | None", "bytes | None"], Awaitable[Result]]


@dataclass(frozen=True)
class Client:
    name: str
    instrumentor: type[Any]
    send: Send
    patched: tuple[tuple[type[Any], str], ...]
    connect_error: type[BaseException]
    reads_response_body: bool = True

    def __repr__(self) -> str:
        return self.name


async def _requests(method: str, url: str, headers: dict[str, str] | None, body: bytes | None) -> Result:
    response = requests.request(method, url, headers=headers, data=body, timeout=10)
    return response.status_code, response.content


async def _urllib3(method: str, url: str, headers: dict[str, str] | None, body: bytes | None) -> Result:
    with urllib3.PoolManager() as pool:
        response = pool.request(method, url, headers=headers, body=body, retries=False, timeout=10)
        return response.status, response.data


def _httpx_sync(module: Any) -> Send:
    async def send(method: str, url: str, headers: dict[str, str] | None, body: bytes | None) -> Result:
        with module.Client(timeout=10) as client:
            response = client.request(method, url, headers=headers, content=body)
            return response.status_code, response.content

    return send


def _httpx_async(module: Any) -> Send:
    async def send(method: str, url: str, headers: dict[str, str] | None, body: bytes | None) -> Result:
        async with module.AsyncClient(timeout=10) as client:
            response = await client.request(method, url, headers=headers, content=body)
            return response.status_code, response.content

    return send


async def _aiohttp(method: str, url: str, headers: dict[str, str] | None, body: bytes | None) -> Result:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url, headers=headers, data=body) as response,
    ):
        return response.status, await response.read()


CLIENTS = [
    Client(
        "requests",
        RequestsInstrumentor,
        _requests,
        ((requests.Session, "send"),),
        requests.exceptions.ConnectionError,
    ),
    Client(
        "urllib3",
        URLLib3Instrumentor,
        _urllib3,
        ((urllib3.connectionpool.HTTPConnectionPool, "urlopen"),),
        urllib3.exceptions.NewConnectionError,
    ),
    Client(
        "httpx",
        HTTPXInstrumentor,
        _httpx_sync(httpx),
        ((httpx.Client, "send"), (httpx.AsyncClient, "send")),
        httpx.ConnectError,
    ),
    Client(
        "httpx-async",
        HTTPXInstrumentor,
        _httpx_async(httpx),
        ((httpx.Client, "send"), (httpx.AsyncClient, "send")),
        httpx.ConnectError,
    ),
    Client(
        "httpx2",
        HTTPX2Instrumentor,
        _httpx_sync(httpx2),
        ((httpx2.Client, "send"), (httpx2.AsyncClient, "send")),
        httpx2.ConnectError,
    ),
    Client(
        "httpx2-async",
        HTTPX2Instrumentor,
        _httpx_async(httpx2),
        ((httpx2.Client, "send"), (httpx2.AsyncClient, "send")),
        httpx2.ConnectError,
    ),
    Client(
        "aiohttp",
        AiohttpClientInstrumentor,
        _aiohttp,
        ((aiohttp.ClientSession, "_request"),),
        aiohttp.ClientConnectorError,
        reads_response_body=False,
    ),
]

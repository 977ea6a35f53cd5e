"""MCP client and server spans against a real MCPServer connected in-process."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client
from mcp.client.session import ClientSession
from mcp.server.lowlevel.server import Server
from mcp.server.mcpserver import MCPServer
from opentelemetry import trace
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from otel_agent_trace.instrumentation.mcp import MCPInstrumentor, _wrappers

from .conftest import SEEN_META, make_server


def _by_kind(spans: tuple[ReadableSpan, ...] | list[ReadableSpan]) -> tuple[ReadableSpan, ReadableSpan]:
    (client,) = [s for s in spans if s.kind is SpanKind.CLIENT]
    (server,) = [s for s in spans if s.kind is SpanKind.SERVER]
    return client, server


async def _call(server: MCPServer, name: str, arguments: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    async with Client(server) as client:
        return await client.call_tool(name, arguments, **kwargs)


@pytest.mark.usefixtures("instrumentor")
async def test_client_span_is_parent_of_server_span(server: MCPServer, exporter: InMemorySpanExporter) -> None:
    result = await _call(server, "add", {"a": 2, "b": 3})

    assert result.is_error is False
    client, server_span = _by_kind(exporter.get_finished_spans())
    assert client.name == "execute_tool add"
    assert server_span.name == "execute_tool add"
    assert server_span.context.trace_id == client.context.trace_id
    assert server_span.parent is not None
    assert server_span.parent.span_id == client.context.span_id
    for span in (client, server_span):
        attrs = span.attributes or {}
        assert attrs["gen_ai.operation.name"] == "execute_tool"
        assert attrs["gen_ai.tool.name"] == "add"
        assert attrs["mcp.method.name"] == "tools/call"
        assert attrs["agent_trace.tool.status"] == "ok"
        assert '"a":2' in str(attrs["gen_ai.tool.call.arguments"])
        assert "5" in str(attrs["gen_ai.tool.call.result"])
        assert span.status.status_code is StatusCode.UNSET
    assert "mcp.protocol.version" in (server_span.attributes or {})


@pytest.mark.usefixtures("instrumentor")
async def test_traceparent_travels_in_meta_without_changing_callers_dict(
    server: MCPServer, exporter: InMemorySpanExporter
) -> None:
    user_meta: dict[str, Any] = {"custom": "kept"}
    await _call(server, "echo_meta", {}, meta=user_meta)

    assert user_meta == {"custom": "kept"}
    (seen,) = SEEN_META
    assert seen["custom"] == "kept"
    client, _ = _by_kind(exporter.get_finished_spans())
    trace_id = format(client.context.trace_id, "032x")
    assert seen["traceparent"].split("-")[1] == trace_id


def test_parent_context_prefers_the_propagated_trace(provider: TracerProvider) -> None:
    tracer = provider.get_tracer("test")
    remote = tracer.start_span("remote client")
    meta: dict[str, Any] = {}
    from opentelemetry import propagate

    with trace.use_span(remote):
        propagate.inject(meta)
    remote.end()

    assert _wrappers.parent_context(None) is None
    assert _wrappers.parent_context({"other": 1}) is None
    with tracer.start_as_current_span("unrelated ambient"):
        extracted = _wrappers.parent_context(meta)
        assert extracted is not None
        assert trace.get_current_span(extracted).get_span_context().span_id == remote.get_span_context().span_id
    with trace.use_span(remote):
        assert _wrappers.parent_context(meta) is None  # ambient span already in the propagated trace


@pytest.mark.usefixtures("instrumentor")
@pytest.mark.parametrize("tool", ["explode", "refuse"])
async def test_tool_error_result_marks_both_spans(server: MCPServer, exporter: InMemorySpanExporter, tool: str) -> None:
    args = {"reason": "bad"} if tool == "explode" else {}
    result = await _call(server, tool, args)

    assert result.is_error is True
    for span in _by_kind(exporter.get_finished_spans()):
        assert span.status.status_code is StatusCode.ERROR
        attrs = span.attributes or {}
        assert attrs["error.type"] == "tool_error"
        assert attrs["agent_trace.tool.status"] == "error"
        assert attrs["gen_ai.tool.name"] == tool


@pytest.mark.usefixtures("instrumentor")
async def test_client_exception_is_recorded_and_reraised(
    server: MCPServer, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    failure = ConnectionError("transport gone")

    async def broken_send(*args: Any, **kwargs: Any) -> Any:
        raise failure

    async with Client(server) as client:
        monkeypatch.setattr(client.session, "send_request", broken_send)
        with pytest.raises(ConnectionError) as info:
            await client.session.call_tool("add", {"a": 1, "b": 1})

    assert info.value is failure
    (span,) = exporter.get_finished_spans()
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})["error.type"] == "ConnectionError"
    assert [e.name for e in span.events] == ["exception"]


async def test_content_capture_off(provider: TracerProvider, exporter: InMemorySpanExporter) -> None:
    inst = MCPInstrumentor()
    inst.instrument(tracer_provider=provider, capture_content=False)
    try:
        await _call(make_server(), "add", {"a": 2, "b": 3})
    finally:
        inst.uninstrument()

    spans = exporter.get_finished_spans()
    assert len(spans) == 2
    for span in spans:
        attrs = span.attributes or {}
        assert attrs["gen_ai.tool.name"] == "add"
        assert "gen_ai.tool.call.arguments" not in attrs
        assert "gen_ai.tool.call.result" not in attrs


async def test_same_result_and_uninstrument_restores(provider: TracerProvider, exporter: InMemorySpanExporter) -> None:
    original_call, original_get = ClientSession.call_tool, Server.get_request_handler
    plain = await _call(make_server(), "add", {"a": 4, "b": 5})

    inst = MCPInstrumentor()
    inst.instrument(tracer_provider=provider)
    inst.instrument(tracer_provider=provider)  # idempotent
    traced = await _call(make_server(), "add", {"a": 4, "b": 5})
    inst.uninstrument()

    assert traced == plain
    assert len(exporter.get_finished_spans()) == 2
    assert ClientSession.call_tool is original_call
    assert Server.get_request_handler is original_get
    exporter.clear()
    await _call(make_server(), "add", {"a": 1, "b": 1})
    assert exporter.get_finished_spans() == ()


@pytest.mark.usefixtures("instrumentor")
async def test_suppressed(server: MCPServer, exporter: InMemorySpanExporter) -> None:
    with suppress_instrumentation():
        result = await _call(server, "add", {"a": 1, "b": 2})
    assert result.is_error is False
    assert exporter.get_finished_spans() == ()


@pytest.mark.usefixtures("instrumentor")
async def test_internal_fault_is_swallowed(
    server: MCPServer, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("extractor bug")

    monkeypatch.setattr(_wrappers, "_result_payload", broken)
    result = await _call(server, "add", {"a": 20, "b": 22})

    assert result.is_error is False
    assert "42" in str(result.content)
    client, server_span = _by_kind(exporter.get_finished_spans())
    assert server_span.parent is not None
    assert server_span.parent.span_id == client.context.span_id
    assert client.status.status_code is StatusCode.UNSET

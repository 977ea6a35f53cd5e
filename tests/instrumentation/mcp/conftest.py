"""An instrumented tracer provider and an in-process MCP server with a few tools."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from opentelemetry.sdk.trace import TracerProvider

from otel_agent_trace.instrumentation.mcp import MCPInstrumentor

SEEN_META: list[dict[str, Any]] = []
"""The ``_meta`` each ``echo_meta`` call received on the server."""


def make_server() -> MCPServer:
    """An MCPServer with an adder, a failing tool, a tool raising ToolError and one reporting its ``_meta``."""
    server = MCPServer("calc")

    @server.tool()
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    @server.tool()
    def explode(reason: str) -> str:
        """Always fails."""
        raise ValueError(f"boom: {reason}")

    @server.tool()
    def refuse() -> str:
        """Fails with a ToolError."""
        raise ToolError("not allowed")

    @server.tool()
    def echo_meta(ctx: Context) -> str:
        """Record the request's ``_meta``."""
        meta = ctx.request_context.meta if ctx.request_context is not None else None
        SEEN_META.append(dict(meta or {}))
        return "ok"

    return server


@pytest.fixture
def instrumentor(provider: TracerProvider) -> Iterator[MCPInstrumentor]:
    inst = MCPInstrumentor()
    inst.instrument(tracer_provider=provider, capture_content=True)
    SEEN_META.clear()
    yield inst
    inst.uninstrument()


@pytest.fixture
def server() -> MCPServer:
    return make_server()

"""Trace Model Context Protocol tool calls on both sides, as one distributed trace.

- Client: ``ClientSession.call_tool`` (also what ``mcp.Client.call_tool`` uses) makes a CLIENT span
  ``execute_tool {tool}``. Its W3C trace context (``traceparent``, ``tracestate``) is put in the request's
  ``_meta`` (a copy; the caller's dict is not changed).
- Server: the ``tools/call`` handler of ``mcp.server.lowlevel.Server`` (and so every ``MCPServer``/FastMCP tool)
  makes a SERVER span ``execute_tool {tool}`` whose parent is the context found in ``_meta``: the client span.

Usage::

    from otel_agent_trace.instrumentation.mcp import MCPInstrumentor
    MCPInstrumentor().instrument(tracer_provider=provider)

Configuration (keyword arguments of ``instrument()``):

- ``capture_content``: record tool arguments and results (default: the
  ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` setting, read at call time).
- ``inject_meta``: put the trace context into the request's ``_meta`` (default ``True``).

Captured attributes: ``gen_ai.operation.name`` = ``execute_tool``, ``gen_ai.tool.name``,
``mcp.method.name`` = ``tools/call``, ``mcp.protocol.version`` (server), ``agent_trace.step.action_type`` =
``tool_call``, ``agent_trace.tool.status`` (``ok``/``error``); with content capture ``gen_ai.tool.call.arguments``
and ``gen_ai.tool.call.result`` (JSON: the structured content if any, else the content blocks). A result with
``isError`` set gives status ERROR and ``error.type`` = ``tool_error``; an exception is recorded (event, status
ERROR, ``error.type`` = its class) and re-raised unchanged. HTTP spans made by a server tool are marked as that
tool's external interactions (``agent_trace.tool.external``).

mcp >= 2 also makes its own spans (``MCP send tools/call {tool}``, ``tools/call {tool}``) through the global
tracer provider and propagates the context itself; ours then nest around (client) and inside (server) them, in the
same trace.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Collection
from types import ModuleType
from typing import Any

from opentelemetry.instrumentation.utils import unwrap
from wrapt import wrap_function_wrapper

from otel_agent_trace.instrumentation._base import AgentInstrumentor

__all__ = ["MCPInstrumentor"]

_instruments = ("mcp >= 2.0, < 3",)
_CLIENT = "mcp.client.session"
_SERVER = "mcp.server.lowlevel.server"


class MCPInstrumentor(AgentInstrumentor):
    """Makes ``execute_tool`` spans for MCP ``tools/call`` on the client and the server, linked by ``_meta``."""

    _instruments = _instruments
    _module = "mcp"

    def instrumentation_dependencies(self) -> Collection[str]:
        """The mcp versions this instrumentor supports."""
        return _instruments

    def _patch(self, module: ModuleType, **kwargs: Any) -> None:
        from ._wrappers import CallToolWrapper, Config, GetRequestHandlerWrapper

        config = Config(self._tracer(kwargs), self._capture_content(kwargs), bool(kwargs.get("inject_meta", True)))

        def client(session: ModuleType) -> None:
            cls = session.ClientSession
            config.inject_meta = config.inject_meta and "meta" in inspect.signature(cls.call_tool).parameters
            wrap_function_wrapper(cls, "call_tool", CallToolWrapper(config))

        def server(lowlevel: ModuleType) -> None:
            wrapper = GetRequestHandlerWrapper(config, lowlevel.HandlerEntry)
            wrap_function_wrapper(lowlevel.Server, "get_request_handler", wrapper)

        self.when_imported(_CLIENT, client)
        self.when_imported(_SERVER, server)

    def _unpatch(self, **kwargs: Any) -> None:
        for name, cls, method in ((_CLIENT, "ClientSession", "call_tool"), (_SERVER, "Server", "get_request_handler")):
            target = getattr(sys.modules.get(name), cls, None)
            if target is not None:
                unwrap(target, method)

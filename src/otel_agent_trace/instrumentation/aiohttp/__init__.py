"""Client spans for ``aiohttp.ClientSession``, with W3C trace context injected into every outgoing request.

Usage::

    from otel_agent_trace.instrumentation.aiohttp import AiohttpClientInstrumentor
    AiohttpClientInstrumentor().instrument(tracer_provider=provider)  # or opentelemetry-instrument (agent_aiohttp)

Configuration:
    ``capture_content``: record the request body (``data=`` bytes/str or ``json=``, first 8 KiB); default: the
    ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` setting. The response body is still unread when the
    span ends (aiohttp reads it lazily), so it is not recorded.

Captured attributes (stable HTTP semantic conventions):
    One CLIENT span named ``{http.request.method}`` per ``ClientSession._request`` (``session.get(...)`` etc.,
    redirect hops included, the final response recorded; the span ends when the response headers arrive) with
    ``http.request.method``, ``url.full`` (credentials and secret query parameters replaced by ``REDACTED``),
    ``server.address``, ``server.port``, ``http.response.status_code``, ``network.protocol.version``,
    ``error.type``, status ERROR for status codes >= 400 and exceptions; inside a tool call
    ``agent_trace.tool.external``, ``agent_trace.tool.parent_name``, ``gen_ai.tool.call.id``. No headers are
    recorded.
"""

from __future__ import annotations

import sys
from collections.abc import Collection
from types import ModuleType
from typing import Any

from opentelemetry.instrumentation.utils import unwrap
from wrapt import wrap_function_wrapper

from otel_agent_trace.instrumentation._base import AgentInstrumentor

from .package import _instruments

__all__ = ["AiohttpClientInstrumentor"]


class AiohttpClientInstrumentor(AgentInstrumentor):
    """Traces ``aiohttp.ClientSession._request``: one CLIENT span per request, ``traceparent`` injected."""

    _instruments = _instruments
    _module = "aiohttp.client"

    def instrumentation_dependencies(self) -> Collection[str]:
        """The ``aiohttp`` versions supported."""
        return _instruments

    def _patch(self, module: ModuleType, **kwargs: Any) -> None:
        from otel_agent_trace.instrumentation._http import AsyncClientWrapper

        from ._wrappers import _prepare, _read_response

        wrapper = AsyncClientWrapper(
            self._tracer(kwargs),
            self._capture_content(kwargs),
            "aiohttp.ClientSession._request",
            _prepare,
            _read_response,
        )
        wrap_function_wrapper(module, "ClientSession._request", wrapper)

    def _unpatch(self, **kwargs: Any) -> None:
        unwrap(sys.modules["aiohttp.client"].ClientSession, "_request")

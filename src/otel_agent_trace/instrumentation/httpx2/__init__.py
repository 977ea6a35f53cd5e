"""Client spans for ``httpx2`` (``Client`` and ``AsyncClient``), with W3C trace context injected.

Usage::

    from otel_agent_trace.instrumentation.httpx2 import HTTPX2Instrumentor
    HTTPX2Instrumentor().instrument(tracer_provider=provider)  # or via opentelemetry-instrument (agent_httpx2)

Configuration:
    ``capture_content``: record request/response bodies (first 8 KiB); default: the
    ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` setting. Response bodies are recorded only when httpx2
    has already read them (``send(stream=False)``, i.e. ``client.get(...)``); ``client.stream(...)`` bodies are
    never read for telemetry.

Captured attributes (stable HTTP semantic conventions):
    One CLIENT span named ``{http.request.method}`` per ``Client.send``/``AsyncClient.send`` (redirect hops
    included, the final response recorded) with ``http.request.method``, ``url.full`` (credentials and secret
    query parameters replaced by ``REDACTED``), ``server.address``, ``server.port``, ``http.response.status_code``,
    ``network.protocol.version``, ``error.type``, status ERROR for status codes >= 400 and exceptions; inside a
    tool call ``agent_trace.tool.external``, ``agent_trace.tool.parent_name``, ``gen_ai.tool.call.id``. No
    headers are recorded. LLM instrumentors suppress these spans around their own SDK calls.
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

__all__ = ["HTTPX2Instrumentor"]

_MODULE = "httpx2"


class HTTPX2Instrumentor(AgentInstrumentor):
    """Traces ``httpx2.Client.send`` and ``httpx2.AsyncClient.send``: one CLIENT span per request."""

    _instruments = _instruments
    _module = _MODULE

    def instrumentation_dependencies(self) -> Collection[str]:
        """The ``httpx2`` versions supported."""
        return _instruments

    def _patch(self, module: ModuleType, **kwargs: Any) -> None:
        from otel_agent_trace.instrumentation._http import AsyncClientWrapper, SyncClientWrapper

        from ._wrappers import _prepare, _read_response

        tracer, capture = self._tracer(kwargs), self._capture_content(kwargs)
        sync = SyncClientWrapper(tracer, capture, f"{_MODULE}.Client.send", _prepare, _read_response)
        wrap_function_wrapper(module, "Client.send", sync)
        async_ = AsyncClientWrapper(tracer, capture, f"{_MODULE}.AsyncClient.send", _prepare, _read_response)
        wrap_function_wrapper(module, "AsyncClient.send", async_)

    def _unpatch(self, **kwargs: Any) -> None:
        module = sys.modules[_MODULE]
        unwrap(module.Client, "send")
        unwrap(module.AsyncClient, "send")

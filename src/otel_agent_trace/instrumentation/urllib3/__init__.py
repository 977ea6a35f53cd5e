"""Client spans for ``urllib3``, with W3C trace context injected into every outgoing request.

Usage::

    from otel_agent_trace.instrumentation.urllib3 import URLLib3Instrumentor
    URLLib3Instrumentor().instrument(tracer_provider=provider)  # or via opentelemetry-instrument (agent_urllib3)

Configuration:
    ``capture_content``: record request/response bodies (first 8 KiB); default: the
    ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` setting. Response bodies are recorded only when urllib3
    has already read them (``preload_content=True``).

Captured attributes (stable HTTP semantic conventions):
    One CLIENT span named ``{http.request.method}`` per ``HTTPConnectionPool.urlopen`` (its retries and same-host
    redirects included) with ``http.request.method``, ``url.full`` (credentials and secret query parameters
    replaced by ``REDACTED``), ``server.address``, ``server.port``, ``http.response.status_code``,
    ``network.protocol.version``, ``error.type``, status ERROR for status codes >= 400 and exceptions; inside a
    tool call ``agent_trace.tool.external``, ``agent_trace.tool.parent_name``, ``gen_ai.tool.call.id``. No headers
    are recorded. Calls made by an instrumented ``requests`` get no span of their own (the requests span covers them).
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

__all__ = ["URLLib3Instrumentor"]


class URLLib3Instrumentor(AgentInstrumentor):
    """Traces ``urllib3.connectionpool.HTTPConnectionPool.urlopen``: one CLIENT span per request."""

    _instruments = _instruments
    _module = "urllib3"

    def instrumentation_dependencies(self) -> Collection[str]:
        """The ``urllib3`` versions supported."""
        return _instruments

    def _patch(self, module: ModuleType, **kwargs: Any) -> None:
        from otel_agent_trace.instrumentation._http import SyncClientWrapper

        from ._wrappers import _prepare, _read_response

        wrapper = SyncClientWrapper(
            self._tracer(kwargs),
            self._capture_content(kwargs),
            "urllib3.HTTPConnectionPool.urlopen",
            _prepare,
            _read_response,
        )
        wrap_function_wrapper(module.connectionpool, "HTTPConnectionPool.urlopen", wrapper)

    def _unpatch(self, **kwargs: Any) -> None:
        unwrap(sys.modules["urllib3.connectionpool"].HTTPConnectionPool, "urlopen")

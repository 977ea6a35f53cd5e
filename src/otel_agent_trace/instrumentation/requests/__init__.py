"""Client spans for ``requests``, with W3C trace context injected into every outgoing request.

Usage::

    from otel_agent_trace.instrumentation.requests import RequestsInstrumentor
    RequestsInstrumentor().instrument(tracer_provider=provider)  # or via opentelemetry-instrument (agent_requests)

Configuration:
    ``capture_content``: record request/response bodies (first 8 KiB); default: the
    ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` setting. Response bodies are recorded only when
    ``requests`` has already read them (``stream=False``); a streamed body is never read for telemetry.

Captured attributes (stable HTTP semantic conventions):
    One CLIENT span named ``{http.request.method}`` per ``Session.send`` (redirect hops included, the final
    response recorded) with ``http.request.method``, ``url.full`` (credentials and secret query parameters
    replaced by ``REDACTED``), ``server.address``, ``server.port``, ``http.response.status_code``,
    ``network.protocol.version``, ``error.type`` (status code >= 400 or exception class), status ERROR for
    status codes >= 400 and exceptions. Inside a tool call: ``agent_trace.tool.external``,
    ``agent_trace.tool.parent_name``, ``gen_ai.tool.call.id``. No headers are recorded. The nested urllib3 call
    is suppressed, so instrumenting both libraries gives one span per request.
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

__all__ = ["RequestsInstrumentor"]


class RequestsInstrumentor(AgentInstrumentor):
    """Traces ``requests.Session.send``: one CLIENT span per request, ``traceparent`` injected."""

    _instruments = _instruments
    _module = "requests"

    def instrumentation_dependencies(self) -> Collection[str]:
        """The ``requests`` versions supported."""
        return _instruments

    def _patch(self, module: ModuleType, **kwargs: Any) -> None:
        from otel_agent_trace.instrumentation._http import SyncClientWrapper

        from ._wrappers import _prepare, _read_response

        wrapper = SyncClientWrapper(
            self._tracer(kwargs), self._capture_content(kwargs), "requests.Session.send", _prepare, _read_response
        )
        wrap_function_wrapper(module.sessions, "Session.send", wrapper)

    def _unpatch(self, **kwargs: Any) -> None:
        unwrap(sys.modules["requests.sessions"].Session, "send")

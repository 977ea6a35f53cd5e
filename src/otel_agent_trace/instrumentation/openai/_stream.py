"""Streamed openai responses: what they delivered, recorded on the call's span by the shared proxies.

The proxies (`otel_agent_trace.instrumentation._llm`) keep the returned ``Stream``/``AsyncStream`` what it was
(every attribute forwarded, ``isinstance(proxy, openai.Stream)`` holds) and end the span exactly once: exhausted,
raised, closed, ``with`` exited, or garbage collected.
"""

from __future__ import annotations

import time
from typing import Any

from opentelemetry.trace import Span

from otel_agent_trace._internal.errors import log_internal_error
from otel_agent_trace._internal.serialize import dumps
from otel_agent_trace._internal.tracing import record_failure
from otel_agent_trace.instrumentation._genai import ChatChunkCollector
from otel_agent_trace.instrumentation._llm import AsyncStreamProxy, StreamProxy, chunk_timing_attributes
from otel_agent_trace.semconv.error import ERROR_CODE
from otel_agent_trace.semconv.gen_ai import (
    GEN_AI_OUTPUT_MESSAGES,
    GEN_AI_RESPONSE_ID,
    GEN_AI_RESPONSE_MODEL,
    GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
    OPENAI_RESPONSE_SERVICE_TIER,
    OPENAI_RESPONSE_SYSTEM_FINGERPRINT,
)

from ._extract import (
    Attributes,
    _usage,
    error_code,
    responses_response_attributes,
)

_WHERE = "otel_agent_trace.instrumentation.openai stream"


class ChatStreamState:
    """Accumulates ``ChatCompletionChunk``s into the attributes of a finished chat completion."""

    __slots__ = ("capture", "chunks", "fingerprint", "tier")

    def __init__(self, capture: bool) -> None:
        self.capture = capture
        self.chunks = ChatChunkCollector(capture)
        self.tier: Any = None
        self.fingerprint: Any = None

    def on_chunk(self, chunk: Any) -> None:
        """Take in one chunk (the service tier and fingerprint of the first chunk that names them)."""
        self.chunks.observe(chunk)
        if self.tier is None:
            self.tier = getattr(chunk, "service_tier", None)
        if self.fingerprint is None:
            self.fingerprint = getattr(chunk, "system_fingerprint", None)

    def attributes(self, attributes: Attributes) -> None:
        """Add what was accumulated."""
        chunks = self.chunks
        chunks.response_attributes(attributes)
        if isinstance(self.tier, str) and self.tier:
            attributes[OPENAI_RESPONSE_SERVICE_TIER] = self.tier
        if isinstance(self.fingerprint, str) and self.fingerprint:
            attributes[OPENAI_RESPONSE_SYSTEM_FINGERPRINT] = self.fingerprint
        _usage(chunks.usage, attributes, "prompt_tokens", "completion_tokens")
        if self.capture:
            attributes[GEN_AI_OUTPUT_MESSAGES] = dumps(chunks.output_messages())


_RESPONSE_DONE = frozenset({"response.completed", "response.incomplete", "response.failed"})


class ResponsesStreamState:
    """Keeps the final ``Response`` of a Responses API event stream."""

    __slots__ = ("capture", "error", "model", "response", "response_id")

    def __init__(self, capture: bool) -> None:
        self.capture = capture
        self.response: Any = None
        self.response_id: str | None = None
        self.model: str | None = None
        self.error: str | None = None

    def on_chunk(self, event: Any) -> None:
        """Take in one event."""
        kind = getattr(event, "type", None)
        if kind in _RESPONSE_DONE:
            self.response = event.response
        elif kind == "response.created":
            response = event.response
            self.response_id = getattr(response, "id", None)
            self.model = getattr(response, "model", None)
        elif kind == "error":
            self.error = getattr(event, "code", None) or "error"

    def attributes(self, attributes: Attributes) -> None:
        """Add what was accumulated."""
        if self.response is not None:
            responses_response_attributes(self.response, attributes, self.capture)
        else:
            if isinstance(self.response_id, str):
                attributes[GEN_AI_RESPONSE_ID] = self.response_id
            if isinstance(self.model, str):
                attributes[GEN_AI_RESPONSE_MODEL] = self.model
        if self.error is not None:
            attributes[ERROR_CODE] = str(self.error)


class _SpanEnder:
    """The `StreamObserver` of an openai stream (kept outside the ``ObjectProxy`` for cheap attribute access)."""

    __slots__ = ("count", "first_chunk", "last_chunk", "span", "start", "state")

    def __init__(self, span: Span, state: ChatStreamState | ResponsesStreamState, start: float) -> None:
        self.span: Span | None = span
        self.state = state
        self.start = start
        self.first_chunk: float | None = None
        self.last_chunk = 0.0
        self.count = 0

    def on_chunk(self, chunk: Any) -> None:
        try:
            self.last_chunk = time.perf_counter() - self.start
            self.count += 1
            if self.first_chunk is None:
                self.first_chunk = self.last_chunk
            self.state.on_chunk(chunk)
        except Exception:  # noqa: BLE001 - telemetry faults must not reach the user
            log_internal_error(_WHERE)

    def end(self, exc: BaseException | None = None) -> None:
        span = self.span
        if span is None:
            return
        self.span = None
        try:
            attributes: Attributes = {}
            if self.first_chunk is not None:
                attributes[GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = self.first_chunk
                attributes.update(chunk_timing_attributes(self.count, self.first_chunk, self.last_chunk))
            self.state.attributes(attributes)
            if exc is not None and isinstance(exc, Exception):
                record_failure(span, exc)
                code = error_code(exc)
                if code is not None:
                    attributes[ERROR_CODE] = code
            span.set_attributes(attributes)
        except Exception:  # noqa: BLE001 - telemetry faults must not reach the user
            log_internal_error(_WHERE)
        finally:
            span.end()


def wrap_stream(
    stream: Any, span: Span, state: ChatStreamState | ResponsesStreamState, start: float, is_async: bool
) -> Any:
    """The proxy to hand back instead of ``stream``."""
    ender = _SpanEnder(span, state, start)
    return AsyncStreamProxy(stream, ender) if is_async else StreamProxy(stream, ender)

"""Wrappers of the google-genai ``Models`` / ``AsyncModels`` methods that send one request each.

Each wrapper starts one CLIENT span, runs the SDK call exactly once outside our error guard (span current, HTTP
instrumentation suppressed unless ``capture_http``), then records the response or the exception.

Why the private ``_generate_content`` / ``_generate_content_stream``: the public ``generate_content`` may send
several requests (automatic function calling runs the model, then your Python tools, then the model again;
automatic continuation follows continuation tokens). Each request is one LLM call, so each gets one span, and
the tool runs in between are not counted as model time. ``Chat.send_message`` goes through the same methods:
one span per request, never two.

A sync stream is a generator: the request is sent on the first ``next()``. Its proxy makes our span current
(and HTTP suppressed) around every ``next()``, so the request and any HTTP span it makes are where they belong.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind

from otel_agent_trace._internal.context import is_enabled, is_llm_instrumentation_enabled
from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace.instrumentation import _llm
from otel_agent_trace.instrumentation._peers import past_peers, start_llm_span

from ._extract import (
    EMBEDDINGS,
    GENERATE_CONTENT,
    content_request_attributes,
    embed_response_attributes,
    error_attributes,
    request_attributes,
    response_attributes,
    span_name,
)
from ._stream import StreamAccumulator

LIBRARY = "google-genai"


class Config:
    """What every wrapper of one ``instrument()`` shares."""

    __slots__ = ("capture", "capture_http", "tracer")

    def __init__(self, tracer: trace.Tracer, capture: Callable[[], bool], capture_http: bool) -> None:
        self.tracer = tracer
        self.capture = capture
        self.capture_http = capture_http


class LLMCall(_llm.LLMCall):
    """One google-genai request."""

    __slots__ = ()
    where: ClassVar[str] = "google_genai"

    def error_attributes(self, exc: BaseException) -> Mapping[str, Any]:
        """``agent_trace.error.code`` from the ``APIError`` (its ``status``, else its HTTP code)."""
        return error_attributes(exc)

    def finish(self, response: Any, operation: str) -> None:
        """Record a returned response and end the span."""
        with handle_internal_errors("google_genai.response_attributes"):
            if operation == EMBEDDINGS:
                self.span.set_attributes(embed_response_attributes(response))
            else:
                self.span.set_attributes(response_attributes(response, capture=self.capture))
        self.end()


class _ContextStreamProxy(_llm.StreamProxy):
    """A sync stream proxy that makes the call's context current around each ``next()`` (the request is lazy)."""

    def __init__(self, wrapped: Any, observer: _llm.StreamObserver, ctx: Context) -> None:
        super().__init__(wrapped, observer)
        self._self_ctx = ctx

    def __next__(self) -> Any:
        token = otel_context.attach(self._self_ctx)
        try:
            return super().__next__()
        finally:
            otel_context.detach(token)


class _AsyncGeneratorProxy(_llm.AsyncStreamProxy):
    """An async stream proxy of an async generator (``aclose()``, no ``close()``)."""

    async def aclose(self) -> None:
        """Close the generator and end the span with what was read so far."""
        try:
            await self.__wrapped__.aclose()
        finally:
            self._self_observer.end()


def _enabled() -> bool:
    return is_enabled() and is_llm_instrumentation_enabled()


def _start(config: Config, instance: Any, operation: str, kwargs: Mapping[str, Any], stream: bool) -> Any:
    """Start the span of a call and make it current. Returns ``(call, token)`` or None."""
    started: Any = None
    with handle_internal_errors("google_genai.start_span"):
        capture = config.capture()
        attributes = request_attributes(instance, operation, kwargs, stream=stream)
        if capture and operation == GENERATE_CONTENT:
            content_request_attributes(kwargs, attributes)
        start_ns = time.time_ns()
        span, token = start_llm_span(
            LIBRARY,
            config.tracer,
            span_name(operation, kwargs),
            kind=SpanKind.CLIENT,
            attributes=attributes,
            suppress_http=not config.capture_http,
            start_time=start_ns,
        )
        started = (LLMCall(span, capture, start_ns), token)
    return started


class CallWrapper:
    """``Models._generate_content`` / ``Models.embed_content``: one request, one response."""

    __slots__ = ("_config", "_operation")

    def __init__(self, config: Config, operation: str) -> None:
        self._config = config
        self._operation = operation

    def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if not _enabled():
            return wrapped(*args, **kwargs)
        started = _start(self._config, instance, self._operation, kwargs, False)
        if started is None:
            return wrapped(*args, **kwargs)
        call, token = started
        try:
            result = past_peers(wrapped)(*args, **kwargs)  # a peer's embed_content wrapper beneath ours
        except Exception as exc:
            call.fail(exc)
            raise
        finally:
            otel_context.detach(token)
        call.finish(result, self._operation)
        return result


class AsyncCallWrapper:
    """``AsyncModels._generate_content`` / ``AsyncModels.embed_content``."""

    __slots__ = ("_config", "_operation")

    def __init__(self, config: Config, operation: str) -> None:
        self._config = config
        self._operation = operation

    async def __call__(self, wrapped: Callable[..., Awaitable[Any]], instance: Any, args: Any, kwargs: Any) -> Any:
        if not _enabled():
            return await wrapped(*args, **kwargs)
        started = _start(self._config, instance, self._operation, kwargs, False)
        if started is None:
            return await wrapped(*args, **kwargs)
        call, token = started
        try:
            result = await past_peers(wrapped)(*args, **kwargs)
        except Exception as exc:
            call.fail(exc)
            raise
        finally:
            otel_context.detach(token)
        call.finish(result, self._operation)
        return result


class StreamWrapper:
    """``Models._generate_content_stream``: a generator, returned in a proxy that ends the span exactly once."""

    __slots__ = ("_config",)

    def __init__(self, config: Config) -> None:
        self._config = config

    def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if not _enabled():
            return wrapped(*args, **kwargs)
        started = _start(self._config, instance, GENERATE_CONTENT, kwargs, True)
        if started is None:
            return wrapped(*args, **kwargs)
        call, token = started
        ctx = otel_context.get_current()
        try:
            result = wrapped(*args, **kwargs)
        except Exception as exc:
            call.fail(exc)
            raise
        finally:
            otel_context.detach(token)
        proxy: Any = None
        with handle_internal_errors("google_genai.stream"):
            proxy = _ContextStreamProxy(result, _llm.CallStreamObserver(call, StreamAccumulator(call.capture)), ctx)
        if proxy is None:
            call.end()
            return result
        return proxy


class AsyncStreamWrapper:
    """``AsyncModels._generate_content_stream``: the awaited request, then a proxy of the async generator."""

    __slots__ = ("_config",)

    def __init__(self, config: Config) -> None:
        self._config = config

    async def __call__(self, wrapped: Callable[..., Awaitable[Any]], instance: Any, args: Any, kwargs: Any) -> Any:
        if not _enabled():
            return await wrapped(*args, **kwargs)
        started = _start(self._config, instance, GENERATE_CONTENT, kwargs, True)
        if started is None:
            return await wrapped(*args, **kwargs)
        call, token = started
        try:
            result = await wrapped(*args, **kwargs)
        except Exception as exc:
            call.fail(exc)
            raise
        finally:
            otel_context.detach(token)
        proxy: Any = None
        with handle_internal_errors("google_genai.stream"):
            proxy = _AsyncGeneratorProxy(result, _llm.CallStreamObserver(call, StreamAccumulator(call.capture)))
        if proxy is None:
            call.end()
            return result
        return proxy

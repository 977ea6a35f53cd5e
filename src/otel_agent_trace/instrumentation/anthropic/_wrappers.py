"""Wrappers of ``Messages.create`` / ``.parse`` / ``.stream`` (sync and async) and of the SDK's own call span.

Each wrapper starts one ``chat {model}`` CLIENT span, runs the SDK call exactly once outside our error guard
(with the span current, HTTP instrumentation suppressed unless ``capture_http``, and the SDK's own call span
skipped), then records the result or the exception. Streams get a proxy that ends the span later.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Awaitable, Callable, Generator, Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from otel_agent_trace._internal.context import is_enabled, is_llm_instrumentation_enabled
from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace.instrumentation._peers import start_llm_span

from ._extract import content_request_attributes, request_attributes, server_attributes, span_name
from ._stream import LLMCall, wrap_stream

_SYNC_MANAGER_ATTR = "_MessageStreamManager__api_request"
_ASYNC_MANAGER_ATTR = "_AsyncMessageStreamManager__api_request"

_in_our_span: contextvars.ContextVar[bool] = contextvars.ContextVar("otel_agent_trace_anthropic_call", default=False)
"""True while the SDK runs a call whose span is ours: the SDK's own call span is then not started."""


class Config:
    """What every wrapper of one ``instrument()`` shares."""

    __slots__ = ("async_stream_cls", "capture", "capture_http", "message_cls", "stream_cls", "tracer")

    def __init__(
        self,
        tracer: trace.Tracer,
        capture: Callable[[], bool],
        capture_http: bool,
        stream_cls: type,
        async_stream_cls: type,
        message_cls: type,
    ) -> None:
        self.tracer = tracer
        self.capture = capture
        self.capture_http = capture_http
        self.stream_cls = stream_cls
        self.async_stream_cls = async_stream_cls
        self.message_cls = message_cls


def _start(config: Config, instance: Any, params: Mapping[str, Any], stream: bool) -> tuple[LLMCall, object] | None:
    """Start the span of a call and make it current. Returns the call and the context token, or None."""
    call: LLMCall | None = None
    token: object = None
    with handle_internal_errors("anthropic.start_span"):
        capture = config.capture()
        attributes = request_attributes(params, stream=stream)
        server_attributes(instance, attributes)
        if capture:
            content_request_attributes(params, attributes)
        start_ns = time.time_ns()
        started = start_llm_span(
            "anthropic",
            config.tracer,
            span_name(params),
            kind=SpanKind.CLIENT,
            attributes=attributes,
            suppress_http=not config.capture_http,
            start_time=start_ns,
        )
        if started is not None:
            call, token = LLMCall(started[0], capture, start_ns), started[1]
    if call is None:
        return None
    return call, token


def _finish(config: Config, call: LLMCall, result: Any, *, is_async: bool) -> Any:
    """Record the result of a call; a stream is returned wrapped in a proxy that ends the span later."""
    with handle_internal_errors("anthropic.finish"):
        if isinstance(result, config.stream_cls):
            return wrap_stream(result, call, is_async=False)
        if isinstance(result, config.async_stream_cls):
            return wrap_stream(result, call, is_async=True)
        if isinstance(result, config.message_cls):
            call.finish_message(result)
            return result
    # A raw response (``with_raw_response``) or anything unknown: the request attributes are all we know.
    with handle_internal_errors("anthropic.finish"):
        call.end()
    return result


def _enabled() -> bool:
    return is_enabled() and is_llm_instrumentation_enabled()


def invoke(
    config: Config, instance: Any, params: Mapping[str, Any], stream: bool, fn: Callable[..., Any], *args: Any
) -> Any:
    """Run ``fn(*args, **params)``-like SDK call ``fn`` once inside the span of the call."""
    started = _start(config, instance, params, stream)
    if started is None:
        return fn(*args)
    call, token = started
    flag = _in_our_span.set(True)
    try:
        result = fn(*args)
    except Exception as exc:
        call.fail(exc)
        raise
    finally:
        _in_our_span.reset(flag)
        otel_context.detach(token)  # type: ignore[arg-type]
    return _finish(config, call, result, is_async=False)


async def ainvoke(
    config: Config,
    instance: Any,
    params: Mapping[str, Any],
    stream: bool,
    fn: Callable[..., Awaitable[Any]],
    *args: Any,
) -> Any:
    """Async twin of `invoke`."""
    started = _start(config, instance, params, stream)
    if started is None:
        return await fn(*args)
    call, token = started
    flag = _in_our_span.set(True)
    try:
        result = await fn(*args)
    except Exception as exc:
        call.fail(exc)
        raise
    finally:
        _in_our_span.reset(flag)
        otel_context.detach(token)  # type: ignore[arg-type]
    return _finish(config, call, result, is_async=True)


def _call_with(wrapped: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    return wrapped(*args, **kwargs)


class CreateWrapper:
    """``Messages.create`` / ``Messages.parse``."""

    __slots__ = ("_config",)

    def __init__(self, config: Config) -> None:
        self._config = config

    def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if not _enabled():
            return wrapped(*args, **kwargs)
        return invoke(self._config, instance, kwargs, kwargs.get("stream") is True, _call_with, wrapped, args, kwargs)


class AsyncCreateWrapper:
    """``AsyncMessages.create`` / ``AsyncMessages.parse``."""

    __slots__ = ("_config",)

    def __init__(self, config: Config) -> None:
        self._config = config

    async def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if not _enabled():
            return await wrapped(*args, **kwargs)
        return await ainvoke(
            self._config, instance, kwargs, kwargs.get("stream") is True, _acall_with, wrapped, args, kwargs
        )


async def _acall_with(wrapped: Callable[..., Awaitable[Any]], args: Any, kwargs: Any) -> Any:
    return await wrapped(*args, **kwargs)


class _TracedStreamRequest:
    """Stands in for the request a ``MessageStreamManager`` makes on ``__enter__``: the span starts there."""

    __slots__ = ("_config", "_instance", "_original", "_params")

    def __init__(self, config: Config, instance: Any, params: Mapping[str, Any], original: Callable[[], Any]) -> None:
        self._config = config
        self._instance = instance
        self._params = params
        self._original = original

    def __call__(self) -> Any:
        if not _enabled():
            return self._original()
        return invoke(self._config, self._instance, self._params, True, self._original)


class _TracedAsyncStreamRequest:
    """Stands in for the awaitable an ``AsyncMessageStreamManager`` awaits on ``__aenter__``."""

    __slots__ = ("_config", "_instance", "_original", "_params")

    def __init__(self, config: Config, instance: Any, params: Mapping[str, Any], original: Awaitable[Any]) -> None:
        self._config = config
        self._instance = instance
        self._params = params
        self._original = original

    def __await__(self) -> Generator[Any, None, Any]:
        return self._run().__await__()

    async def _run(self) -> Any:
        if not _enabled():
            return await self._original
        return await ainvoke(self._config, self._instance, self._params, True, _await, self._original)


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


class StreamWrapper:
    """``Messages.stream(...)``: the manager is returned as it is; the request it makes on ``__enter__`` is traced."""

    __slots__ = ("_attr", "_config", "_request_cls")

    def __init__(self, config: Config, *, is_async: bool) -> None:
        self._config = config
        self._attr = _ASYNC_MANAGER_ATTR if is_async else _SYNC_MANAGER_ATTR
        self._request_cls: type = _TracedAsyncStreamRequest if is_async else _TracedStreamRequest

    def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        manager = wrapped(*args, **kwargs)
        with handle_internal_errors("anthropic.messages.stream"):
            original = getattr(manager, self._attr, None)
            if original is not None:
                setattr(manager, self._attr, self._request_cls(self._config, instance, dict(kwargs), original))
        return manager


def sdk_span_gate(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
    """Wraps the SDK's ``start_api_call_span``: no SDK span for a call that already has our LLM span.

    Also none inside ``suppress_instrumentation()`` or under an outer LLM span (litellm's). Returning ``None`` is
    the SDK's own "no span for this call" path; the call goes on without it.
    """
    if _in_our_span.get() or not is_llm_instrumentation_enabled() or not is_enabled():
        return None
    return wrapped(*args, **kwargs)

"""The wrappers around the ``create()``/``parse()`` methods of the OpenAI resources."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from contextvars import Token
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.context import (
    Context,
)
from opentelemetry.trace import SpanKind, Tracer

from otel_agent_trace._internal.context import is_enabled, is_llm_instrumentation_enabled
from otel_agent_trace._internal.errors import log_internal_error
from otel_agent_trace._internal.tracing import record_failure
from otel_agent_trace.instrumentation._peers import past_peers, start_llm_span
from otel_agent_trace.semconv.error import ERROR_CODE

from . import _extract
from ._extract import Attributes
from ._stream import ChatStreamState, ResponsesStreamState, wrap_stream

_CLIENT = SpanKind.CLIENT


class Operation:
    """What one kind of OpenAI call records: its operation name and its extractors."""

    __slots__ = ("name", "request", "response", "stream_state", "where")

    def __init__(
        self,
        name: str,
        request: Callable[[Any, Attributes, bool], None],
        response: Callable[[Any, Attributes, bool], None],
        stream_state: type[ChatStreamState] | type[ResponsesStreamState] | None,
        where: str,
    ) -> None:
        self.name = name
        self.request = request
        self.response = response
        self.stream_state = stream_state
        self.where = f"otel_agent_trace.instrumentation.openai {where}"


CHAT_COMPLETIONS = Operation(
    _extract.CHAT,
    _extract.chat_request_attributes,
    _extract.chat_response_attributes,
    ChatStreamState,
    "chat.completions",
)
RESPONSES = Operation(
    _extract.CHAT,
    _extract.responses_request_attributes,
    _extract.responses_response_attributes,
    ResponsesStreamState,
    "responses",
)
EMBEDDINGS = Operation(
    _extract.EMBEDDINGS,
    _extract.embeddings_request_attributes,
    _extract.embeddings_response_attributes,
    None,
    "embeddings",
)

_Started = tuple[Any, Token[Context], bool, float]


class _Wrapper:
    """Shared prologue and epilogue of the sync and async wrappers (our code only; the call is not in here)."""

    __slots__ = ("_capture", "_op", "_raw_cls", "_stream_cls", "_suppress_http", "_tracer")

    def __init__(
        self,
        tracer: Tracer,
        op: Operation,
        capture: Callable[[], bool],
        capture_http: bool,
        stream_cls: type,
        raw_cls: type | None = None,
    ) -> None:
        self._tracer = tracer
        self._op = op
        self._capture = capture
        self._suppress_http = not capture_http
        self._stream_cls = stream_cls
        self._raw_cls = raw_cls

    def _start(self, instance: Any, kwargs: dict[str, Any]) -> _Started | None:
        try:
            op = self._op
            capture = self._capture()
            model = kwargs.get("model")
            attributes = _extract.base_attributes(op.name, model)
            op.request(kwargs, attributes, capture)
            _extract.server_attributes(instance, attributes)
            name = f"{op.name} {model}" if isinstance(model, str) else op.name
            started = start_llm_span(
                "openai", self._tracer, name, kind=_CLIENT, attributes=attributes, suppress_http=self._suppress_http
            )
            return None if started is None else (*started, capture, time.perf_counter())
        except Exception:  # noqa: BLE001 - telemetry faults must not reach the user; the call goes untraced
            log_internal_error(self._op.where)
            return None

    def _fail(self, span: Any, exc: Exception) -> None:
        try:
            record_failure(span, exc)
            code = _extract.error_code(exc)
            if code is not None:
                span.set_attribute(ERROR_CODE, code)
        except Exception:  # noqa: BLE001 - telemetry faults must not reach the user
            log_internal_error(self._op.where)
        finally:
            span.end()

    def _finish(self, span: Any, result: Any, capture: bool, start: float, is_async: bool) -> Any:
        op = self._op
        try:
            if op.stream_state is not None and isinstance(result, self._stream_cls):
                return wrap_stream(result, span, op.stream_state(capture), start, is_async)
            attributes: Attributes = {}
            parsed: Any = result
            if self._raw_cls is not None and isinstance(result, self._raw_cls) and not parsed._stream:
                # ``with_raw_response`` (langchain-openai calls this way): ``parse()`` caches its result, so the
                # caller's own ``parse()`` gets the same object and no second parsing happens.
                parsed = parsed.parse()
            op.response(parsed, attributes, capture)
            span.set_attributes(attributes)
        except Exception:  # noqa: BLE001 - telemetry faults must not reach the user
            log_internal_error(op.where)
        span.end()
        return result


class SyncWrapper(_Wrapper):
    """Wraps a sync ``create()``: one CLIENT span per call (or per stream)."""

    __slots__ = ()

    def __call__(
        self, wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        if not is_enabled() or not is_llm_instrumentation_enabled():
            return wrapped(*args, **kwargs)
        started = self._start(instance, kwargs)
        if started is None:
            return wrapped(*args, **kwargs)
        span, token, capture, start = started
        try:
            result = past_peers(wrapped)(*args, **kwargs)
        except Exception as exc:
            self._fail(span, exc)
            raise
        except BaseException:
            span.end()
            raise
        finally:
            otel_context.detach(token)
        return self._finish(span, result, capture, start, False)


class AsyncWrapper(_Wrapper):
    """Wraps an async ``create()``: one CLIENT span per call (or per stream)."""

    __slots__ = ()

    async def __call__(
        self,
        wrapped: Callable[..., Awaitable[Any]],
        instance: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        if not is_enabled() or not is_llm_instrumentation_enabled():
            return await wrapped(*args, **kwargs)
        started = self._start(instance, kwargs)
        if started is None:
            return await wrapped(*args, **kwargs)
        span, token, capture, start = started
        try:
            result = await past_peers(wrapped)(*args, **kwargs)
        except Exception as exc:
            self._fail(span, exc)
            raise
        except BaseException:
            span.end()
            raise
        finally:
            otel_context.detach(token)
        return self._finish(span, result, capture, start, True)

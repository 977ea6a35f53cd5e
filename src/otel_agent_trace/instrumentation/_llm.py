"""What the LLM SDK instrumentors share: the span of one call, and stream proxies that end it exactly once.

A streamed call's span stays open while the application reads the stream. The proxies end it when the stream is
exhausted, raises, is closed (``close()``/``aclose()``, ``with`` exit) or is garbage-collected unread; everything
else is forwarded to the SDK's stream object unchanged (``isinstance`` still holds). What a stream delivered is
recorded by a `StreamObserver`: the openai instrumentor has its own, anthropic and litellm use `CallStreamObserver`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import wrapt
from opentelemetry.trace import Span
from wrapt import ObjectProxy

from otel_agent_trace._internal.context import is_enabled, is_llm_instrumentation_enabled
from otel_agent_trace._internal.errors import handle_internal_errors, log_internal_error
from otel_agent_trace._internal.tracing import record_failure
from otel_agent_trace.semconv.gen_ai import GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK
from otel_agent_trace.semconv.metrics import RESPONSE_CHUNK_COUNT, RESPONSE_TIME_PER_OUTPUT_CHUNK

if TYPE_CHECKING:
    _ProxyBase = ObjectProxy[Any]  # wrapt 2 ships generic stubs; the runtime class is not subscriptable
else:
    _ProxyBase = ObjectProxy
_ANY_PROXY: type[Any] = getattr(wrapt, "BaseObjectProxy", ObjectProxy)
"""What every wrapt proxy is an instance of (wrapt 2 has a base class under ``ObjectProxy``)."""


class StreamObserver(Protocol):
    """Receives every chunk of a stream, then ``end()`` once (with the exception that broke it, if any)."""

    def on_chunk(self, chunk: Any) -> None:
        """Record one chunk; must not raise."""

    def end(self, exc: BaseException | None = None) -> None:
        """Record the outcome and end the span; later calls do nothing; must not raise."""


class StreamAccumulator(Protocol):
    """Collects what a stream delivered, for `CallStreamObserver`."""

    def observe(self, chunk: Any) -> None:
        """Record one chunk."""

    def attributes(self) -> Mapping[str, Any]:
        """The span attributes of everything observed so far."""


class LLMCall:
    """One LLM call: its span, whether content is captured, and whether the span has ended.

    Subclasses name themselves in ``where`` (for internal-error logs) and add their provider's error attributes.
    """

    __slots__ = ("capture", "ended", "span", "start_ns")
    where: ClassVar[str] = "llm"

    def __init__(self, span: Span, capture: bool, start_ns: int) -> None:
        self.span = span
        self.capture = capture
        self.start_ns = start_ns
        self.ended = False

    def error_attributes(self, exc: BaseException) -> Mapping[str, Any]:
        """Provider-specific attributes of a failed call (``agent_trace.error.code``...)."""
        return {}

    def end(self) -> None:
        """End the span unless it already ended."""
        if self.ended:
            return
        self.ended = True
        self.span.end()

    def fail(self, exc: BaseException) -> None:
        """Record ``exc`` (status ERROR, ``error.type``, provider error attributes) and end the span."""
        if self.ended:
            return
        with handle_internal_errors(f"{self.where}.record_failure"):
            record_failure(self.span, exc)
            self.span.set_attributes(self.error_attributes(exc))
        self.end()

    def finish_stream(self, accumulator: StreamAccumulator) -> None:
        """Record what a stream delivered and end the span."""
        if self.ended:
            return
        with handle_internal_errors(f"{self.where}.stream_attributes"):
            self.span.set_attributes(accumulator.attributes())
        self.end()


def chunk_timing_attributes(count: int, first: float, last: float) -> dict[str, Any]:
    """The chunk count of a stream and, from two chunks on, its mean seconds per chunk after the first.

    ``first``/``last`` are the arrival times of the first and the last chunk, in seconds on one clock.
    """
    attributes: dict[str, Any] = {RESPONSE_CHUNK_COUNT: count}
    if count >= 2 and last >= first:
        attributes[RESPONSE_TIME_PER_OUTPUT_CHUNK] = (last - first) / (count - 1)
    return attributes


class CallStreamObserver:
    """A `StreamObserver` that feeds an accumulator and ends an `LLMCall`, timing the first chunk and the rest."""

    __slots__ = ("acc", "call", "count", "first", "first_ns", "last_ns")

    def __init__(self, call: LLMCall, acc: StreamAccumulator) -> None:
        self.call = call
        self.acc = acc
        self.first = True
        self.count = 0
        self.first_ns = self.last_ns = 0

    def on_chunk(self, chunk: Any) -> None:
        """Record one chunk (and the time to the first one)."""
        try:
            now = time.time_ns()
            if self.first:
                self.first = False
                self.first_ns = now
                call = self.call
                call.span.set_attribute(GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, (now - call.start_ns) / 1e9)
            self.count += 1
            self.last_ns = now
            self.acc.observe(chunk)
        except Exception:  # noqa: BLE001 - per chunk, cheaper than handle_internal_errors; same policy
            log_internal_error(f"{self.call.where}.stream.observe")

    def end(self, exc: BaseException | None = None) -> None:
        """Fail the call with ``exc``, or record what was read and end it."""
        if self.count and not self.call.ended:
            with handle_internal_errors(f"{self.call.where}.stream.timing"):
                self.call.span.set_attributes(
                    chunk_timing_attributes(self.count, self.first_ns / 1e9, self.last_ns / 1e9)
                )
        if exc is not None:
            self.call.fail(exc)
        else:
            self.call.finish_stream(self.acc)


class StreamProxy(_ProxyBase):
    """Proxy of a sync SDK stream that hands each chunk to its observer and ends the span exactly once."""

    def __init__(self, wrapped: Any, observer: StreamObserver) -> None:
        super().__init__(wrapped)
        self._self_observer = observer
        # Another proxy around the SDK stream (a peer instrumentor's) may record what it delivers in its __iter__
        # only, so a proxy is read through iter(); the SDK's own stream through its __next__.
        self._self_iterator: Any = iter(wrapped) if isinstance(wrapped, _ANY_PROXY) else None

    def __iter__(self) -> StreamProxy:
        return self

    def __next__(self) -> Any:
        try:
            iterator = self._self_iterator
            chunk = self.__wrapped__.__next__() if iterator is None else next(iterator)
        except StopIteration:
            self._self_observer.end()
            raise
        except Exception as exc:
            self._self_observer.end(exc)
            raise
        self._self_observer.on_chunk(chunk)
        return chunk

    def __enter__(self) -> StreamProxy:
        self.__wrapped__.__enter__()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(exc_type, exc, tb)
        finally:
            self._self_observer.end()

    def close(self) -> Any:
        """Close the stream and end the span with what was read so far."""
        try:
            return self.__wrapped__.close()
        finally:
            self._self_observer.end()

    def __del__(self) -> None:
        observer = getattr(self, "_self_observer", None)
        if observer is not None:
            observer.end()


async def _anext(proxy: Any) -> Any:
    try:
        iterator = proxy._self_aiterator  # see StreamProxy.__init__
        chunk = await (proxy.__wrapped__ if iterator is None else iterator).__anext__()
    except StopAsyncIteration:
        proxy._self_observer.end()
        raise
    except Exception as exc:
        proxy._self_observer.end(exc)
        raise
    proxy._self_observer.on_chunk(chunk)
    return chunk


async def _aexit(proxy: Any, exc_type: Any, exc: Any, tb: Any) -> Any:
    try:
        return await proxy.__wrapped__.__aexit__(exc_type, exc, tb)
    finally:
        proxy._self_observer.end()


class AsyncStreamProxy(_ProxyBase):
    """Proxy of an async SDK stream (``close()`` is a coroutine) that ends the span exactly once."""

    def __init__(self, wrapped: Any, observer: StreamObserver) -> None:
        super().__init__(wrapped)
        self._self_observer = observer
        self._self_aiterator: Any = wrapped.__aiter__() if isinstance(wrapped, _ANY_PROXY) else None

    def __aiter__(self) -> AsyncStreamProxy:
        return self

    async def __anext__(self) -> Any:
        return await _anext(self)

    async def __aenter__(self) -> AsyncStreamProxy:
        await self.__wrapped__.__aenter__()
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        return await _aexit(self, exc_type, exc, tb)

    async def close(self) -> None:
        """Close the stream and end the span with what was read so far."""
        try:
            await self.__wrapped__.close()
        finally:
            self._self_observer.end()

    async def aclose(self) -> None:
        """Alias of `close`."""
        await self.close()

    def __del__(self) -> None:
        observer = getattr(self, "_self_observer", None)
        if observer is not None:
            observer.end()


class SyncAsyncStreamProxy(StreamProxy):
    """Proxy of a stream object iterable both ways (sync ``close()``, async ``aclose()``), like litellm's."""

    def __init__(self, wrapped: Any, observer: StreamObserver) -> None:
        super().__init__(wrapped, observer)
        self._self_aiterator: Any = None  # litellm's stream is not wrapped by a peer

    def __aiter__(self) -> SyncAsyncStreamProxy:
        return self

    async def __anext__(self) -> Any:
        return await _anext(self)

    async def __aenter__(self) -> SyncAsyncStreamProxy:
        await self.__wrapped__.__aenter__()
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        return await _aexit(self, exc_type, exc, tb)

    async def aclose(self) -> Any:
        """Close the stream asynchronously and end the span with what was read so far."""
        try:
            return await self.__wrapped__.aclose()
        finally:
            self._self_observer.end()


_SDK_INSTRUMENTORS = {
    "openai": ("otel_agent_trace.instrumentation.openai", "OpenAIInstrumentor"),
    "anthropic": ("otel_agent_trace.instrumentation.anthropic", "AnthropicInstrumentor"),
    "google-genai": ("otel_agent_trace.instrumentation.google_genai", "GoogleGenAIInstrumentor"),
    "bedrock": ("otel_agent_trace.instrumentation.bedrock", "BedrockInstrumentor"),
}
"""The provider SDKs we instrument: SDK name -> (module, class) of its instrumentor."""


def sdk_span_expected(sdk: str | None, *, raw_responses: bool = False) -> bool:
    """Whether our instrumentor of ``sdk`` will record an LLM call a framework makes through it, usage included.

    Framework instrumentors (LangChain, LlamaIndex) use this for the one-set-of-tokens rule: when it is True their
    own LLM span leaves ``gen_ai.usage.*`` to the provider span. ``raw_responses``: the integration reads raw
    responses (``with_raw_response``), which counts only if the instrumentor says ``handles_raw_response``.
    """
    target = _SDK_INSTRUMENTORS.get(sdk) if sdk is not None else None
    if target is None:
        return False
    module = sys.modules.get(target[0])  # never import an instrumentor the program did not load
    cls = getattr(module, target[1], None) if module is not None else None
    if cls is None or (raw_responses and not getattr(cls, "handles_raw_response", False)):
        return False
    if not getattr(cls(), "_is_instrumented_by_opentelemetry", False):  # BaseInstrumentor is a singleton
        return False
    return is_enabled() and is_llm_instrumentation_enabled()

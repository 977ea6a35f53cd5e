"""The span of one Anthropic call, and the stream proxies that end it exactly once.

A streamed call's span stays open while the application reads the stream. The proxy ends it when the stream is
exhausted, raises, is closed (``close()``, ``with`` exit, ``MessageStream`` closing it) or is garbage-collected
unread. Everything else is forwarded to the SDK's ``Stream`` / ``AsyncStream`` unchanged.
"""

from __future__ import annotations

import time
from typing import Any

import wrapt
from opentelemetry.trace import Span

from otel_agent_trace._internal.errors import handle_internal_errors, log_internal_error
from otel_agent_trace._internal.tracing import record_failure
from otel_agent_trace.semconv.gen_ai import GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK

from ._extract import StreamAccumulator, error_attributes, message_attributes


class LLMCall:
    """One ``messages.create`` call: its span, whether content is captured, and whether the span has ended."""

    __slots__ = ("capture", "ended", "span", "start_ns")

    def __init__(self, span: Span, capture: bool, start_ns: int) -> None:
        self.span = span
        self.capture = capture
        self.start_ns = start_ns
        self.ended = False

    def end(self) -> None:
        """End the span unless it already ended."""
        if self.ended:
            return
        self.ended = True
        self.span.end()

    def fail(self, exc: BaseException) -> None:
        """Record ``exc`` (status ERROR, ``error.type``, ``agent_trace.error.code``) and end the span."""
        if self.ended:
            return
        with handle_internal_errors("anthropic.record_failure"):
            record_failure(self.span, exc)
            self.span.set_attributes(error_attributes(exc))
        self.end()

    def finish_message(self, message: Any) -> None:
        """Record a returned ``Message`` and end the span."""
        with handle_internal_errors("anthropic.message_attributes"):
            self.span.set_attributes(message_attributes(message, capture=self.capture))
        self.end()

    def finish_stream(self, accumulator: StreamAccumulator) -> None:
        """Record what a stream delivered and end the span."""
        if self.ended:
            return
        with handle_internal_errors("anthropic.stream_attributes"):
            self.span.set_attributes(accumulator.attributes())
        self.end()


class LLMStream(wrapt.ObjectProxy):  # type: ignore[type-arg]
    """Wraps ``anthropic.Stream``: records each event and ends the call's span exactly once."""

    def __init__(self, wrapped: Any, call: LLMCall) -> None:
        super().__init__(wrapped)
        self._self_call = call
        self._self_acc = StreamAccumulator(call.capture)
        self._self_first = True

    def __iter__(self) -> LLMStream:
        return self

    def __next__(self) -> Any:
        try:
            event = self.__wrapped__.__next__()
        except StopIteration:
            self._self_call.finish_stream(self._self_acc)
            raise
        except Exception as exc:
            self._self_call.fail(exc)
            raise
        try:
            if self._self_first:
                self._self_first = False
                call = self._self_call
                call.span.set_attribute(GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, (time.time_ns() - call.start_ns) / 1e9)
            self._self_acc.observe(event)
        except Exception:  # noqa: BLE001 - per event, cheaper than handle_internal_errors; same policy
            log_internal_error("anthropic.stream.observe")
        return event

    def __enter__(self) -> LLMStream:
        self.__wrapped__.__enter__()
        return self

    def __exit__(self, *exc_info: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(*exc_info)
        finally:
            self._self_call.finish_stream(self._self_acc)

    def close(self) -> None:
        """Close the SDK stream and end the span with what was read so far."""
        try:
            self.__wrapped__.close()
        finally:
            self._self_call.finish_stream(self._self_acc)

    def __del__(self) -> None:
        with handle_internal_errors("anthropic.stream.__del__"):
            self._self_call.finish_stream(self._self_acc)


class AsyncLLMStream(wrapt.ObjectProxy):  # type: ignore[type-arg]
    """Wraps ``anthropic.AsyncStream``: records each event and ends the call's span exactly once."""

    def __init__(self, wrapped: Any, call: LLMCall) -> None:
        super().__init__(wrapped)
        self._self_call = call
        self._self_acc = StreamAccumulator(call.capture)
        self._self_first = True

    def __aiter__(self) -> AsyncLLMStream:
        return self

    async def __anext__(self) -> Any:
        try:
            event = await self.__wrapped__.__anext__()
        except StopAsyncIteration:
            self._self_call.finish_stream(self._self_acc)
            raise
        except Exception as exc:
            self._self_call.fail(exc)
            raise
        try:
            if self._self_first:
                self._self_first = False
                call = self._self_call
                call.span.set_attribute(GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, (time.time_ns() - call.start_ns) / 1e9)
            self._self_acc.observe(event)
        except Exception:  # noqa: BLE001 - per event, cheaper than handle_internal_errors; same policy
            log_internal_error("anthropic.stream.observe")
        return event

    async def __aenter__(self) -> AsyncLLMStream:
        await self.__wrapped__.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> Any:
        try:
            return await self.__wrapped__.__aexit__(*exc_info)
        finally:
            self._self_call.finish_stream(self._self_acc)

    async def close(self) -> None:
        """Close the SDK stream and end the span with what was read so far."""
        try:
            await self.__wrapped__.close()
        finally:
            self._self_call.finish_stream(self._self_acc)

    def __del__(self) -> None:
        with handle_internal_errors("anthropic.stream.__del__"):
            self._self_call.finish_stream(self._self_acc)

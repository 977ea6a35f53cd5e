"""The span of one litellm call, and the proxy of ``CustomStreamWrapper`` that ends it exactly once."""

from __future__ import annotations

import time
from typing import Any

import wrapt
from opentelemetry.trace import Span

from otel_agent_trace._internal.errors import handle_internal_errors, log_internal_error
from otel_agent_trace._internal.tracing import record_failure
from otel_agent_trace.instrumentation.litellm._extract import StreamAccumulator, error_attributes, response_attributes
from otel_agent_trace.semconv.gen_ai import GEN_AI_PROVIDER_NAME, GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK


class LLMCall:
    """One ``completion`` call: its span, whether content is captured, and whether the span has ended."""

    __slots__ = ("capture", "ended", "provider_known", "span", "start_ns")

    def __init__(self, span: Span, capture: bool, start_ns: int, provider_known: bool) -> None:
        self.span = span
        self.capture = capture
        self.start_ns = start_ns
        self.provider_known = provider_known
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
        with handle_internal_errors("litellm.record_failure"):
            record_failure(self.span, exc)
            self.span.set_attributes(error_attributes(exc))
        self.end()

    def provider_from(self, result: Any) -> None:
        """Take the provider litellm reports on its result when resolution failed before the call."""
        if self.provider_known:
            return
        from otel_agent_trace.instrumentation.litellm._extract import provider_name

        hidden = getattr(result, "_hidden_params", None)
        provider = hidden.get("custom_llm_provider") if isinstance(hidden, dict) else None
        provider = provider or getattr(result, "custom_llm_provider", None)
        if isinstance(provider, str) and provider:
            self.span.set_attribute(GEN_AI_PROVIDER_NAME, provider_name(provider))

    def finish_response(self, response: Any) -> None:
        """Record a returned ``ModelResponse`` and end the span."""
        with handle_internal_errors("litellm.response_attributes"):
            self.provider_from(response)
            self.span.set_attributes(response_attributes(response, capture=self.capture))
        self.end()

    def finish_stream(self, accumulator: StreamAccumulator) -> None:
        """Record what a stream delivered and end the span."""
        if self.ended:
            return
        with handle_internal_errors("litellm.stream_attributes"):
            self.span.set_attributes(accumulator.attributes())
        self.end()


class LLMStream(wrapt.ObjectProxy):  # type: ignore[type-arg]
    """Wraps litellm's ``CustomStreamWrapper`` (sync and async iteration); ends the span exactly once."""

    def __init__(self, wrapped: Any, call: LLMCall) -> None:
        super().__init__(wrapped)
        self._self_call = call
        self._self_acc = StreamAccumulator(call.capture)
        self._self_first = True
        with handle_internal_errors("litellm.stream"):
            call.provider_from(wrapped)

    def _self_observe(self, chunk: Any) -> None:
        try:
            if self._self_first:
                self._self_first = False
                call = self._self_call
                call.span.set_attribute(GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, (time.time_ns() - call.start_ns) / 1e9)
            self._self_acc.observe(chunk)
        except Exception:  # noqa: BLE001 - per chunk, cheaper than handle_internal_errors; same policy
            log_internal_error("litellm.stream.observe")

    def __iter__(self) -> LLMStream:
        return self

    def __next__(self) -> Any:
        try:
            chunk = self.__wrapped__.__next__()
        except StopIteration:
            self._self_call.finish_stream(self._self_acc)
            raise
        except Exception as exc:
            self._self_call.fail(exc)
            raise
        self._self_observe(chunk)
        return chunk

    def __aiter__(self) -> LLMStream:
        return self

    async def __anext__(self) -> Any:
        try:
            chunk = await self.__wrapped__.__anext__()
        except StopAsyncIteration:
            self._self_call.finish_stream(self._self_acc)
            raise
        except Exception as exc:
            self._self_call.fail(exc)
            raise
        self._self_observe(chunk)
        return chunk

    def __enter__(self) -> LLMStream:
        self.__wrapped__.__enter__()
        return self

    def __exit__(self, *exc_info: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(*exc_info)
        finally:
            self._self_call.finish_stream(self._self_acc)

    async def __aenter__(self) -> LLMStream:
        await self.__wrapped__.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> Any:
        try:
            return await self.__wrapped__.__aexit__(*exc_info)
        finally:
            self._self_call.finish_stream(self._self_acc)

    def close(self) -> Any:
        """Close the litellm stream and end the span with what was read so far."""
        try:
            return self.__wrapped__.close()
        finally:
            self._self_call.finish_stream(self._self_acc)

    async def aclose(self) -> Any:
        """Async twin of `close`."""
        try:
            return await self.__wrapped__.aclose()
        finally:
            self._self_call.finish_stream(self._self_acc)

    def __del__(self) -> None:
        with handle_internal_errors("litellm.stream.__del__"):
            self._self_call.finish_stream(self._self_acc)

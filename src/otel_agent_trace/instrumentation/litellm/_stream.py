"""The span of one litellm call, and the proxy of ``CustomStreamWrapper`` that ends it exactly once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from opentelemetry.trace import Span

from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace.instrumentation import _llm
from otel_agent_trace.instrumentation._genai import litellm_provider_name
from otel_agent_trace.instrumentation.litellm._extract import (
    StreamAccumulator,
    error_attributes,
    response_attributes,
)
from otel_agent_trace.semconv.gen_ai import GEN_AI_PROVIDER_NAME


class LLMCall(_llm.LLMCall):
    """One ``completion`` call; ``provider_known`` says whether the provider was resolved before the call."""

    __slots__ = ("provider_known",)
    where: ClassVar[str] = "litellm"

    def __init__(self, span: Span, capture: bool, start_ns: int, provider_known: bool) -> None:
        super().__init__(span, capture, start_ns)
        self.provider_known = provider_known

    def error_attributes(self, exc: BaseException) -> Mapping[str, Any]:
        """``agent_trace.error.code`` from litellm's exception."""
        return error_attributes(exc)

    def provider_from(self, result: Any) -> None:
        """Take the provider litellm reports on its result when resolution failed before the call."""
        if self.provider_known:
            return
        hidden = getattr(result, "_hidden_params", None)
        provider = hidden.get("custom_llm_provider") if isinstance(hidden, dict) else None
        provider = provider or getattr(result, "custom_llm_provider", None)
        if isinstance(provider, str) and provider:
            self.span.set_attribute(GEN_AI_PROVIDER_NAME, litellm_provider_name(provider))

    def finish_response(self, response: Any) -> None:
        """Record a returned ``ModelResponse`` and end the span."""
        with handle_internal_errors("litellm.response_attributes"):
            self.provider_from(response)
            self.span.set_attributes(response_attributes(response, capture=self.capture))
        self.end()


def wrap_stream(stream: Any, call: LLMCall) -> _llm.SyncAsyncStreamProxy:
    """The proxy of litellm's ``CustomStreamWrapper`` (sync and async iteration) to hand back."""
    with handle_internal_errors("litellm.stream"):
        call.provider_from(stream)
    return _llm.SyncAsyncStreamProxy(stream, _llm.CallStreamObserver(call, StreamAccumulator(call.capture)))

"""The span of one Anthropic call, and the proxies that end a streamed call's span exactly once.

The proxies (`otel_agent_trace.instrumentation._llm`) end it when the stream is exhausted, raises, is closed
(``close()``, ``with`` exit, ``MessageStream`` closing it) or is garbage-collected unread.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace.instrumentation import _llm

from ._extract import StreamAccumulator, error_attributes, message_attributes

__all__ = ["LLMCall", "StreamAccumulator", "wrap_stream"]


class LLMCall(_llm.LLMCall):
    """One ``messages.create`` call."""

    __slots__ = ()
    where: ClassVar[str] = "anthropic"

    def error_attributes(self, exc: BaseException) -> Mapping[str, Any]:
        """``agent_trace.error.code`` from the Anthropic error body."""
        return error_attributes(exc)

    def finish_message(self, message: Any) -> None:
        """Record a returned ``Message`` and end the span."""
        with handle_internal_errors("anthropic.message_attributes"):
            self.span.set_attributes(message_attributes(message, capture=self.capture))
        self.end()


def wrap_stream(stream: Any, call: LLMCall, *, is_async: bool) -> Any:
    """The proxy of ``anthropic.Stream``/``AsyncStream`` to hand back: records each event on ``call``'s span."""
    observer = _llm.CallStreamObserver(call, StreamAccumulator(call.capture))
    return _llm.AsyncStreamProxy(stream, observer) if is_async else _llm.StreamProxy(stream, observer)

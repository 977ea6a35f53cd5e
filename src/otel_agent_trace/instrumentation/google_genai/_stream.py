"""What the chunks of a google-genai stream tell, collected for the span of the call."""

from __future__ import annotations

from typing import Any

from otel_agent_trace._internal.serialize import safe_json_dumps
from otel_agent_trace.instrumentation._genai import SEQUENCE, is_int
from otel_agent_trace.semconv.gen_ai import (
    GEN_AI_OUTPUT_MESSAGES,
    GEN_AI_RESPONSE_FINISH_REASONS,
    GEN_AI_RESPONSE_ID,
    GEN_AI_RESPONSE_MODEL,
)

from ._extract import (
    Attributes,
    finish_reason,
    function_calls,
    output_message,
    part,
    tool_call_attributes,
    usage_attributes,
)


class StreamAccumulator:
    """Collects what the chunks (``GenerateContentResponse``) of a stream tell.

    Each chunk carries the usage so far and, per candidate, new parts; the last finish reason per candidate wins.
    Text is joined per candidate, and kept only when content capture is on.
    """

    __slots__ = ("capture", "ids", "model", "names", "parts", "reasons", "response_id", "usage")

    def __init__(self, capture: bool) -> None:
        self.capture = capture
        self.response_id: Any = None
        self.model: Any = None
        self.usage: Any = None
        self.reasons: dict[int, str] = {}
        self.names: list[str] = []
        self.ids: list[str] = []
        self.parts: dict[int, list[dict[str, Any]]] = {}

    def observe(self, chunk: Any) -> None:
        """Take in one streamed chunk."""
        value = getattr(chunk, "response_id", None)
        if value is not None:
            self.response_id = value
        value = getattr(chunk, "model_version", None)
        if value is not None:
            self.model = value
        value = getattr(chunk, "usage_metadata", None)
        if value is not None:
            self.usage = value
        candidates = getattr(chunk, "candidates", None)
        if not isinstance(candidates, SEQUENCE):
            return
        for position, candidate in enumerate(candidates):
            raw_index: Any = getattr(candidate, "index", None)
            index = int(raw_index) if is_int(raw_index) else position
            reason = finish_reason(getattr(candidate, "finish_reason", None))
            if reason is not None:
                self.reasons[index] = reason
            parts = getattr(getattr(candidate, "content", None), "parts", None)
            function_calls(parts, self.names, self.ids)
            if self.capture and isinstance(parts, SEQUENCE):
                self._add_parts(self.parts.setdefault(index, []), parts)

    @staticmethod
    def _add_parts(collected: list[dict[str, Any]], parts: Any) -> None:
        for item in parts:
            new = part(item)
            last = collected[-1] if collected else None
            if last is not None and new["type"] in ("text", "reasoning") and last["type"] == new["type"]:
                last["content"] = f"{last['content']}{new['content']}"
            else:
                collected.append(new)

    def attributes(self) -> Attributes:
        """The response attributes of what has been seen so far."""
        attributes: Attributes = {}
        if isinstance(self.response_id, str):
            attributes[GEN_AI_RESPONSE_ID] = self.response_id
        if isinstance(self.model, str):
            attributes[GEN_AI_RESPONSE_MODEL] = self.model
        usage_attributes(self.usage, attributes)
        if self.reasons:
            attributes[GEN_AI_RESPONSE_FINISH_REASONS] = tuple(self.reasons[i] for i in sorted(self.reasons))
        tool_call_attributes(self.names, self.ids, attributes)
        if self.capture and (self.parts or self.reasons):
            indexes = sorted(set(self.parts) | set(self.reasons))
            outputs = [output_message(self.parts.get(i, []), self.reasons.get(i)) for i in indexes]
            attributes[GEN_AI_OUTPUT_MESSAGES] = safe_json_dumps(outputs)
        return attributes

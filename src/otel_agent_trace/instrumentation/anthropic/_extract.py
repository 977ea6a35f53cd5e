"""Attribute extractors of the Anthropic instrumentor: plain functions, no span, no I/O.

Request extractors read the keyword arguments of ``messages.create()`` / ``messages.stream()``; response
extractors read the returned ``Message`` or the streamed events. Whatever the SDK may leave out (``omit``,
``NOT_GIVEN``, ``None``) is skipped by type checks. Iterables the caller passed that are not lists or tuples
(a generator of messages) are never read: the SDK must consume them, not us. JSON is built only when content
capture is on; the content parts themselves are built in `_content`.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any

from otel_agent_trace._internal.serialize import to_jsonable
from otel_agent_trace.instrumentation._anthropic_blocks import anthropic_part as _part
from otel_agent_trace.instrumentation._genai import SEQUENCE as _SEQUENCE
from otel_agent_trace.instrumentation._genai import id_and_model_attributes
from otel_agent_trace.instrumentation._genai import is_int as _int
from otel_agent_trace.instrumentation._genai import is_number as _number
from otel_agent_trace.semconv.agent import AGENT_STEP_ACTION_TYPE, LLM_TOOL_CALL_IDS, LLM_TOOL_CALL_NAMES
from otel_agent_trace.semconv.error import ERROR_CODE
from otel_agent_trace.semconv.gen_ai import (
    GEN_AI_OPERATION_NAME,
    GEN_AI_OUTPUT_MESSAGES,
    GEN_AI_PROVIDER_NAME,
    GEN_AI_REQUEST_MAX_TOKENS,
    GEN_AI_REQUEST_MODEL,
    GEN_AI_REQUEST_STOP_SEQUENCES,
    GEN_AI_REQUEST_STREAM,
    GEN_AI_REQUEST_TEMPERATURE,
    GEN_AI_REQUEST_TOP_K,
    GEN_AI_REQUEST_TOP_P,
    GEN_AI_RESPONSE_FINISH_REASONS,
    GEN_AI_RESPONSE_ID,
    GEN_AI_RESPONSE_MODEL,
    GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
    GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    GEN_AI_USAGE_INPUT_TOKENS,
    GEN_AI_USAGE_OUTPUT_TOKENS,
)

from ._content import FINISH_REASONS, Attributes, content_request_attributes, output_messages_json

__all__ = [
    "CHAT",
    "FINISH_REASONS",
    "LLM_CALL",
    "PROVIDER",
    "SERVER_ADDRESS",
    "SERVER_PORT",
    "Attributes",
    "StreamAccumulator",
    "content_request_attributes",
    "error_attributes",
    "error_code",
    "message_attributes",
    "output_messages_json",
    "request_attributes",
    "server_attributes",
    "span_name",
    "usage_attributes",
]

PROVIDER = "anthropic"
CHAT = "chat"
LLM_CALL = "llm_call"
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"

_EMPTY: Mapping[str, Any] = {}


def span_name(kwargs: Mapping[str, Any]) -> str:
    """``"chat {model}"``, or ``"chat"`` when the model is not a string."""
    model = kwargs.get("model")
    return f"{CHAT} {model}" if isinstance(model, str) and model else CHAT


def request_attributes(kwargs: Mapping[str, Any], *, stream: bool) -> Attributes:
    """Attributes known before the call: operation, provider, model and sampling settings."""
    attributes: Attributes = {
        GEN_AI_OPERATION_NAME: CHAT,
        GEN_AI_PROVIDER_NAME: PROVIDER,
        AGENT_STEP_ACTION_TYPE: LLM_CALL,
    }
    if stream:  # the convention: set if and only if the request streams
        attributes[GEN_AI_REQUEST_STREAM] = True
    model = kwargs.get("model")
    if isinstance(model, str):
        attributes[GEN_AI_REQUEST_MODEL] = model
    value = kwargs.get("max_tokens")
    if _int(value):
        attributes[GEN_AI_REQUEST_MAX_TOKENS] = value
    # anthropic >= 2 has no sampling parameters of its own: they are sent through ``extra_body``.
    extra = kwargs.get("extra_body")
    sampling = extra if isinstance(extra, Mapping) else _EMPTY
    value = kwargs.get("temperature", sampling.get("temperature"))
    if _number(value):
        attributes[GEN_AI_REQUEST_TEMPERATURE] = float(value)
    value = kwargs.get("top_p", sampling.get("top_p"))
    if _number(value):
        attributes[GEN_AI_REQUEST_TOP_P] = float(value)
    value = kwargs.get("top_k", sampling.get("top_k"))
    if _int(value):
        attributes[GEN_AI_REQUEST_TOP_K] = value
    value = kwargs.get("stop_sequences")
    if isinstance(value, _SEQUENCE) and all(isinstance(item, str) for item in value):
        attributes[GEN_AI_REQUEST_STOP_SEQUENCES] = tuple(value)
    return attributes


def server_attributes(instance: Any, attributes: Attributes) -> None:
    """Add ``server.address`` / ``server.port`` from the resource's client ``base_url``."""
    url = instance._client.base_url
    host = url.host
    if host:
        attributes[SERVER_ADDRESS] = host
    port = url.port
    if port is None:
        port = 443 if url.scheme == "https" else 80 if url.scheme == "http" else None
    if port is not None:
        attributes[SERVER_PORT] = port


# --- response ------------------------------------------------------------------------------------------------


def usage_attributes(
    attributes: Attributes, input_tokens: Any, output_tokens: Any, cache_read: Any, cache_creation: Any
) -> None:
    """Token counts. ``gen_ai.usage.input_tokens`` includes cached tokens, as the GenAI semconv asks."""
    if _int(input_tokens):
        total = input_tokens
        if _int(cache_read):
            total += cache_read
        if _int(cache_creation):
            total += cache_creation
        attributes[GEN_AI_USAGE_INPUT_TOKENS] = total
    if _int(output_tokens):
        attributes[GEN_AI_USAGE_OUTPUT_TOKENS] = output_tokens
    if _int(cache_read):
        attributes[GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = cache_read
    if _int(cache_creation):
        attributes[GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = cache_creation


def message_attributes(message: Any, *, capture: bool) -> Attributes:
    """Attributes of a returned ``Message``: id, model, stop reason, usage, requested tool calls (and content)."""
    attributes: Attributes = {}
    id_and_model_attributes(message, attributes)
    stop_reason = getattr(message, "stop_reason", None)
    if isinstance(stop_reason, str):
        attributes[GEN_AI_RESPONSE_FINISH_REASONS] = (stop_reason,)
    usage = getattr(message, "usage", None)
    if usage is not None:
        usage_attributes(
            attributes,
            getattr(usage, "input_tokens", None),
            getattr(usage, "output_tokens", None),
            getattr(usage, "cache_read_input_tokens", None),
            getattr(usage, "cache_creation_input_tokens", None),
        )
    content = getattr(message, "content", None)
    if isinstance(content, _SEQUENCE):
        names: list[str] = []
        ids: list[str] = []
        for block in content:
            if getattr(block, "type", None) == "tool_use":
                names.append(str(getattr(block, "name", "")))
                ids.append(str(getattr(block, "id", "")))
        if names:
            attributes[LLM_TOOL_CALL_NAMES] = tuple(names)
            attributes[LLM_TOOL_CALL_IDS] = tuple(ids)
        if capture:
            attributes[GEN_AI_OUTPUT_MESSAGES] = output_messages_json([_part(block) for block in content], stop_reason)
    return attributes


def error_code(exc: BaseException) -> str | None:
    """The provider's error code: the body's ``error.type`` (``overloaded_error``), else the HTTP status."""
    code = getattr(exc, "type", None)
    if isinstance(code, str) and code:
        return code
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping) and isinstance(error.get("type"), str):
            return str(error["type"])
    status = getattr(exc, "status_code", None)
    return str(status) if _int(status) else None


def error_attributes(exc: BaseException) -> Attributes:
    """``agent_trace.error.code`` of a failed call, when the exception tells one."""
    code = error_code(exc)
    return {ERROR_CODE: code} if code else {}


# --- streams -------------------------------------------------------------------------------------------------


class StreamAccumulator:
    """Collects what a stream of ``RawMessageStreamEvent`` tells: ids, usage, stop reason, tool calls, content.

    Text and tool input deltas are kept only when content capture is on.
    """

    __slots__ = (
        "blocks",
        "cache_creation",
        "cache_read",
        "capture",
        "input_tokens",
        "model",
        "output_tokens",
        "response_id",
        "stop_reason",
    )

    def __init__(self, capture: bool) -> None:
        self.capture = capture
        self.response_id: Any = None
        self.model: Any = None
        self.stop_reason: Any = None
        self.input_tokens: Any = None
        self.output_tokens: Any = None
        self.cache_read: Any = None
        self.cache_creation: Any = None
        # index -> [type, id, name, text pieces, block]
        self.blocks: dict[int, list[Any]] = {}

    def _usage(self, usage: Any) -> None:
        if usage is None:
            return
        value = getattr(usage, "input_tokens", None)
        if value is not None:
            self.input_tokens = value
        value = getattr(usage, "output_tokens", None)
        if value is not None:
            self.output_tokens = value
        value = getattr(usage, "cache_read_input_tokens", None)
        if value is not None:
            self.cache_read = value
        value = getattr(usage, "cache_creation_input_tokens", None)
        if value is not None:
            self.cache_creation = value

    def observe(self, event: Any) -> None:
        """Take in one streamed event."""
        kind = getattr(event, "type", None)
        if kind == "content_block_delta":
            if self.capture:
                block = self.blocks.get(getattr(event, "index", -1))
                if block is not None:
                    delta = event.delta
                    delta_type = getattr(delta, "type", None)
                    if delta_type == "text_delta":
                        block[3].append(delta.text)
                    elif delta_type == "input_json_delta":
                        block[3].append(delta.partial_json)
                    elif delta_type == "thinking_delta":
                        block[3].append(delta.thinking)
        elif kind == "content_block_start":
            block = event.content_block
            self.blocks[event.index] = [
                getattr(block, "type", None),
                getattr(block, "id", None),
                getattr(block, "name", None),
                [],
                block if self.capture else None,
            ]
        elif kind == "message_start":
            message = event.message
            self.response_id = getattr(message, "id", None)
            self.model = getattr(message, "model", None)
            self._usage(getattr(message, "usage", None))
        elif kind == "message_delta":
            stop_reason = getattr(event.delta, "stop_reason", None)
            if stop_reason is not None:
                self.stop_reason = stop_reason
            self._usage(getattr(event, "usage", None))

    def attributes(self) -> Attributes:
        """The response attributes of what has been seen so far."""
        attributes: Attributes = {}
        if isinstance(self.response_id, str):
            attributes[GEN_AI_RESPONSE_ID] = self.response_id
        if isinstance(self.model, str):
            attributes[GEN_AI_RESPONSE_MODEL] = self.model
        if isinstance(self.stop_reason, str):
            attributes[GEN_AI_RESPONSE_FINISH_REASONS] = (self.stop_reason,)
        usage_attributes(attributes, self.input_tokens, self.output_tokens, self.cache_read, self.cache_creation)
        names = [str(block[2]) for block in self.blocks.values() if block[0] == "tool_use"]
        if names:
            attributes[LLM_TOOL_CALL_NAMES] = tuple(names)
            attributes[LLM_TOOL_CALL_IDS] = tuple(str(b[1]) for b in self.blocks.values() if b[0] == "tool_use")
        if self.capture and (self.blocks or self.stop_reason is not None):
            parts = [self._block_part(self.blocks[index]) for index in sorted(self.blocks)]
            attributes[GEN_AI_OUTPUT_MESSAGES] = output_messages_json(parts, self.stop_reason)
        return attributes

    @staticmethod
    def _block_part(block: list[Any]) -> dict[str, Any]:
        kind, block_id, name, pieces, start = block
        text = "".join(pieces)
        if kind == "text":
            return {"type": "text", "content": text}
        if kind in ("tool_use", "server_tool_use"):
            arguments: Any = text
            if text:
                with contextlib.suppress(ValueError):
                    arguments = json.loads(text)
            else:
                arguments = to_jsonable(getattr(start, "input", None))
            return {"type": "tool_call", "id": block_id, "name": name, "arguments": arguments}
        if kind == "thinking":
            return {"type": "reasoning", "content": text}
        return _part(start) if start is not None else {"type": str(kind)}

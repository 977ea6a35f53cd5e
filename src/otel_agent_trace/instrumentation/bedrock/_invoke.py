"""Attribute extractors of Bedrock ``InvokeModel`` / ``InvokeModelWithResponseStream``: plain functions, no I/O.

The body is the model's own JSON, so its shape depends on the model family, told by the model id
(``anthropic.``, ``amazon.nova``, ``amazon.titan-text``, ``amazon.titan-embed``, ``meta.llama``, ``mistral.``;
inference-profile prefixes such as ``us.`` and ARNs are fine). A family we do not know keeps the model id,
provider and operation, and the token counts Bedrock puts in the response headers (or, for streams, in the
last chunk's ``amazon-bedrock-invocationMetrics``).

Request bodies larger than `MAX_BODY` bytes are not parsed (their request parameters are then not recorded):
the cost on the application thread stays bounded whatever the prompt size.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from otel_agent_trace._internal.serialize import safe_json_dumps, to_jsonable
from otel_agent_trace.instrumentation._anthropic_blocks import anthropic_parts as _anthropic_parts
from otel_agent_trace.instrumentation._genai import SEQUENCE, get, is_int, is_number
from otel_agent_trace.semconv.gen_ai import (
    GEN_AI_EMBEDDINGS_DIMENSION_COUNT,
    GEN_AI_INPUT_MESSAGES,
    GEN_AI_OUTPUT_MESSAGES,
    GEN_AI_REQUEST_MAX_TOKENS,
    GEN_AI_REQUEST_STOP_SEQUENCES,
    GEN_AI_REQUEST_TEMPERATURE,
    GEN_AI_REQUEST_TOP_K,
    GEN_AI_REQUEST_TOP_P,
    GEN_AI_RESPONSE_FINISH_REASONS,
    GEN_AI_RESPONSE_ID,
    GEN_AI_RESPONSE_MODEL,
    GEN_AI_SYSTEM_INSTRUCTIONS,
    GEN_AI_TOOL_DEFINITIONS,
    GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
    GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    GEN_AI_USAGE_INPUT_TOKENS,
    GEN_AI_USAGE_OUTPUT_TOKENS,
)

from ._converse import Attributes, output_messages_json, part, tool_call_attributes, usage_attributes

MAX_BODY = 1 << 20
"""Request bodies up to this many bytes are parsed for request attributes."""

ANTHROPIC = "anthropic"
NOVA = "nova"
TITAN_TEXT = "titan_text"
TITAN_EMBED = "titan_embed"
LLAMA = "llama"
MISTRAL = "mistral"

_FAMILIES = (
    ("anthropic.", ANTHROPIC),
    ("amazon.nova", NOVA),
    ("amazon.titan-text", TITAN_TEXT),
    ("amazon.titan-tg1", TITAN_TEXT),
    ("amazon.titan-embed", TITAN_EMBED),
    ("meta.llama", LLAMA),
    ("mistral.", MISTRAL),
)

OPERATIONS = {ANTHROPIC: "chat", NOVA: "chat", TITAN_EMBED: "embeddings"}
"""Operation name of a family (``text_completion`` for the prompt-in, text-out ones)."""

_HEADER_INPUT = "x-amzn-bedrock-input-token-count"
_HEADER_OUTPUT = "x-amzn-bedrock-output-token-count"


def family(model_id: Any) -> str | None:
    """The body family of a model id (``None`` when unknown)."""
    if not isinstance(model_id, str):
        return None
    for marker, name in _FAMILIES:
        if marker in model_id:
            return name
    return None


def operation(model_family: str | None) -> str:
    """``chat``, ``text_completion`` or ``embeddings``."""
    return OPERATIONS.get(model_family or "", "text_completion" if model_family else "chat")


def parse_body(body: Any) -> Any:
    """The JSON body of a request (bytes or str up to `MAX_BODY`), else ``None``; file objects are never read."""
    if isinstance(body, (bytes, bytearray, memoryview)):
        if len(body) > MAX_BODY:
            return None
        raw: Any = bytes(body)
    elif isinstance(body, str):
        if len(body) > MAX_BODY:
            return None
        raw = body
    else:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _number(source: Any, name: str, key: str, attributes: Attributes, *, integer: bool = False) -> None:
    value = get(source, name)
    if integer and is_int(value):
        attributes[key] = value
    elif not integer and is_number(value):
        attributes[key] = float(value)


def _stops(value: Any, attributes: Attributes) -> None:
    if isinstance(value, SEQUENCE) and all(isinstance(item, str) for item in value):
        attributes[GEN_AI_REQUEST_STOP_SEQUENCES] = tuple(value)


def request_attributes(model_family: str | None, body: Any, attributes: Attributes) -> None:
    """Request parameters of a parsed body."""
    if not isinstance(body, Mapping):
        return
    if model_family in (ANTHROPIC, MISTRAL):
        _number(body, "max_tokens", GEN_AI_REQUEST_MAX_TOKENS, attributes, integer=True)
        _number(body, "temperature", GEN_AI_REQUEST_TEMPERATURE, attributes)
        _number(body, "top_p", GEN_AI_REQUEST_TOP_P, attributes)
        _number(body, "top_k", GEN_AI_REQUEST_TOP_K, attributes, integer=True)
        _stops(body.get("stop_sequences", body.get("stop")), attributes)
    elif model_family == NOVA:
        config = body.get("inferenceConfig")
        _number(config, "max_new_tokens", GEN_AI_REQUEST_MAX_TOKENS, attributes, integer=True)
        _number(config, "temperature", GEN_AI_REQUEST_TEMPERATURE, attributes)
        _number(config, "top_p", GEN_AI_REQUEST_TOP_P, attributes)
        _number(config, "top_k", GEN_AI_REQUEST_TOP_K, attributes, integer=True)
        _stops(get(config, "stopSequences"), attributes)
    elif model_family == TITAN_TEXT:
        config = body.get("textGenerationConfig")
        _number(config, "maxTokenCount", GEN_AI_REQUEST_MAX_TOKENS, attributes, integer=True)
        _number(config, "temperature", GEN_AI_REQUEST_TEMPERATURE, attributes)
        _number(config, "topP", GEN_AI_REQUEST_TOP_P, attributes)
        _stops(get(config, "stopSequences"), attributes)
    elif model_family == LLAMA:
        _number(body, "max_gen_len", GEN_AI_REQUEST_MAX_TOKENS, attributes, integer=True)
        _number(body, "temperature", GEN_AI_REQUEST_TEMPERATURE, attributes)
        _number(body, "top_p", GEN_AI_REQUEST_TOP_P, attributes)
    elif model_family == TITAN_EMBED:
        _number(body, "dimensions", GEN_AI_EMBEDDINGS_DIMENSION_COUNT, attributes, integer=True)


def _messages(messages: Any, to_parts: Any) -> list[dict[str, Any]]:
    out = []
    for message in messages if isinstance(messages, SEQUENCE) else ():
        parts = to_parts(get(message, "content"))
        role = get(message, "role")
        out.append(
            {
                "role": "tool" if parts and all(p["type"] == "tool_call_response" for p in parts) else role,
                "parts": parts,
            }
        )
    return out


def _converse_parts(content: Any) -> list[dict[str, Any]]:
    return [part(block) for block in content] if isinstance(content, SEQUENCE) else []


def content_request_attributes(model_family: str | None, body: Any, attributes: Attributes) -> None:
    """Add ``gen_ai.input.messages`` (and system instructions, tool definitions) from a parsed body."""
    if not isinstance(body, Mapping):
        return
    if model_family == ANTHROPIC:
        attributes[GEN_AI_INPUT_MESSAGES] = safe_json_dumps(_messages(body.get("messages"), _anthropic_parts))
        system = body.get("system")
        if system:
            attributes[GEN_AI_SYSTEM_INSTRUCTIONS] = safe_json_dumps(_anthropic_parts(system))
        tools = body.get("tools")
        if isinstance(tools, SEQUENCE) and tools:
            definitions = [
                {
                    "type": "function",
                    "name": get(t, "name"),
                    "description": get(t, "description"),
                    "parameters": to_jsonable(get(t, "input_schema")),
                }
                for t in tools
            ]
            attributes[GEN_AI_TOOL_DEFINITIONS] = safe_json_dumps(definitions)
    elif model_family == NOVA:
        attributes[GEN_AI_INPUT_MESSAGES] = safe_json_dumps(_messages(body.get("messages"), _converse_parts))
        system = body.get("system")
        if isinstance(system, SEQUENCE) and system:
            attributes[GEN_AI_SYSTEM_INSTRUCTIONS] = safe_json_dumps(_converse_parts(system))
    else:
        prompt = body.get("inputText", body.get("prompt"))
        if isinstance(prompt, str):
            attributes[GEN_AI_INPUT_MESSAGES] = safe_json_dumps(
                [{"role": "user", "parts": [{"type": "text", "content": prompt}]}]
            )


def _anthropic_usage(usage: Any, attributes: Attributes) -> None:
    read = get(usage, "cache_read_input_tokens")
    write = get(usage, "cache_creation_input_tokens")
    value = get(usage, "input_tokens")
    if is_int(value):
        attributes[GEN_AI_USAGE_INPUT_TOKENS] = value + (read if is_int(read) else 0) + (write if is_int(write) else 0)
    value = get(usage, "output_tokens")
    if is_int(value):
        attributes[GEN_AI_USAGE_OUTPUT_TOKENS] = value
    if is_int(read) and read:
        attributes[GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = read
    if is_int(write) and write:
        attributes[GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = write


def _text_output(text: Any, reason: Any, capture: bool, attributes: Attributes) -> None:
    if isinstance(reason, str):
        attributes[GEN_AI_RESPONSE_FINISH_REASONS] = (reason,)
    if capture and isinstance(text, str):
        attributes[GEN_AI_OUTPUT_MESSAGES] = output_messages_json([{"type": "text", "content": text}], reason)


def response_attributes(model_family: str | None, body: Any, headers: Any, *, capture: bool) -> Attributes:
    """Attributes of a parsed response body (and the token-count headers Bedrock adds to every response)."""
    attributes: Attributes = {}
    if isinstance(headers, Mapping):
        for header, key in ((_HEADER_INPUT, GEN_AI_USAGE_INPUT_TOKENS), (_HEADER_OUTPUT, GEN_AI_USAGE_OUTPUT_TOKENS)):
            value = headers.get(header)
            if isinstance(value, str) and value.isdigit():
                attributes[key] = int(value)
    if not isinstance(body, Mapping):
        return attributes
    if model_family == ANTHROPIC:
        for name, key in (("id", GEN_AI_RESPONSE_ID), ("model", GEN_AI_RESPONSE_MODEL)):
            if isinstance(body.get(name), str):
                attributes[key] = body[name]
        stop = body.get("stop_reason")
        if isinstance(stop, str):
            attributes[GEN_AI_RESPONSE_FINISH_REASONS] = (stop,)
        _anthropic_usage(body.get("usage"), attributes)
        content = body.get("content")
        if isinstance(content, SEQUENCE):
            uses = [b for b in content if get(b, "type") == "tool_use"]
            tool_call_attributes(
                [str(get(b, "name") or "") for b in uses], [str(get(b, "id") or "") for b in uses], attributes
            )
            if capture:
                attributes[GEN_AI_OUTPUT_MESSAGES] = output_messages_json(_anthropic_parts(content), stop)
    elif model_family == NOVA:
        from ._converse import response_attributes as converse_attributes

        attributes.update(converse_attributes(body, capture=capture))
    elif model_family == TITAN_TEXT:
        _number(body, "inputTextTokenCount", GEN_AI_USAGE_INPUT_TOKENS, attributes, integer=True)
        results = body.get("results")
        first = results[0] if isinstance(results, SEQUENCE) and results else None
        counts = [get(r, "tokenCount") for r in results] if isinstance(results, SEQUENCE) else []
        if counts and all(is_int(c) for c in counts):
            attributes[GEN_AI_USAGE_OUTPUT_TOKENS] = sum(counts)
        _text_output(get(first, "outputText"), get(first, "completionReason"), capture, attributes)
    elif model_family == LLAMA:
        _number(body, "prompt_token_count", GEN_AI_USAGE_INPUT_TOKENS, attributes, integer=True)
        _number(body, "generation_token_count", GEN_AI_USAGE_OUTPUT_TOKENS, attributes, integer=True)
        _text_output(body.get("generation"), body.get("stop_reason"), capture, attributes)
    elif model_family == MISTRAL:
        outputs = body.get("outputs")
        first = outputs[0] if isinstance(outputs, SEQUENCE) and outputs else None
        _text_output(get(first, "text"), get(first, "stop_reason"), capture, attributes)
    elif model_family == TITAN_EMBED:
        _number(body, "inputTextTokenCount", GEN_AI_USAGE_INPUT_TOKENS, attributes, integer=True)
        embedding = body.get("embedding")
        if isinstance(embedding, SEQUENCE):
            attributes[GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = len(embedding)
    return attributes


class InvokeStreamAccumulator:
    """Collects what the ``chunk`` events of ``invoke_model_with_response_stream`` tell.

    Each chunk's ``bytes`` is one JSON object of the model's stream format: Anthropic stream events, or a text
    piece with a stop reason (Titan, Llama, Mistral). The last chunk carries ``amazon-bedrock-invocationMetrics``
    (token counts of every family).
    """

    __slots__ = ("capture", "family", "response", "stop_reason", "text", "tools", "usage")

    def __init__(self, model_family: str | None, capture: bool) -> None:
        self.family = model_family
        self.capture = capture
        self.response: dict[str, Any] = {}
        self.usage: dict[str, Any] = {}
        self.stop_reason: Any = None
        self.text: list[str] = []
        self.tools: list[tuple[str, str]] = []

    def observe(self, event: Any) -> None:
        """Take in one event (``{"chunk": {"bytes": b"..."}}``)."""
        raw = get(get(event, "chunk"), "bytes")
        if not isinstance(raw, (bytes, str)):
            return
        try:
            data = json.loads(raw)
        except ValueError:
            return
        if not isinstance(data, Mapping):
            return
        metrics = data.get("amazon-bedrock-invocationMetrics")
        if isinstance(metrics, Mapping):
            for name, key in (("inputTokenCount", "input"), ("outputTokenCount", "output")):
                if is_int(metrics.get(name)):
                    self.usage.setdefault(key, metrics[name])
        kind = data.get("type")
        if kind == "message_start":
            message = data.get("message")
            for name in ("id", "model"):
                if isinstance(get(message, name), str):
                    self.response[name] = get(message, name)
            self._anthropic_usage(get(message, "usage"))
        elif kind == "content_block_start":
            block = data.get("content_block")
            if get(block, "type") == "tool_use":
                self.tools.append((str(get(block, "name") or ""), str(get(block, "id") or "")))
        elif kind == "content_block_delta":
            if self.capture and get(data.get("delta"), "type") == "text_delta":
                self.text.append(str(get(data.get("delta"), "text") or ""))
        elif kind == "message_delta":
            self.stop_reason = get(data.get("delta"), "stop_reason") or self.stop_reason
            self._anthropic_usage(data.get("usage"))
        else:
            for name in ("completionReason", "stop_reason", "stopReason"):
                if isinstance(data.get(name), str):
                    self.stop_reason = data[name]
            if self.capture:
                piece = data.get("outputText", data.get("generation"))
                if isinstance(piece, str):
                    self.text.append(piece)

    def _anthropic_usage(self, usage: Any) -> None:
        for name, key in (("input_tokens", "input"), ("output_tokens", "output")):
            value = get(usage, name)
            if is_int(value):
                self.usage[key] = value

    def attributes(self) -> Attributes:
        """The response attributes of what has been seen so far."""
        attributes: Attributes = {}
        if "id" in self.response:
            attributes[GEN_AI_RESPONSE_ID] = self.response["id"]
        if "model" in self.response:
            attributes[GEN_AI_RESPONSE_MODEL] = self.response["model"]
        if isinstance(self.stop_reason, str):
            attributes[GEN_AI_RESPONSE_FINISH_REASONS] = (self.stop_reason,)
        usage_attributes({"inputTokens": self.usage.get("input"), "outputTokens": self.usage.get("output")}, attributes)
        tool_call_attributes([name for name, _ in self.tools], [i for _, i in self.tools], attributes)
        if self.capture and (self.text or self.stop_reason is not None):
            parts: list[dict[str, Any]] = [{"type": "text", "content": "".join(self.text)}] if self.text else []
            attributes[GEN_AI_OUTPUT_MESSAGES] = output_messages_json(parts, self.stop_reason)
        return attributes

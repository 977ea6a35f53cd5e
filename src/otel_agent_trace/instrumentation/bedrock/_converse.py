"""Attribute extractors of the Bedrock ``Converse`` / ``ConverseStream`` API: plain functions, no span, no I/O.

The request is the ``api_params`` dict botocore received (``modelId``, ``messages``, ``system``,
``inferenceConfig``, ``toolConfig``); the response is the parsed dict (``output.message``, ``stopReason``,
``usage``), or for a stream its events (``messageStart``, ``contentBlockStart``/``Delta``/``Stop``,
``messageStop``, ``metadata``). JSON is built only when content capture is on; image/document bytes are never
copied, only their format.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any

from opentelemetry.util.types import AttributeValue

from otel_agent_trace._internal.serialize import safe_json_dumps, to_jsonable
from otel_agent_trace.instrumentation._genai import SEQUENCE, get, is_int, is_number
from otel_agent_trace.semconv.agent import LLM_TOOL_CALL_IDS, LLM_TOOL_CALL_NAMES
from otel_agent_trace.semconv.gen_ai import (
    GEN_AI_INPUT_MESSAGES,
    GEN_AI_OUTPUT_MESSAGES,
    GEN_AI_REQUEST_MAX_TOKENS,
    GEN_AI_REQUEST_STOP_SEQUENCES,
    GEN_AI_REQUEST_TEMPERATURE,
    GEN_AI_REQUEST_TOP_K,
    GEN_AI_REQUEST_TOP_P,
    GEN_AI_RESPONSE_FINISH_REASONS,
    GEN_AI_SYSTEM_INSTRUCTIONS,
    GEN_AI_TOOL_DEFINITIONS,
    GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
    GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    GEN_AI_USAGE_INPUT_TOKENS,
    GEN_AI_USAGE_OUTPUT_TOKENS,
)

Attributes = dict[str, AttributeValue]

FINISH_REASONS: dict[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_call",
    "guardrail_intervened": "content_filter",
    "content_filtered": "content_filter",
}
"""Bedrock ``stopReason`` -> GenAI semconv ``finish_reason`` of an output message (others kept as they are)."""


def inference_attributes(config: Any, attributes: Attributes) -> None:
    """``inferenceConfig`` (``maxTokens``, ``temperature``, ``topP``, ``stopSequences``)."""
    value = get(config, "maxTokens")
    if is_int(value):
        attributes[GEN_AI_REQUEST_MAX_TOKENS] = value
    value = get(config, "temperature")
    if is_number(value):
        attributes[GEN_AI_REQUEST_TEMPERATURE] = float(value)
    value = get(config, "topP")
    if is_number(value):
        attributes[GEN_AI_REQUEST_TOP_P] = float(value)
    value = get(config, "stopSequences")
    if isinstance(value, SEQUENCE) and all(isinstance(item, str) for item in value):
        attributes[GEN_AI_REQUEST_STOP_SEQUENCES] = tuple(value)


def additional_fields_attributes(fields: Any, attributes: Attributes) -> None:
    """``top_k`` from ``additionalModelRequestFields`` (Converse has no field of its own for it)."""
    value = get(fields, "top_k")
    if not is_int(value):
        value = get(get(fields, "inferenceConfig"), "topK")  # Nova's spelling
    if is_int(value):
        attributes[GEN_AI_REQUEST_TOP_K] = value


def usage_attributes(usage: Any, attributes: Attributes) -> None:
    """Token counts of a Converse ``usage``; input includes cache reads and writes, as the GenAI semconv asks."""
    if not isinstance(usage, Mapping):
        return
    read: Any = usage.get("cacheReadInputTokens")
    write: Any = usage.get("cacheWriteInputTokens")
    value: Any = usage.get("inputTokens")
    if is_int(value):
        attributes[GEN_AI_USAGE_INPUT_TOKENS] = value + (read if is_int(read) else 0) + (write if is_int(write) else 0)
    value = usage.get("outputTokens")
    if is_int(value):
        attributes[GEN_AI_USAGE_OUTPUT_TOKENS] = value
    if is_int(read) and read:
        attributes[GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = read
    if is_int(write) and write:
        attributes[GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = write


def tool_call_attributes(names: list[str], ids: list[str], attributes: Attributes) -> None:
    """The tool calls the model asked for (always recorded, no content)."""
    if names:
        attributes[LLM_TOOL_CALL_NAMES] = tuple(names)
        attributes[LLM_TOOL_CALL_IDS] = tuple(ids)


# --- content (only called when content capture is on) -------------------------------------------------------


def _media(kind: str, block: Any) -> dict[str, Any]:
    source = get(block, "source")
    uri = get(get(source, "s3Location"), "uri")
    fmt = get(block, "format")
    if isinstance(uri, str):
        return {"type": "uri", "modality": kind, "uri": uri, "format": fmt}
    return {"type": "blob", "modality": kind, "format": fmt}


def part(block: Any) -> dict[str, Any]:
    """One Converse content block as a GenAI semconv message part."""
    if not isinstance(block, Mapping):
        return {"type": "unknown", "content": to_jsonable(block)}
    if "text" in block:
        return {"type": "text", "content": block["text"]}
    if "toolUse" in block:
        use = block["toolUse"]
        return {
            "type": "tool_call",
            "id": get(use, "toolUseId"),
            "name": get(use, "name"),
            "arguments": to_jsonable(get(use, "input")),
        }
    if "toolResult" in block:
        result = block["toolResult"]
        content = get(result, "content")
        response: Any = [_tool_result_item(item) for item in content] if isinstance(content, SEQUENCE) else None
        if isinstance(response, list) and len(response) == 1:
            response = response[0]
        out: dict[str, Any] = {"type": "tool_call_response", "id": get(result, "toolUseId"), "response": response}
        if get(result, "status") == "error":
            out["is_error"] = True
        return out
    if "reasoningContent" in block:
        text = get(get(block["reasoningContent"], "reasoningText"), "text")
        return {"type": "reasoning", "content": text} if text is not None else {"type": "reasoning", "redacted": True}
    for kind in ("image", "document", "video"):
        if kind in block:
            return _media(kind, block[kind])
    key = next(iter(block), "unknown")
    return {"type": str(key), "content": to_jsonable(block[key]) if key in block else None}


def _tool_result_item(item: Any) -> Any:
    if isinstance(item, Mapping):
        if "text" in item:
            return item["text"]
        if "json" in item:
            return to_jsonable(item["json"])
    return part(item)


def _message(message: Any) -> dict[str, Any]:
    content = get(message, "content")
    parts = [part(block) for block in content] if isinstance(content, SEQUENCE) else []
    role = get(message, "role")
    if parts and all(p["type"] == "tool_call_response" for p in parts):
        role = "tool"
    return {"role": role, "parts": parts}


def content_request_attributes(params: Mapping[str, Any], attributes: Attributes) -> None:
    """Add ``gen_ai.input.messages``, ``gen_ai.system_instructions`` and ``gen_ai.tool.definitions`` (JSON)."""
    messages = params.get("messages")
    if isinstance(messages, SEQUENCE):
        attributes[GEN_AI_INPUT_MESSAGES] = safe_json_dumps([_message(message) for message in messages])
    system = params.get("system")
    if isinstance(system, SEQUENCE) and system:
        attributes[GEN_AI_SYSTEM_INSTRUCTIONS] = safe_json_dumps([part(block) for block in system])
    tools = get(params.get("toolConfig"), "tools")
    if isinstance(tools, SEQUENCE) and tools:
        definitions = []
        for tool in tools:
            spec = get(tool, "toolSpec")
            definitions.append(
                {
                    "type": "function",
                    "name": get(spec, "name"),
                    "description": get(spec, "description"),
                    "parameters": to_jsonable(get(get(spec, "inputSchema"), "json")),
                }
            )
        attributes[GEN_AI_TOOL_DEFINITIONS] = safe_json_dumps(definitions)


def output_messages_json(parts: list[dict[str, Any]], stop_reason: Any) -> str:
    """``gen_ai.output.messages``: one assistant message with its parts and semconv finish reason."""
    message: dict[str, Any] = {"role": "assistant", "parts": parts}
    if isinstance(stop_reason, str):
        message["finish_reason"] = FINISH_REASONS.get(stop_reason, stop_reason)
    return safe_json_dumps([message])


# --- response ------------------------------------------------------------------------------------------------


def response_attributes(response: Any, *, capture: bool) -> Attributes:
    """Attributes of a ``converse`` response: stop reason, usage, requested tool calls (and content)."""
    attributes: Attributes = {}
    if not isinstance(response, Mapping):
        return attributes
    stop_reason = response.get("stopReason")
    if isinstance(stop_reason, str):
        attributes[GEN_AI_RESPONSE_FINISH_REASONS] = (stop_reason,)
    usage_attributes(response.get("usage"), attributes)
    content = get(get(get(response, "output"), "message"), "content")
    if isinstance(content, SEQUENCE):
        names: list[str] = []
        ids: list[str] = []
        for block in content:
            use = get(block, "toolUse")
            if use is not None:
                names.append(str(get(use, "name") or ""))
                ids.append(str(get(use, "toolUseId") or ""))
        tool_call_attributes(names, ids, attributes)
        if capture:
            attributes[GEN_AI_OUTPUT_MESSAGES] = output_messages_json([part(block) for block in content], stop_reason)
    return attributes


class ConverseStreamAccumulator:
    """Collects what the events of a ``converse_stream`` tell: stop reason, usage, tool calls, content."""

    __slots__ = ("blocks", "capture", "stop_reason", "usage")

    def __init__(self, capture: bool) -> None:
        self.capture = capture
        self.stop_reason: Any = None
        self.usage: Any = None
        # content block index -> [kind, tool id, tool name, text pieces]
        self.blocks: dict[int, list[Any]] = {}

    def _block(self, index: Any, kind: str) -> list[Any]:
        key = index if is_int(index) else -1
        block = self.blocks.get(key)
        if block is None:
            block = self.blocks[key] = [kind, None, None, []]
        return block

    def observe(self, event: Any) -> None:
        """Take in one event (a dict with one key naming its type)."""
        if not isinstance(event, Mapping):
            return
        delta_event = event.get("contentBlockDelta")
        if delta_event is not None:
            delta = get(delta_event, "delta")
            if not isinstance(delta, Mapping):
                return
            if "toolUse" in delta:
                block = self._block(get(delta_event, "contentBlockIndex"), "tool_call")
                if self.capture:
                    block[3].append(str(get(delta["toolUse"], "input") or ""))
            elif "reasoningContent" in delta:
                block = self._block(get(delta_event, "contentBlockIndex"), "reasoning")
                if self.capture:
                    block[3].append(str(get(delta["reasoningContent"], "text") or ""))
            elif "text" in delta:
                block = self._block(get(delta_event, "contentBlockIndex"), "text")
                if self.capture:
                    block[3].append(str(delta["text"]))
            return
        start_event = event.get("contentBlockStart")
        if start_event is not None:
            use = get(get(start_event, "start"), "toolUse")
            if use is not None:
                block = self._block(get(start_event, "contentBlockIndex"), "tool_call")
                block[1] = get(use, "toolUseId")
                block[2] = get(use, "name")
            return
        stop = event.get("messageStop")
        if stop is not None:
            self.stop_reason = get(stop, "stopReason")
            return
        metadata = event.get("metadata")
        if metadata is not None:
            self.usage = get(metadata, "usage")

    def attributes(self) -> Attributes:
        """The response attributes of what has been seen so far."""
        attributes: Attributes = {}
        if isinstance(self.stop_reason, str):
            attributes[GEN_AI_RESPONSE_FINISH_REASONS] = (self.stop_reason,)
        usage_attributes(self.usage, attributes)
        tools = [block for block in self.blocks.values() if block[0] == "tool_call"]
        tool_call_attributes([str(b[2] or "") for b in tools], [str(b[1] or "") for b in tools], attributes)
        if self.capture and (self.blocks or self.stop_reason is not None):
            parts = [_stream_part(self.blocks[index]) for index in sorted(self.blocks)]
            attributes[GEN_AI_OUTPUT_MESSAGES] = output_messages_json(parts, self.stop_reason)
        return attributes


def _stream_part(block: list[Any]) -> dict[str, Any]:
    kind, tool_id, name, pieces = block
    text = "".join(pieces)
    if kind == "tool_call":
        arguments: Any = text
        with contextlib.suppress(ValueError):
            arguments = json.loads(text) if text else {}
        return {"type": "tool_call", "id": tool_id, "name": name, "arguments": arguments}
    return {"type": kind, "content": text}

"""Content of the Anthropic instrumentor's spans, as GenAI semconv message parts (only built with content capture on).

Content blocks of the request (param dicts) and of the response (models) become message parts; base64 payloads
are left out. Plain functions, no span, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.util.types import AttributeValue

from otel_agent_trace._internal.serialize import safe_json_dumps, to_jsonable
from otel_agent_trace.instrumentation._genai import SEQUENCE as _SEQUENCE
from otel_agent_trace.instrumentation._genai import get as _get
from otel_agent_trace.instrumentation._genai_request import tool_definition, tool_definitions_json
from otel_agent_trace.semconv.gen_ai import GEN_AI_INPUT_MESSAGES, GEN_AI_SYSTEM_INSTRUCTIONS, GEN_AI_TOOL_DEFINITIONS

Attributes = dict[str, AttributeValue]

FINISH_REASONS: dict[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_call",
    "refusal": "content_filter",
}
"""Anthropic ``stop_reason`` -> GenAI semconv ``finish_reason`` of an output message (others kept as they are)."""


def _source_part(kind: str, block: Any) -> dict[str, Any]:
    source = _get(block, "source")
    modality = "image" if kind == "image" else kind
    source_type = _get(source, "type")
    if source_type == "url":
        return {"type": "uri", "modality": modality, "uri": _get(source, "url")}
    if source_type == "file":
        return {"type": "file", "modality": modality, "file_id": _get(source, "file_id")}
    if source_type == "text":
        return {"type": "text", "content": _get(source, "data")}
    # Base64 payloads are left out: they are large and the backend cannot show them anyway.
    return {"type": "blob", "modality": modality, "mime_type": _get(source, "media_type")}


def _tool_result(content: Any) -> Any:
    if isinstance(content, str) or content is None:
        return content
    if isinstance(content, _SEQUENCE):
        return [_part(item) for item in content]
    return to_jsonable(content)


def _part(block: Any) -> dict[str, Any]:
    """One content block (a request param dict or a response model) as a GenAI semconv message part."""
    if isinstance(block, str):
        return {"type": "text", "content": block}
    kind = _get(block, "type")
    if kind == "text":
        return {"type": "text", "content": _get(block, "text")}
    if kind in ("tool_use", "server_tool_use"):
        return {
            "type": "tool_call",
            "id": _get(block, "id"),
            "name": _get(block, "name"),
            "arguments": to_jsonable(_get(block, "input")),
        }
    if kind == "tool_result":
        part = {
            "type": "tool_call_response",
            "id": _get(block, "tool_use_id"),
            "response": _tool_result(_get(block, "content")),
        }
        if _get(block, "is_error") is True:
            part["is_error"] = True
        return part
    if kind == "thinking":
        return {"type": "reasoning", "content": _get(block, "thinking")}
    if kind == "redacted_thinking":
        return {"type": "reasoning", "redacted": True}
    if kind in ("image", "document"):
        return _source_part(kind, block)
    generic = to_jsonable(block)
    if not isinstance(generic, dict):
        generic = {"content": generic}
    generic["type"] = kind if isinstance(kind, str) else "unknown"
    return generic


def _parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    if isinstance(content, _SEQUENCE):
        return [_part(block) for block in content]
    return []


def content_request_attributes(kwargs: Mapping[str, Any], attributes: Attributes) -> None:
    """Add ``gen_ai.input.messages``, ``gen_ai.system_instructions`` and ``gen_ai.tool.definitions`` (JSON)."""
    messages = kwargs.get("messages")
    if isinstance(messages, _SEQUENCE):
        attributes[GEN_AI_INPUT_MESSAGES] = safe_json_dumps(
            [{"role": _get(message, "role"), "parts": _parts(_get(message, "content"))} for message in messages]
        )
    system = kwargs.get("system")
    if isinstance(system, (str, *_SEQUENCE)) and system:
        attributes[GEN_AI_SYSTEM_INSTRUCTIONS] = safe_json_dumps(_parts(system))
    definitions = tool_definitions_json(kwargs.get("tools"), _tool_definition)
    if definitions is not None:
        attributes[GEN_AI_TOOL_DEFINITIONS] = definitions


def _tool_definition(tool: Any) -> dict[str, Any]:
    """A client tool as a ``function`` definition; a server tool (``web_search_20250305``...) by its own type."""
    kind = _get(tool, "type")
    if kind in (None, "custom"):
        return tool_definition(
            "function", _get(tool, "name"), _get(tool, "description"), parameters=_get(tool, "input_schema")
        )
    return tool_definition(kind, _get(tool, "name"))


def output_messages_json(parts: list[dict[str, Any]], stop_reason: Any) -> str:
    """``gen_ai.output.messages``: one assistant message with its parts and semconv finish reason."""
    message: dict[str, Any] = {"role": "assistant", "parts": parts}
    if isinstance(stop_reason, str):
        message["finish_reason"] = FINISH_REASONS.get(stop_reason, stop_reason)
    return safe_json_dumps([message])

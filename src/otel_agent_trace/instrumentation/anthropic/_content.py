"""Content of the Anthropic instrumentor's spans, as GenAI semconv message parts (only built with content capture on).

Content blocks of the request (param dicts) and of the response (models) become message parts; base64 payloads
are left out. Plain functions, no span, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.util.types import AttributeValue

from otel_agent_trace._internal.serialize import safe_json_dumps
from otel_agent_trace.instrumentation._anthropic_blocks import anthropic_parts as _parts
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

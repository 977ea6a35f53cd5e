"""Anthropic content blocks as GenAI semconv message parts: the Messages API's, whether sent to Anthropic or Bedrock.

Used by the anthropic instrumentor and by bedrock's ``invoke_model`` with an Anthropic model (the same body). A
request param dict or a response model becomes one part; base64 payloads are left out. Plain functions, no I/O.
"""

from __future__ import annotations

from typing import Any

from otel_agent_trace._internal.serialize import to_jsonable
from otel_agent_trace.instrumentation._genai import SEQUENCE as _SEQUENCE
from otel_agent_trace.instrumentation._genai import get as _get

__all__ = ["anthropic_part", "anthropic_parts"]


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
        return [anthropic_part(item) for item in content]
    return to_jsonable(content)


def anthropic_part(block: Any) -> dict[str, Any]:
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


def anthropic_parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    if isinstance(content, _SEQUENCE):
        return [anthropic_part(block) for block in content]
    return []

"""Content attributes of the google-genai instrumentor (built only when content capture is on).

``contents`` (a str, ``Content``, ``Part``, or a list of them, models or dicts), the system instruction and the
tool definitions as GenAI semconv JSON: ``{"role": ..., "parts": [...]}``. Inline (base64) data is never copied,
only its MIME type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.util.types import AttributeValue

from otel_agent_trace._internal.serialize import safe_json_dumps, to_jsonable
from otel_agent_trace.instrumentation._genai import SEQUENCE, get
from otel_agent_trace.semconv.gen_ai import GEN_AI_INPUT_MESSAGES, GEN_AI_SYSTEM_INSTRUCTIONS, GEN_AI_TOOL_DEFINITIONS

Attributes = dict[str, AttributeValue]


def _modality(mime_type: Any) -> str:
    if isinstance(mime_type, str) and "/" in mime_type:
        kind = mime_type.split("/", 1)[0]
        if kind in ("image", "video", "audio"):
            return kind
    return "document"


def part(item: Any) -> dict[str, Any]:
    """One ``Part`` (model, dict or str) as a GenAI semconv message part."""
    if isinstance(item, str):
        return {"type": "text", "content": item}
    text = get(item, "text")
    if isinstance(text, str):
        if get(item, "thought") is True:
            return {"type": "reasoning", "content": text}
        return {"type": "text", "content": text}
    call = get(item, "function_call")
    if call is not None:
        return {
            "type": "tool_call",
            "id": get(call, "id"),
            "name": get(call, "name"),
            "arguments": to_jsonable(get(call, "args")),
        }
    response = get(item, "function_response")
    if response is not None:
        return {
            "type": "tool_call_response",
            "id": get(response, "id"),
            "response": to_jsonable(get(response, "response")),
        }
    data = get(item, "inline_data")
    if data is not None:
        mime_type = get(data, "mime_type")
        return {"type": "blob", "modality": _modality(mime_type), "mime_type": mime_type}
    data = get(item, "file_data")
    if data is not None:
        mime_type = get(data, "mime_type")
        return {"type": "uri", "modality": _modality(mime_type), "mime_type": mime_type, "uri": get(data, "file_uri")}
    code = get(item, "executable_code")
    if code is not None:
        return {"type": "executable_code", "language": to_jsonable(get(code, "language")), "code": get(code, "code")}
    result = get(item, "code_execution_result")
    if result is not None:
        return {
            "type": "code_execution_result",
            "outcome": to_jsonable(get(result, "outcome")),
            "output": get(result, "output"),
        }
    generic = to_jsonable(item)
    return generic if isinstance(generic, dict) and "type" in generic else {"type": "unknown", "content": generic}


def _role(role: Any, parts: list[dict[str, Any]]) -> Any:
    if parts and all(p.get("type") == "tool_call_response" for p in parts):
        return "tool"
    if role == "model":
        return "assistant"
    return role if isinstance(role, str) else "user"


def _message(content: Any) -> dict[str, Any]:
    raw = get(content, "parts")
    parts = [part(item) for item in raw] if isinstance(raw, SEQUENCE) else []
    return {"role": _role(get(content, "role"), parts), "parts": parts}


def _is_content(item: Any) -> bool:
    return not isinstance(item, str) and get(item, "parts") is not None


def input_messages(contents: Any) -> list[dict[str, Any]]:
    """``contents`` (a str, a ``Content``, a ``Part``, or a list of them) as GenAI messages.

    Loose parts and strings are gathered into one user message, as the SDK itself does.
    """
    if isinstance(contents, str) or not isinstance(contents, SEQUENCE):
        contents = [contents]
    messages: list[dict[str, Any]] = []
    loose: list[dict[str, Any]] = []
    for item in contents:
        if _is_content(item):
            if loose:
                messages.append({"role": "user", "parts": loose})
                loose = []
            messages.append(_message(item))
        elif item is not None:
            loose.append(part(item))
    if loose:
        messages.append({"role": _role("user", loose), "parts": loose})
    return messages


def _tool_definitions(tools: Any) -> list[dict[str, Any]]:
    definitions: list[dict[str, Any]] = []
    for tool in tools:
        if callable(tool) and not isinstance(tool, type):
            doc = getattr(tool, "__doc__", None)
            definitions.append(
                {
                    "type": "function",
                    "name": getattr(tool, "__name__", type(tool).__name__),
                    "description": doc.strip().split("\n", 1)[0] if isinstance(doc, str) and doc.strip() else None,
                }
            )
            continue
        declarations = get(tool, "function_declarations")
        if isinstance(declarations, SEQUENCE):
            for declaration in declarations:
                parameters = get(declaration, "parameters")
                if parameters is None:
                    parameters = get(declaration, "parameters_json_schema")
                definitions.append(
                    {
                        "type": "function",
                        "name": get(declaration, "name"),
                        "description": get(declaration, "description"),
                        "parameters": to_jsonable(parameters),
                    }
                )
            continue
        fields = to_jsonable(tool)
        kinds = [key for key, value in fields.items() if value is not None] if isinstance(fields, dict) else []
        definitions.append({"type": kinds[0] if len(kinds) == 1 else "unknown"})
    return definitions


def content_request_attributes(kwargs: Mapping[str, Any], attributes: Attributes) -> None:
    """Add ``gen_ai.input.messages``, ``gen_ai.system_instructions`` and ``gen_ai.tool.definitions`` (JSON)."""
    contents = kwargs.get("contents")
    if contents is not None:
        attributes[GEN_AI_INPUT_MESSAGES] = safe_json_dumps(input_messages(contents))
    config = kwargs.get("config")
    if config is None:
        return
    system = get(config, "system_instruction")
    if system is not None:
        parts = [p for message in input_messages(system) for p in message["parts"]]
        attributes[GEN_AI_SYSTEM_INSTRUCTIONS] = safe_json_dumps(parts)
    tools = get(config, "tools")
    if isinstance(tools, SEQUENCE) and tools:
        attributes[GEN_AI_TOOL_DEFINITIONS] = safe_json_dumps(_tool_definitions(tools))

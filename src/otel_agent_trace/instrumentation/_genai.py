"""Extractor helpers the LLM instrumentors share: field access, value checks, GenAI message parts.

Plain functions, no span, no I/O. The message-part shapes follow the GenAI semconv (``gen_ai.input.messages``):
``{"role": ..., "parts": [{"type": "text", "content": ...}, {"type": "tool_call", ...}, ...]}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from otel_agent_trace._internal.serialize import to_jsonable

SEQUENCE = (list, tuple)
"""Containers read from the caller's arguments (a generator is never consumed: the SDK still has to read it)."""


def get(obj: Any, name: str) -> Any:
    """``obj[name]`` for a mapping (request params), ``obj.name`` for an SDK model (responses)."""
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def is_int(value: Any) -> bool:
    """An ``int`` that is not a ``bool``."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """An ``int`` or ``float`` that is not a ``bool``."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def parse_arguments(raw: Any) -> Any:
    """Tool call arguments as a JSON value when they parse, else as given (made JSON-compatible)."""
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return to_jsonable(raw)


def text_part(text: Any) -> dict[str, Any]:
    """A ``text`` part."""
    return {"type": "text", "content": text}


def tool_call_part(call_id: Any, name: Any, arguments: Any) -> dict[str, Any]:
    """A ``tool_call`` part (arguments parsed when they are JSON)."""
    return {"type": "tool_call", "id": call_id, "name": name, "arguments": parse_arguments(arguments)}


def chat_tool_call_parts(tool_calls: Any) -> list[dict[str, Any]]:
    """``tool_call`` parts of an OpenAI-format message's ``tool_calls`` (function and custom tools)."""
    parts: list[dict[str, Any]] = []
    if not isinstance(tool_calls, SEQUENCE):
        return parts
    for call in tool_calls:
        function = get(call, "function") or get(call, "custom")
        arguments = get(function, "arguments")
        if arguments is None:
            arguments = get(function, "input")
        parts.append(tool_call_part(get(call, "id"), get(function, "name"), arguments))
    return parts


def chat_input_message(message: Any, content_parts: Callable[[Any], list[dict[str, Any]]]) -> dict[str, Any]:
    """One OpenAI-format chat message (``role``, ``content``, ``tool_calls``, ``tool_call_id``) as GenAI parts."""
    role = get(message, "role")
    if role == "tool":
        part = {
            "type": "tool_call_response",
            "id": get(message, "tool_call_id"),
            "response": to_jsonable(get(message, "content")),
        }
        return {"role": "tool", "parts": [part]}
    parts = content_parts(get(message, "content"))
    parts.extend(chat_tool_call_parts(get(message, "tool_calls")))
    return {"role": role, "parts": parts}

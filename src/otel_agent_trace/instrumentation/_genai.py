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


class ChatChoice:
    """What the chunks of one choice of an OpenAI-format chat stream said."""

    __slots__ = ("finish_reason", "role", "text", "tool_calls")

    def __init__(self) -> None:
        self.finish_reason: Any = None
        self.role: Any = None
        self.text: list[str] = []
        self.tool_calls: dict[int, list[Any]] = {}  # call index -> [id, name, argument pieces]


class ChatChunkCollector:
    """Collects the chunks of an OpenAI-format chat completion stream (openai, litellm, ...).

    Always: response id and model, usage, finish reasons, tool call ids and names. With ``capture``: the text and the
    tool call arguments too.
    """

    __slots__ = ("capture", "choices", "model", "response_id", "usage")

    def __init__(self, capture: bool) -> None:
        self.capture = capture
        self.response_id: Any = None
        self.model: Any = None
        self.usage: Any = None
        self.choices: dict[int, ChatChoice] = {}

    def observe(self, chunk: Any) -> None:
        """Take in one chunk."""
        if self.response_id is None:
            self.response_id = getattr(chunk, "id", None)
            self.model = getattr(chunk, "model", None)
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            self.usage = usage
        for choice in getattr(chunk, "choices", None) or ():
            index = get(choice, "index") or 0
            state = self.choices.get(index)
            if state is None:
                state = self.choices[index] = ChatChoice()
            reason = get(choice, "finish_reason")
            if reason:
                state.finish_reason = reason
            delta = get(choice, "delta")
            if delta is None:
                continue
            if state.role is None:
                state.role = get(delta, "role")
            if self.capture:
                content = get(delta, "content")
                if isinstance(content, str) and content:
                    state.text.append(content)
            for call in get(delta, "tool_calls") or ():
                call_index = get(call, "index") or 0
                tool = state.tool_calls.get(call_index)
                if tool is None:
                    tool = state.tool_calls[call_index] = [None, None, []]
                call_id = get(call, "id")
                if call_id:
                    tool[0] = call_id
                function = get(call, "function")
                if function is None:
                    continue
                name = get(function, "name")
                if name:
                    tool[1] = name
                arguments = get(function, "arguments")
                if self.capture and isinstance(arguments, str) and arguments:
                    tool[2].append(arguments)

    def finish_reasons(self) -> tuple[str, ...]:
        """Finish reasons in choice order."""
        return tuple(c.finish_reason for _, c in sorted(self.choices.items()) if isinstance(c.finish_reason, str))

    def tool_calls(self) -> list[tuple[Any, Any, str]]:
        """``(id, name, arguments)`` of every tool call, in choice and call order."""
        return [
            (tool[0], tool[1], "".join(tool[2]))
            for _, choice in sorted(self.choices.items())
            for _, tool in sorted(choice.tool_calls.items())
        ]

    def output_messages(self) -> list[dict[str, Any]]:
        """The streamed choices as GenAI output messages (text and tool calls; content capture only)."""
        output = []
        for _, choice in sorted(self.choices.items()):
            if not (choice.text or choice.finish_reason or choice.tool_calls):
                continue
            parts: list[dict[str, Any]] = []
            if choice.text:
                parts.append(text_part("".join(choice.text)))
            for _, (call_id, name, pieces) in sorted(choice.tool_calls.items()):
                parts.append(tool_call_part(call_id, name, "".join(pieces)))
            output.append({"role": choice.role or "assistant", "parts": parts, "finish_reason": choice.finish_reason})
        return output

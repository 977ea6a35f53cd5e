"""Extractor helpers the LLM instrumentors share: field access, value checks, GenAI message parts.

Plain functions, no span, no I/O. The message-part shapes follow the GenAI semconv (``gen_ai.input.messages``):
``{"role": ..., "parts": [{"type": "text", "content": ...}, {"type": "tool_call", ...}, ...]}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from otel_agent_trace._internal.serialize import to_jsonable
from otel_agent_trace.semconv.agent import LLM_TOOL_CALL_IDS, LLM_TOOL_CALL_NAMES
from otel_agent_trace.semconv.gen_ai import (
    GEN_AI_RESPONSE_FINISH_REASONS,
    GEN_AI_RESPONSE_ID,
    GEN_AI_RESPONSE_MODEL,
    GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
    GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    GEN_AI_USAGE_INPUT_TOKENS,
    GEN_AI_USAGE_OUTPUT_TOKENS,
)

SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"

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


def id_and_model_attributes(result: Any, attributes: dict[str, Any]) -> None:
    """``gen_ai.response.id`` and ``gen_ai.response.model`` of a provider's response object."""
    value = getattr(result, "id", None)
    if isinstance(value, str):
        attributes[GEN_AI_RESPONSE_ID] = value
    value = getattr(result, "model", None)
    if isinstance(value, str):
        attributes[GEN_AI_RESPONSE_MODEL] = value


def requested_tool_call_attributes(ids: list[str], names: list[str], attributes: dict[str, Any]) -> None:
    """The tool calls a model asked for (names and ids), visible without content capture."""
    if names:
        attributes[LLM_TOOL_CALL_NAMES] = tuple(names)
        attributes[LLM_TOOL_CALL_IDS] = tuple(ids)


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

    def response_attributes(self, attributes: dict[str, Any]) -> None:
        """Response id and model, finish reasons, and the requested tool calls' names and ids."""
        if isinstance(self.response_id, str):
            attributes[GEN_AI_RESPONSE_ID] = self.response_id
        if isinstance(self.model, str):
            attributes[GEN_AI_RESPONSE_MODEL] = self.model
        reasons = self.finish_reasons()
        if reasons:
            attributes[GEN_AI_RESPONSE_FINISH_REASONS] = reasons
        calls = self.tool_calls()
        requested_tool_call_attributes([str(c[0]) for c in calls], [str(c[1]) for c in calls], attributes)

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


def responses_content_parts(content: Any) -> list[dict[str, Any]]:
    """Parts of a Responses API (or chat) ``content``: text, refusals, images; anything else as a generic part."""
    if content is None:
        return []
    if isinstance(content, str):
        return [text_part(content)]
    parts: list[dict[str, Any]] = []
    if isinstance(content, SEQUENCE):
        for item in content:
            kind = get(item, "type")
            if kind in ("text", "input_text", "output_text", "refusal"):
                parts.append(text_part(get(item, "text") if kind != "refusal" else get(item, "refusal")))
            elif kind == "image_url":
                parts.append({"type": "uri", "modality": "image", "uri": get(get(item, "image_url"), "url")})
            elif kind == "input_image":
                parts.append({"type": "uri", "modality": "image", "uri": get(item, "image_url")})
            else:
                parts.append({"type": str(kind), "content": to_jsonable(item)})
    return parts


def _keep_id(item: Any, target: dict[str, Any]) -> None:
    """Keep a Responses item's ``id`` (``msg_...``) on the message or part it became.

    The next request sends the item back by that id, which links the two calls (RCA's message links); the message
    and part schemas allow extra fields.
    """
    ident = get(item, "id")
    if isinstance(ident, str) and ident:
        target["id"] = ident


def responses_input_messages(items: Any, *, keep_ids: bool = False) -> list[dict[str, Any]]:
    """A Responses API ``input`` (a string or a list of items) as GenAI input messages (``keep_ids``: `_keep_id`)."""
    if isinstance(items, str):
        return [{"role": "user", "parts": [text_part(items)]}]
    messages: list[dict[str, Any]] = []
    for item in items if isinstance(items, SEQUENCE) else ():
        kind = get(item, "type")
        if kind == "function_call":
            part = tool_call_part(get(item, "call_id"), get(item, "name"), get(item, "arguments"))
            messages.append({"role": "assistant", "parts": [part]})
        elif kind == "function_call_output":
            part = {"type": "tool_call_response", "id": get(item, "call_id"), "response": get(item, "output")}
            messages.append({"role": "tool", "parts": [part]})
        elif kind in (None, "message"):
            message = {"role": get(item, "role"), "parts": responses_content_parts(get(item, "content"))}
            if keep_ids:
                _keep_id(item, message)
            messages.append(message)
        else:
            messages.append({"role": "user", "parts": [{"type": str(kind), "content": to_jsonable(item)}]})
    return messages


def responses_output_parts(output: Any, *, keep_ids: bool = False) -> list[dict[str, Any]]:
    """The parts of a Responses API ``output`` list: messages' content, tool calls, reasoning summaries."""
    parts: list[dict[str, Any]] = []
    for item in output if isinstance(output, SEQUENCE) else ():
        kind = get(item, "type")
        if kind == "function_call":
            parts.append(tool_call_part(get(item, "call_id"), get(item, "name"), get(item, "arguments")))
        elif kind == "message":
            content = responses_content_parts(get(item, "content"))
            for part in content if keep_ids else ():
                _keep_id(item, part)
            parts.extend(content)
        elif kind == "reasoning":
            for summary in get(item, "summary") or ():
                parts.append({"type": "reasoning", "content": get(summary, "text")})
        elif kind is not None:
            parts.append({"type": str(kind), "content": to_jsonable(item)})
    return parts


LITELLM_PROVIDER_NAMES: dict[str, str] = {
    "openai": "openai",
    "text-completion-openai": "openai",
    "anthropic": "anthropic",
    "azure": "azure.ai.openai",
    "azure_text": "azure.ai.openai",
    "azure_ai": "azure.ai.inference",
    "bedrock": "aws.bedrock",
    "sagemaker": "aws.sagemaker",
    "vertex_ai": "gcp.vertex_ai",
    "vertex_ai_beta": "gcp.vertex_ai",
    "gemini": "gcp.gemini",
    "cohere": "cohere",
    "cohere_chat": "cohere",
    "mistral": "mistral_ai",
    "groq": "groq",
    "deepseek": "deepseek",
    "perplexity": "perplexity",
    "xai": "x_ai",
    "watsonx": "ibm.watsonx.ai",
}
"""litellm ``custom_llm_provider`` -> GenAI semconv ``gen_ai.provider.name`` (others are kept as litellm names them)."""


def litellm_provider_name(provider: Any) -> str:
    """The semconv provider name of a litellm provider name (``litellm`` when unknown); CrewAI uses these too."""
    if not isinstance(provider, str) or not provider:
        return "litellm"
    return LITELLM_PROVIDER_NAMES.get(provider, provider)


def url_server_attributes(api_base: Any, attributes: dict[str, Any]) -> None:
    """``server.address`` / ``server.port`` of a base URL (when one is known)."""
    if not isinstance(api_base, str) or "://" not in api_base:
        return
    from urllib.parse import urlsplit

    parts = urlsplit(api_base)
    if parts.hostname:
        attributes[SERVER_ADDRESS] = parts.hostname
    port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    if port is not None:
        attributes[SERVER_PORT] = port


def chat_content_parts(content: Any) -> list[dict[str, Any]]:
    """Parts of an OpenAI-format message ``content`` (text, images; image data URLs as blobs without the data)."""
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    parts: list[dict[str, Any]] = []
    if isinstance(content, SEQUENCE):
        for item in content:
            kind = get(item, "type")
            if kind == "text":
                parts.append({"type": "text", "content": get(item, "text")})
            elif kind == "image_url":
                image = get(item, "image_url")
                url = get(image, "url") if not isinstance(image, str) else image
                if isinstance(url, str) and url.startswith("data:"):
                    parts.append({"type": "blob", "modality": "image", "mime_type": url[5:].split(";", 1)[0]})
                else:
                    parts.append({"type": "uri", "modality": "image", "uri": url})
            else:
                parts.append({"type": str(kind), "content": to_jsonable(item)})
    return parts


def openai_usage_attributes(usage: Any, attributes: dict[str, Any]) -> None:
    """Token counts of an OpenAI-shaped ``usage`` (litellm's ``prompt_tokens`` already include cached tokens)."""
    if usage is None:
        return
    value = get(usage, "prompt_tokens")
    if is_int(value):
        attributes[GEN_AI_USAGE_INPUT_TOKENS] = value
    value = get(usage, "completion_tokens")
    if is_int(value):
        attributes[GEN_AI_USAGE_OUTPUT_TOKENS] = value
    cached = get(get(usage, "prompt_tokens_details"), "cached_tokens")
    if not is_int(cached):
        cached = get(usage, "cache_read_input_tokens")
    if is_int(cached) and cached:
        attributes[GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = cached
    created = get(usage, "cache_creation_input_tokens")
    if is_int(created) and created:
        attributes[GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = created

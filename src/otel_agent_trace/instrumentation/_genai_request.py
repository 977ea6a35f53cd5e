"""Request-side extractors the LLM instrumentors share: tool definitions and OpenAI-format request settings.

Plain functions, no span, no I/O (see `otel_agent_trace.instrumentation._genai` for the message parts).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from otel_agent_trace._internal.serialize import MAX_ITEMS, safe_json_dumps
from otel_agent_trace.instrumentation._genai import (
    SEQUENCE,
    chat_content_parts,
    chat_input_message,
    get,
    is_int,
    is_number,
)
from otel_agent_trace.semconv.gen_ai import (
    GEN_AI_INPUT_MESSAGES,
    GEN_AI_OUTPUT_TYPE,
    GEN_AI_REQUEST_CHOICE_COUNT,
    GEN_AI_REQUEST_FREQUENCY_PENALTY,
    GEN_AI_REQUEST_PRESENCE_PENALTY,
    GEN_AI_TOOL_DEFINITIONS,
)


def tool_definition(kind: Any, name: Any, description: Any = None, **schemas: Any) -> dict[str, Any]:
    """One ``gen_ai.tool.definitions`` entry: ``type`` and ``name`` (required by the schema), then what is known.

    A built-in tool without a name (``web_search``...) is named after its type; ``None`` fields are left out.
    Schemas (``parameters``...) are kept as given: the one bounded JSON walk of `tool_definitions_json` reads them.
    """
    kind = kind if isinstance(kind, str) and kind else "function"
    definition: dict[str, Any] = {"type": kind, "name": name if isinstance(name, str) and name else kind}
    if isinstance(description, str):
        definition["description"] = description
    for key, value in schemas.items():
        if value is not None:
            definition[key] = value
    return definition


def chat_tool_definition(tool: Any) -> dict[str, Any]:
    """The definition of an OpenAI-format chat tool (``{"type": "function", "function": {...}}``, ``custom``...)."""
    kind = get(tool, "type") or "function"
    if kind == "function":
        function = get(tool, "function")
        return tool_definition(
            kind, get(function, "name"), get(function, "description"), parameters=get(function, "parameters")
        )
    if kind == "custom":
        custom = get(tool, "custom")
        return tool_definition(kind, get(custom, "name"), get(custom, "description"), format=get(custom, "format"))
    return tool_definition(kind, get(tool, "name"))


def responses_tool_definition(tool: Any) -> dict[str, Any]:
    """The definition of a Responses API tool (flat ``function``/``custom`` tools, built-ins by their type)."""
    kind = get(tool, "type")
    if kind == "function":
        return tool_definition(kind, get(tool, "name"), get(tool, "description"), parameters=get(tool, "parameters"))
    if kind == "custom":
        return tool_definition(kind, get(tool, "name"), get(tool, "description"), format=get(tool, "format"))
    return tool_definition(kind, get(tool, "name") or get(tool, "server_label"))


def tool_definitions_json(tools: Any, definition: Callable[[Any], dict[str, Any]]) -> str | None:
    """``gen_ai.tool.definitions`` of a request's ``tools`` as JSON within the payload budget (``None``: no tools).

    The GenAI convention makes this attribute opt-in: callers record it with content capture only. At most
    ``MAX_ITEMS`` tools are looked at, each as a shallow entry, and one bounded walk writes the JSON, so the cost
    on the application thread is bounded by the budget, not by the size of the tools' schemas.
    """
    if not isinstance(tools, SEQUENCE) or not tools:
        return None
    return safe_json_dumps([definition(tool) for tool in tools[:MAX_ITEMS]])


def chat_request_content_attributes(kwargs: Mapping[str, Any], attributes: dict[str, Any]) -> None:
    """Add ``gen_ai.input.messages`` and ``gen_ai.tool.definitions`` (JSON; system messages stay in the list)."""
    messages = kwargs.get("messages")
    if isinstance(messages, SEQUENCE):
        attributes[GEN_AI_INPUT_MESSAGES] = safe_json_dumps(
            [chat_input_message(message, chat_content_parts) for message in messages]
        )
    definitions = tool_definitions_json(kwargs.get("tools"), chat_tool_definition)
    if definitions is not None:
        attributes[GEN_AI_TOOL_DEFINITIONS] = definitions


def output_type(kind: Any, structured: bool = False) -> str | None:
    """``gen_ai.output.type`` of a requested format type (``json_schema``/``json_object`` -> ``json``).

    ``structured``: the request asked for a parsed model (``parse(response_format=Model)``), which is JSON.
    """
    if structured or kind in ("json_schema", "json_object"):
        return "json"
    return "text" if kind == "text" else None


def chat_request_settings(kwargs: Mapping[str, Any], attributes: dict[str, Any]) -> None:
    """Output type, choice count and penalties of an OpenAI-format chat request (openai, litellm).

    ``gen_ai.output.type`` from ``response_format``, ``gen_ai.request.choice.count`` from ``n`` when it is not 1.
    """
    response_format = kwargs.get("response_format")
    requested = output_type(get(response_format, "type"), isinstance(response_format, type))
    if requested is not None:
        attributes[GEN_AI_OUTPUT_TYPE] = requested
    choices = kwargs.get("n")
    if is_int(choices) and choices != 1:
        attributes[GEN_AI_REQUEST_CHOICE_COUNT] = choices
    value = kwargs.get("frequency_penalty")
    if is_number(value):
        attributes[GEN_AI_REQUEST_FREQUENCY_PENALTY] = value
    value = kwargs.get("presence_penalty")
    if is_number(value):
        attributes[GEN_AI_REQUEST_PRESENCE_PENALTY] = value

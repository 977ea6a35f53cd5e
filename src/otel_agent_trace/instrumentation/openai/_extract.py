"""Attribute extractors of the OpenAI instrumentor: plain functions, no span, no I/O.

Request extractors read the keyword arguments of ``create()``; response extractors read the returned model
objects. Everything the SDK may leave out (``omit``, ``NOT_GIVEN``, ``None``) is skipped by type checks, so no
extractor raises on a partial object; the wrappers guard them anyway. JSON is built only when content capture
is on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.semconv.attributes.server_attributes import SERVER_ADDRESS, SERVER_PORT
from opentelemetry.util.types import AttributeValue

from otel_agent_trace._internal.serialize import dumps
from otel_agent_trace.instrumentation._genai import (
    chat_input_message,
    id_and_model_attributes,
    requested_tool_call_attributes,
    responses_input_messages,
    responses_output_parts,
)
from otel_agent_trace.instrumentation._genai import chat_tool_call_parts as _chat_tool_call_parts
from otel_agent_trace.instrumentation._genai import get as _get
from otel_agent_trace.instrumentation._genai import is_number as _number
from otel_agent_trace.instrumentation._genai import responses_content_parts as content_parts
from otel_agent_trace.instrumentation._genai import text_part as _text_part
from otel_agent_trace.instrumentation._genai_request import (
    chat_request_settings,
    chat_tool_definition,
    output_type,
    responses_tool_definition,
    tool_definitions_json,
)
from otel_agent_trace.semconv.agent import AGENT_STEP_ACTION_TYPE
from otel_agent_trace.semconv.gen_ai import (
    GEN_AI_EMBEDDINGS_DIMENSION_COUNT,
    GEN_AI_INPUT_MESSAGES,
    GEN_AI_OPERATION_NAME,
    GEN_AI_OUTPUT_MESSAGES,
    GEN_AI_OUTPUT_TYPE,
    GEN_AI_PROVIDER_NAME,
    GEN_AI_REQUEST_ENCODING_FORMATS,
    GEN_AI_REQUEST_MAX_TOKENS,
    GEN_AI_REQUEST_MODEL,
    GEN_AI_REQUEST_SEED,
    GEN_AI_REQUEST_STOP_SEQUENCES,
    GEN_AI_REQUEST_STREAM,
    GEN_AI_REQUEST_TEMPERATURE,
    GEN_AI_REQUEST_TOP_P,
    GEN_AI_RESPONSE_FINISH_REASONS,
    GEN_AI_RESPONSE_MODEL,
    GEN_AI_SYSTEM_INSTRUCTIONS,
    GEN_AI_TOOL_DEFINITIONS,
    GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    GEN_AI_USAGE_INPUT_TOKENS,
    GEN_AI_USAGE_OUTPUT_TOKENS,
    GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
    OPENAI_API_TYPE,
    OPENAI_REQUEST_SERVICE_TIER,
    OPENAI_RESPONSE_SERVICE_TIER,
    OPENAI_RESPONSE_SYSTEM_FINGERPRINT,
    OpenaiApiTypeValues,
)

Attributes = dict[str, AttributeValue]

PROVIDER = "openai"
CHAT = "chat"
EMBEDDINGS = "embeddings"
LLM_CALL = "llm_call"

_MAX_SERVERS = 64
_servers: dict[int, tuple[Any, str | None, int | None]] = {}


def server_attributes(instance: Any, attributes: Attributes) -> None:
    """Add ``server.address``/``server.port`` from the resource's client ``base_url`` (cached per URL object)."""
    url = instance._client.base_url
    cached = _servers.get(id(url))
    if cached is None or cached[0] is not url:
        host = url.host or None
        port = url.port
        if port is None:
            port = {"https": 443, "http": 80}.get(url.scheme)
        if len(_servers) >= _MAX_SERVERS:
            _servers.clear()
        cached = (url, host, port)
        _servers[id(url)] = cached
    if cached[1] is not None:
        attributes[SERVER_ADDRESS] = cached[1]
    if cached[2] is not None:
        attributes[SERVER_PORT] = cached[2]


def base_attributes(operation: str, model: Any) -> Attributes:
    """Attributes every OpenAI span starts with."""
    attributes: Attributes = {
        GEN_AI_OPERATION_NAME: operation,
        GEN_AI_PROVIDER_NAME: PROVIDER,
        AGENT_STEP_ACTION_TYPE: LLM_CALL,
    }
    if isinstance(model, str):
        attributes[GEN_AI_REQUEST_MODEL] = model
    return attributes


def _sampling_attributes(kwargs: Mapping[str, Any], attributes: Attributes, max_tokens_keys: tuple[str, ...]) -> None:
    value = kwargs.get("temperature")
    if _number(value):
        attributes[GEN_AI_REQUEST_TEMPERATURE] = value
    value = kwargs.get("top_p")
    if _number(value):
        attributes[GEN_AI_REQUEST_TOP_P] = value
    for key in max_tokens_keys:
        value = kwargs.get(key)
        if _number(value):
            attributes[GEN_AI_REQUEST_MAX_TOKENS] = value
            break
    if kwargs.get("stream") is True:
        attributes[GEN_AI_REQUEST_STREAM] = True


def _openai_request_attributes(kwargs: Mapping[str, Any], attributes: Attributes, api_type: str) -> None:
    """``openai.api.type``, and ``openai.request.service_tier`` unless it is ``auto`` (as the OpenAI semconv says)."""
    attributes[OPENAI_API_TYPE] = api_type
    tier = kwargs.get("service_tier")
    if isinstance(tier, str) and tier != "auto":
        attributes[OPENAI_REQUEST_SERVICE_TIER] = tier


def chat_request_attributes(kwargs: Mapping[str, Any], attributes: Attributes, capture: bool) -> None:
    """Request attributes of ``chat.completions.create``."""
    _openai_request_attributes(kwargs, attributes, OpenaiApiTypeValues.CHAT_COMPLETIONS.value)
    _sampling_attributes(kwargs, attributes, ("max_completion_tokens", "max_tokens"))
    chat_request_settings(kwargs, attributes)
    seed = kwargs.get("seed")
    if isinstance(seed, int) and not isinstance(seed, bool):
        attributes[GEN_AI_REQUEST_SEED] = seed
    stop = kwargs.get("stop")
    if isinstance(stop, str):
        attributes[GEN_AI_REQUEST_STOP_SEQUENCES] = (stop,)
    elif isinstance(stop, (list, tuple)):
        attributes[GEN_AI_REQUEST_STOP_SEQUENCES] = tuple(str(s) for s in stop)
    if capture:
        messages = kwargs.get("messages")
        if isinstance(messages, (list, tuple)):  # never consume a generator the SDK still has to read
            attributes[GEN_AI_INPUT_MESSAGES] = dumps([chat_input_message(m, content_parts) for m in messages])
        definitions = tool_definitions_json(kwargs.get("tools"), chat_tool_definition)
        if definitions is not None:
            attributes[GEN_AI_TOOL_DEFINITIONS] = definitions


def responses_request_attributes(kwargs: Mapping[str, Any], attributes: Attributes, capture: bool) -> None:
    """Request attributes of ``responses.create``."""
    _openai_request_attributes(kwargs, attributes, OpenaiApiTypeValues.RESPONSES.value)
    _sampling_attributes(kwargs, attributes, ("max_output_tokens",))
    text_format = kwargs.get("text_format")  # parse(text_format=Model) asks for JSON
    requested = output_type(_get(_get(kwargs.get("text"), "format"), "type"), isinstance(text_format, type))
    if requested is not None:
        attributes[GEN_AI_OUTPUT_TYPE] = requested
    if capture:
        definitions = tool_definitions_json(kwargs.get("tools"), responses_tool_definition)
        if definitions is not None:
            attributes[GEN_AI_TOOL_DEFINITIONS] = definitions
        instructions = kwargs.get("instructions")
        if isinstance(instructions, str):
            attributes[GEN_AI_SYSTEM_INSTRUCTIONS] = dumps([_text_part(instructions)])
        items = kwargs.get("input")
        if isinstance(items, str):
            attributes[GEN_AI_INPUT_MESSAGES] = dumps([{"role": "user", "parts": [_text_part(items)]}])
        elif isinstance(items, (list, tuple)):
            attributes[GEN_AI_INPUT_MESSAGES] = dumps(responses_input_messages(items))


def embeddings_request_attributes(kwargs: Mapping[str, Any], attributes: Attributes, capture: bool) -> None:
    """Request attributes of ``embeddings.create`` (there is no message content to capture)."""
    encoding = kwargs.get("encoding_format")
    if isinstance(encoding, str):
        attributes[GEN_AI_REQUEST_ENCODING_FORMATS] = (encoding,)
    dimensions = kwargs.get("dimensions")
    if isinstance(dimensions, int) and not isinstance(dimensions, bool):
        attributes[GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = dimensions


# --- content: GenAI semconv message format (role + parts) ---------------------------------------------------


# --- responses ------------------------------------------------------------------------------------------------


def _usage(usage: Any, attributes: Attributes, input_key: str, output_key: str) -> None:
    if usage is None:
        return
    value = getattr(usage, input_key, None)
    if isinstance(value, int):
        attributes[GEN_AI_USAGE_INPUT_TOKENS] = value
    value = getattr(usage, output_key, None)
    if isinstance(value, int):
        attributes[GEN_AI_USAGE_OUTPUT_TOKENS] = value
    details = getattr(usage, "prompt_tokens_details", None) or getattr(usage, "input_tokens_details", None)
    cached = getattr(details, "cached_tokens", None)
    if isinstance(cached, int):
        attributes[GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = cached
    details = getattr(usage, "completion_tokens_details", None) or getattr(usage, "output_tokens_details", None)
    reasoning = getattr(details, "reasoning_tokens", None)
    if isinstance(reasoning, int) and not isinstance(reasoning, bool):
        attributes[GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = reasoning  # included in the output tokens


def openai_response_attributes(result: Any, attributes: Attributes) -> None:
    """``openai.response.service_tier`` and ``openai.response.system_fingerprint`` when the response has them."""
    tier = getattr(result, "service_tier", None)
    if isinstance(tier, str) and tier:
        attributes[OPENAI_RESPONSE_SERVICE_TIER] = tier
    fingerprint = getattr(result, "system_fingerprint", None)
    if isinstance(fingerprint, str) and fingerprint:
        attributes[OPENAI_RESPONSE_SYSTEM_FINGERPRINT] = fingerprint


def chat_response_attributes(result: Any, attributes: Attributes, capture: bool) -> None:
    """Response attributes of a ``ChatCompletion``."""
    id_and_model_attributes(result, attributes)
    openai_response_attributes(result, attributes)
    reasons: list[str] = []
    ids: list[str] = []
    names: list[str] = []
    output: list[dict[str, Any]] = []
    for choice in getattr(result, "choices", None) or ():
        reason = choice.finish_reason
        reasons.append(reason if isinstance(reason, str) else "")
        message = choice.message
        tool_calls = getattr(message, "tool_calls", None)
        if tool_calls:
            for call in tool_calls:
                function = getattr(call, "function", None) or getattr(call, "custom", None)
                ids.append(str(call.id))
                names.append(str(getattr(function, "name", "")))
        if capture:
            parts = content_parts(message.content)
            refusal = getattr(message, "refusal", None)
            if refusal:
                parts.append(_text_part(refusal))
            parts.extend(_chat_tool_call_parts(tool_calls))
            output.append({"role": message.role or "assistant", "parts": parts, "finish_reason": reason})
    if reasons:
        attributes[GEN_AI_RESPONSE_FINISH_REASONS] = tuple(reasons)
    requested_tool_call_attributes(ids, names, attributes)
    _usage(getattr(result, "usage", None), attributes, "prompt_tokens", "completion_tokens")
    if capture:
        attributes[GEN_AI_OUTPUT_MESSAGES] = dumps(output)


def responses_finish_reason(result: Any, has_tool_calls: bool) -> str:
    """A chat-style finish reason for a ``Response`` (``stop``, ``tool_calls``, ``length``, or its status)."""
    status = getattr(result, "status", None)
    if status == "completed":
        return "tool_calls" if has_tool_calls else "stop"
    if status == "incomplete":
        reason = getattr(getattr(result, "incomplete_details", None), "reason", None)
        return "length" if reason == "max_output_tokens" else str(reason or status)
    return str(status or "")


def responses_response_attributes(result: Any, attributes: Attributes, capture: bool) -> None:
    """Response attributes of a ``Response`` (Responses API)."""
    id_and_model_attributes(result, attributes)
    openai_response_attributes(result, attributes)
    ids: list[str] = []
    names: list[str] = []
    parts: list[dict[str, Any]] = []
    output = getattr(result, "output", None) or ()
    for item in output:
        if getattr(item, "type", None) == "function_call":
            ids.append(str(item.call_id))
            names.append(str(item.name))
    if capture:
        parts = responses_output_parts(output)
    reason = responses_finish_reason(result, bool(ids))
    attributes[GEN_AI_RESPONSE_FINISH_REASONS] = (reason,)
    requested_tool_call_attributes(ids, names, attributes)
    _usage(getattr(result, "usage", None), attributes, "input_tokens", "output_tokens")
    if capture:
        attributes[GEN_AI_OUTPUT_MESSAGES] = dumps([{"role": "assistant", "parts": parts, "finish_reason": reason}])


def embeddings_response_attributes(result: Any, attributes: Attributes, capture: bool) -> None:
    """Response attributes of a ``CreateEmbeddingResponse``."""
    value = getattr(result, "model", None)
    if isinstance(value, str):
        attributes[GEN_AI_RESPONSE_MODEL] = value
    usage = getattr(result, "usage", None)
    value = getattr(usage, "prompt_tokens", None)
    if isinstance(value, int):
        attributes[GEN_AI_USAGE_INPUT_TOKENS] = value
    data = getattr(result, "data", None)
    if data:
        embedding = getattr(data[0], "embedding", None)
        if isinstance(embedding, list):
            attributes[GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = len(embedding)


def error_code(exc: Exception) -> str | None:
    """Provider error code of an ``openai.APIError`` (``rate_limit_exceeded``...), else its HTTP status."""
    code = getattr(exc, "code", None)
    if isinstance(code, str) and code:
        return code
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return str(status)
    return None

"""Attribute extractors of the google-genai instrumentor: plain functions, no span, no I/O.

Request extractors read the keyword arguments of ``Models.generate_content`` / ``embed_content`` (``model``,
``contents``, ``config``; ``config`` is a ``GenerateContentConfig`` or a plain dict, both read through `get`).
Response extractors read a ``GenerateContentResponse`` (one per streamed chunk) or an ``EmbedContentResponse``.
JSON is built only when content capture is on; inline (base64) data is never copied, only its MIME type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from otel_agent_trace._internal.serialize import safe_json_dumps
from otel_agent_trace.instrumentation._genai import SEQUENCE, get, is_int, is_number, url_server_attributes
from otel_agent_trace.semconv.agent import AGENT_STEP_ACTION_TYPE, LLM_TOOL_CALL_IDS, LLM_TOOL_CALL_NAMES
from otel_agent_trace.semconv.error import ERROR_CODE
from otel_agent_trace.semconv.gen_ai import (
    GEN_AI_EMBEDDINGS_DIMENSION_COUNT,
    GEN_AI_OPERATION_NAME,
    GEN_AI_OUTPUT_MESSAGES,
    GEN_AI_OUTPUT_TYPE,
    GEN_AI_PROVIDER_NAME,
    GEN_AI_REQUEST_CHOICE_COUNT,
    GEN_AI_REQUEST_FREQUENCY_PENALTY,
    GEN_AI_REQUEST_MAX_TOKENS,
    GEN_AI_REQUEST_MODEL,
    GEN_AI_REQUEST_PRESENCE_PENALTY,
    GEN_AI_REQUEST_SEED,
    GEN_AI_REQUEST_STOP_SEQUENCES,
    GEN_AI_REQUEST_STREAM,
    GEN_AI_REQUEST_TEMPERATURE,
    GEN_AI_REQUEST_TOP_K,
    GEN_AI_REQUEST_TOP_P,
    GEN_AI_RESPONSE_FINISH_REASONS,
    GEN_AI_RESPONSE_ID,
    GEN_AI_RESPONSE_MODEL,
    GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    GEN_AI_USAGE_INPUT_TOKENS,
    GEN_AI_USAGE_OUTPUT_TOKENS,
    GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
)

from ._content import Attributes, content_request_attributes, part

__all__ = ["Attributes", "content_request_attributes", "part"]

GENERATE_CONTENT = "generate_content"
EMBEDDINGS = "embeddings"
GEMINI = "gcp.gemini"
VERTEX_AI = "gcp.vertex_ai"
LLM_CALL = "llm_call"
EMBEDDING = "embedding"

FINISH_REASONS: dict[str, str] = {
    "stop": "stop",
    "max_tokens": "length",
    "safety": "content_filter",
    "recitation": "content_filter",
    "blocklist": "content_filter",
    "prohibited_content": "content_filter",
    "spii": "content_filter",
    "image_safety": "content_filter",
    "malformed_function_call": "error",
}
"""Gemini ``finish_reason`` (lower case) -> GenAI semconv ``finish_reason`` of an output message."""


def provider_name(instance: Any) -> str:
    """``gcp.vertex_ai`` for a Vertex AI client, else ``gcp.gemini`` (the Gemini Developer API)."""
    client = getattr(instance, "_api_client", None)
    return VERTEX_AI if getattr(client, "vertexai", False) is True else GEMINI


def span_name(operation: str, kwargs: Mapping[str, Any]) -> str:
    """``"{operation} {model}"``, or the operation alone when the model is not a string."""
    model = kwargs.get("model")
    return f"{operation} {model}" if isinstance(model, str) and model else operation


def request_attributes(instance: Any, operation: str, kwargs: Mapping[str, Any], *, stream: bool) -> Attributes:
    """Attributes known before the call: operation, provider, model, generation settings, server."""
    attributes: Attributes = {
        GEN_AI_OPERATION_NAME: operation,
        GEN_AI_PROVIDER_NAME: provider_name(instance),
        AGENT_STEP_ACTION_TYPE: LLM_CALL if operation == GENERATE_CONTENT else EMBEDDING,
    }
    if stream:  # set only on streamed requests (unset means not streamed)
        attributes[GEN_AI_REQUEST_STREAM] = True
    model = kwargs.get("model")
    if isinstance(model, str):
        attributes[GEN_AI_REQUEST_MODEL] = model
    config = kwargs.get("config")
    if config is not None:
        _config_attributes(config, attributes)
    client = getattr(instance, "_api_client", None)
    url_server_attributes(get(getattr(client, "_http_options", None), "base_url"), attributes)
    return attributes


def _output_type(config: Any) -> str | None:
    """``gen_ai.output.type`` of a requested output format (``response_mime_type``, ``response_modalities``)."""
    mime = get(config, "response_mime_type")
    if isinstance(mime, str) and mime:
        return "json" if mime == "application/json" else "text" if mime.startswith("text/") else None
    modalities = get(config, "response_modalities")
    if isinstance(modalities, SEQUENCE) and len(modalities) == 1:
        value = getattr(modalities[0], "value", modalities[0])
        return {"TEXT": "text", "IMAGE": "image", "AUDIO": "speech"}.get(str(value).upper())
    return None


def _config_attributes(config: Any, attributes: Attributes) -> None:
    value = get(config, "candidate_count")
    if is_int(value) and value != 1:
        attributes[GEN_AI_REQUEST_CHOICE_COUNT] = value
    output_type = _output_type(config)
    if output_type is not None:
        attributes[GEN_AI_OUTPUT_TYPE] = output_type
    for name, key in (
        ("temperature", GEN_AI_REQUEST_TEMPERATURE),
        ("top_p", GEN_AI_REQUEST_TOP_P),
        ("frequency_penalty", GEN_AI_REQUEST_FREQUENCY_PENALTY),
        ("presence_penalty", GEN_AI_REQUEST_PRESENCE_PENALTY),
    ):
        value = get(config, name)
        if is_number(value):
            attributes[key] = float(value)
    for name, key in (
        ("top_k", GEN_AI_REQUEST_TOP_K),
        ("max_output_tokens", GEN_AI_REQUEST_MAX_TOKENS),
        ("seed", GEN_AI_REQUEST_SEED),
        ("output_dimensionality", GEN_AI_EMBEDDINGS_DIMENSION_COUNT),
    ):
        value = get(config, name)
        if is_number(value) and float(value).is_integer():
            attributes[key] = int(value)
    value = get(config, "stop_sequences")
    if isinstance(value, SEQUENCE) and all(isinstance(item, str) for item in value):
        attributes[GEN_AI_REQUEST_STOP_SEQUENCES] = tuple(value)


# --- response ------------------------------------------------------------------------------------------------


def finish_reason(value: Any) -> str | None:
    """A candidate's ``finish_reason`` (``FinishReason`` enum or str) in lower case, e.g. ``stop``."""
    raw = getattr(value, "value", value)
    return raw.lower() if isinstance(raw, str) and raw else None


def usage_attributes(usage: Any, attributes: Attributes) -> None:
    """Token counts of a ``usage_metadata``.

    Input: ``prompt_token_count`` (it includes cached tokens, as the GenAI semconv asks) plus the tool-use prompt;
    output: ``candidates_token_count`` plus ``thoughts_token_count`` (reasoning counts as output, and is also
    given alone).
    """
    if usage is None:
        return
    prompt = get(usage, "prompt_token_count")
    tool_prompt = get(usage, "tool_use_prompt_token_count")
    if is_int(prompt):
        attributes[GEN_AI_USAGE_INPUT_TOKENS] = prompt + (tool_prompt if is_int(tool_prompt) else 0)
    output = get(usage, "candidates_token_count")
    if not is_int(output):
        output = get(usage, "response_token_count")
    thoughts = get(usage, "thoughts_token_count")
    if is_int(output) or is_int(thoughts):
        attributes[GEN_AI_USAGE_OUTPUT_TOKENS] = (output if is_int(output) else 0) + (
            thoughts if is_int(thoughts) else 0
        )
    if is_int(thoughts):
        attributes[GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = thoughts
    cached = get(usage, "cached_content_token_count")
    if is_int(cached):
        attributes[GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = cached


def _id_and_model(response: Any, attributes: Attributes) -> None:
    value = getattr(response, "response_id", None)
    if isinstance(value, str):
        attributes[GEN_AI_RESPONSE_ID] = value
    value = getattr(response, "model_version", None)
    if isinstance(value, str):
        attributes[GEN_AI_RESPONSE_MODEL] = value


def function_calls(parts: Any, names: list[str], ids: list[str]) -> None:
    if not isinstance(parts, SEQUENCE):
        return
    for item in parts:
        call = getattr(item, "function_call", None)
        if call is not None:
            names.append(str(getattr(call, "name", "") or ""))
            ids.append(str(getattr(call, "id", "") or ""))


def tool_call_attributes(names: list[str], ids: list[str], attributes: Attributes) -> None:
    if names:
        attributes[LLM_TOOL_CALL_NAMES] = tuple(names)
        attributes[LLM_TOOL_CALL_IDS] = tuple(ids)


def output_message(parts: list[dict[str, Any]], reason: str | None) -> dict[str, Any]:
    """One assistant message of ``gen_ai.output.messages`` with its semconv finish reason."""
    message: dict[str, Any] = {"role": "assistant", "parts": parts}
    if any(p.get("type") == "tool_call" for p in parts) and reason in (None, "stop"):
        message["finish_reason"] = "tool_call"
    elif reason is not None:
        message["finish_reason"] = FINISH_REASONS.get(reason, reason)
    return message


def response_attributes(response: Any, *, capture: bool) -> Attributes:
    """Attributes of a ``GenerateContentResponse``: id, model, finish reasons, usage, tool calls (and content)."""
    attributes: Attributes = {}
    _id_and_model(response, attributes)
    usage_attributes(getattr(response, "usage_metadata", None), attributes)
    candidates = getattr(response, "candidates", None)
    if not isinstance(candidates, SEQUENCE):
        return attributes
    reasons: list[str] = []
    names: list[str] = []
    ids: list[str] = []
    outputs: list[dict[str, Any]] = []
    for candidate in candidates:
        reason = finish_reason(getattr(candidate, "finish_reason", None))
        if reason is not None:
            reasons.append(reason)
        parts = getattr(getattr(candidate, "content", None), "parts", None)
        function_calls(parts, names, ids)
        if capture:
            outputs.append(output_message([part(p) for p in parts] if isinstance(parts, SEQUENCE) else [], reason))
    if reasons:
        attributes[GEN_AI_RESPONSE_FINISH_REASONS] = tuple(reasons)
    tool_call_attributes(names, ids, attributes)
    if capture and outputs:
        attributes[GEN_AI_OUTPUT_MESSAGES] = safe_json_dumps(outputs)
    return attributes


def embed_response_attributes(response: Any) -> Attributes:
    """Attributes of an ``EmbedContentResponse``: vector size and, where the API tells, input tokens."""
    attributes: Attributes = {}
    embeddings = getattr(response, "embeddings", None)
    if isinstance(embeddings, SEQUENCE) and embeddings:
        values = getattr(embeddings[0], "values", None)
        if isinstance(values, SEQUENCE):
            attributes[GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = len(values)
        counts: list[Any] = [getattr(getattr(e, "statistics", None), "token_count", None) for e in embeddings]
        if all(is_number(c) for c in counts):
            attributes[GEN_AI_USAGE_INPUT_TOKENS] = int(sum(float(c) for c in counts))
    usage = getattr(response, "usage_metadata", None)
    prompt = getattr(usage, "prompt_token_count", None)
    if is_int(prompt):
        attributes[GEN_AI_USAGE_INPUT_TOKENS] = prompt
    return attributes


def error_attributes(exc: BaseException) -> Attributes:
    """``agent_trace.error.code`` of a failed call: the API's ``status`` (``RESOURCE_EXHAUSTED``), else its code."""
    status = getattr(exc, "status", None)
    if isinstance(status, str) and status:
        return {ERROR_CODE: status}
    code = getattr(exc, "code", None)
    return {ERROR_CODE: str(code)} if is_int(code) else {}

"""Attribute extractors of the litellm instrumentor: plain functions, no span, no I/O.

litellm speaks the OpenAI chat format for every provider: requests are ``completion(model=..., messages=...)``
keyword arguments, responses are ``ModelResponse`` / ``ModelResponseStream`` objects shaped like OpenAI's. Only
lists and tuples the caller passed are read (a generator is left to litellm). JSON is built only when content
capture is on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.util.types import AttributeValue

from otel_agent_trace._internal.serialize import safe_json_dumps
from otel_agent_trace.instrumentation._genai import SEQUENCE as _SEQUENCE
from otel_agent_trace.instrumentation._genai import (
    ChatChunkCollector,
    chat_content_parts,
    chat_tool_call_parts,
    id_and_model_attributes,
    litellm_provider_name,
    openai_usage_attributes,
    requested_tool_call_attributes,
)
from otel_agent_trace.instrumentation._genai import get as _get
from otel_agent_trace.instrumentation._genai import is_int as _int
from otel_agent_trace.instrumentation._genai import is_number as _number
from otel_agent_trace.instrumentation._genai_request import chat_request_settings
from otel_agent_trace.semconv.agent import AGENT_STEP_ACTION_TYPE
from otel_agent_trace.semconv.error import ERROR_CODE
from otel_agent_trace.semconv.gen_ai import (
    GEN_AI_OPERATION_NAME,
    GEN_AI_OUTPUT_MESSAGES,
    GEN_AI_PROVIDER_NAME,
    GEN_AI_REQUEST_MAX_TOKENS,
    GEN_AI_REQUEST_MODEL,
    GEN_AI_REQUEST_SEED,
    GEN_AI_REQUEST_STOP_SEQUENCES,
    GEN_AI_REQUEST_STREAM,
    GEN_AI_REQUEST_TEMPERATURE,
    GEN_AI_REQUEST_TOP_K,
    GEN_AI_REQUEST_TOP_P,
    GEN_AI_RESPONSE_FINISH_REASONS,
)

Attributes = dict[str, AttributeValue]

CHAT = "chat"
LLM_CALL = "llm_call"
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"


def request_attributes(kwargs: Mapping[str, Any], model: Any, provider: Any, *, stream: bool) -> Attributes:
    """Attributes known before the call. ``model`` and ``provider`` come from litellm's provider resolution."""
    attributes: Attributes = {
        GEN_AI_OPERATION_NAME: CHAT,
        GEN_AI_PROVIDER_NAME: litellm_provider_name(provider),
        AGENT_STEP_ACTION_TYPE: LLM_CALL,
    }
    if stream:  # the convention: set if and only if the request streams
        attributes[GEN_AI_REQUEST_STREAM] = True
    if isinstance(model, str):
        attributes[GEN_AI_REQUEST_MODEL] = model
    value: Any
    for key in ("max_completion_tokens", "max_tokens"):
        value = kwargs.get(key)
        if _int(value):
            attributes[GEN_AI_REQUEST_MAX_TOKENS] = value
            break
    value = kwargs.get("temperature")
    if _number(value):
        attributes[GEN_AI_REQUEST_TEMPERATURE] = float(value)
    value = kwargs.get("top_p")
    if _number(value):
        attributes[GEN_AI_REQUEST_TOP_P] = float(value)
    value = kwargs.get("top_k")
    if _int(value):
        attributes[GEN_AI_REQUEST_TOP_K] = value
    value = kwargs.get("seed")
    if _int(value):
        attributes[GEN_AI_REQUEST_SEED] = value
    value = kwargs.get("stop")
    if isinstance(value, str):
        attributes[GEN_AI_REQUEST_STOP_SEQUENCES] = (value,)
    elif isinstance(value, _SEQUENCE) and all(isinstance(item, str) for item in value):
        attributes[GEN_AI_REQUEST_STOP_SEQUENCES] = tuple(value)
    chat_request_settings(kwargs, attributes)
    return attributes


# --- content (only called when content capture is on) ---------------------------------------------------------


# --- responses ----------------------------------------------------------------------------------------------------


def response_attributes(response: Any, *, capture: bool) -> Attributes:
    """Attributes of a ``ModelResponse``: id, model, finish reasons, usage, requested tool calls (and content)."""
    attributes: Attributes = {}
    id_and_model_attributes(response, attributes)
    reasons: list[str] = []
    ids: list[str] = []
    names: list[str] = []
    output: list[dict[str, Any]] = []
    for choice in getattr(response, "choices", None) or ():
        reason = getattr(choice, "finish_reason", None)
        reasons.append(reason if isinstance(reason, str) else "")
        message = getattr(choice, "message", None)
        tool_calls = getattr(message, "tool_calls", None)
        for call in tool_calls or ():
            ids.append(str(_get(call, "id")))
            names.append(str(_get(_get(call, "function"), "name")))
        if capture:
            parts = chat_content_parts(getattr(message, "content", None))
            parts.extend(chat_tool_call_parts(list(tool_calls or ())))
            output.append(
                {"role": getattr(message, "role", None) or "assistant", "parts": parts, "finish_reason": reason}
            )
    if reasons:
        attributes[GEN_AI_RESPONSE_FINISH_REASONS] = tuple(reasons)
    requested_tool_call_attributes(ids, names, attributes)
    openai_usage_attributes(getattr(response, "usage", None), attributes)
    if capture:
        attributes[GEN_AI_OUTPUT_MESSAGES] = safe_json_dumps(output)
    return attributes


def error_code(exc: BaseException) -> str | None:
    """Provider error code of a litellm exception (``code`` / body ``error.type``), else its HTTP status."""
    code = getattr(exc, "code", None)
    if isinstance(code, str) and code and not code.isdigit():
        return code
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping):
        error = body.get("error", body)
        if isinstance(error, Mapping):
            for key in ("code", "type"):
                if isinstance(error.get(key), str) and error[key]:
                    return str(error[key])
    status = getattr(exc, "status_code", None)
    if _int(status):
        return str(status)
    return code if isinstance(code, str) and code else None


def error_attributes(exc: BaseException) -> Attributes:
    """``agent_trace.error.code`` of a failed call, when the exception tells one."""
    code = error_code(exc)
    return {ERROR_CODE: code} if code else {}


class StreamAccumulator:
    """Collects what the ``ModelResponseStream`` chunks of a litellm stream tell (they are OpenAI-shaped)."""

    __slots__ = ("capture", "chunks")

    def __init__(self, capture: bool) -> None:
        self.capture = capture
        self.chunks = ChatChunkCollector(capture)

    def observe(self, chunk: Any) -> None:
        """Take in one chunk."""
        self.chunks.observe(chunk)

    def attributes(self) -> Attributes:
        """The response attributes of what has been seen so far."""
        chunks = self.chunks
        attributes: Attributes = {}
        chunks.response_attributes(attributes)
        openai_usage_attributes(chunks.usage, attributes)
        if self.capture and chunks.choices:
            attributes[GEN_AI_OUTPUT_MESSAGES] = safe_json_dumps(chunks.output_messages())
        return attributes

"""Attribute extractors for LangChain callback payloads: no spans, no I/O, values already JSON-safe."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeGuard

from opentelemetry.util.types import AttributeValue

from otel_agent_trace._internal.serialize import safe_json_dumps, to_jsonable
from otel_agent_trace.instrumentation._genai import text_part as _text_part
from otel_agent_trace.instrumentation._genai import tool_call_part
from otel_agent_trace.instrumentation._llm import sdk_span_expected
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import gen_ai as G

Attributes = dict[str, AttributeValue]

_PROVIDERS = {
    "openai": "openai",
    "azure": "azure.ai.openai",
    "azure_openai": "azure.ai.openai",
    "anthropic": "anthropic",
    "bedrock": "aws.bedrock",
    "amazon_bedrock": "aws.bedrock",
    "bedrock_converse": "aws.bedrock",
    "google_vertexai": "gcp.vertex_ai",
    "vertexai": "gcp.vertex_ai",
    "google_genai": "gcp.gemini",
    "google_anthropic_vertex": "gcp.vertex_ai",
    "mistral": "mistral_ai",
    "mistralai": "mistral_ai",
    "groq": "groq",
    "cohere": "cohere",
    "deepseek": "deepseek",
    "xai": "x_ai",
    "perplexity": "perplexity",
    "ibm": "ibm.watsonx.ai",
}
"""LangChain ``ls_provider`` -> ``gen_ai.provider.name``; anything else is passed through as given."""

_SDK_OF_PROVIDER = {
    "openai": ("openai", True),
    "azure": ("openai", True),
    "azure_openai": ("openai", True),
    "deepseek": ("openai", True),
    "xai": ("openai", True),
    "anthropic": ("anthropic", False),
    "google_genai": ("google-genai", False),  # langchain-google-genai >= 3 calls google-genai's generate_content
    "amazon_bedrock": ("bedrock", False),  # langchain-aws ChatBedrock / ChatBedrockConverse call boto3
}
"""LangChain ``ls_provider`` -> (the SDK the integration calls, whether it reads raw responses: ``langchain-openai``
calls ``with_raw_response.create``)."""

_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool", "function": "tool", "chat": "user"}


def provider_name(metadata: Mapping[str, Any] | None, serialized: Mapping[str, Any] | None) -> str:
    """``gen_ai.provider.name`` from the ``ls_provider`` metadata, else from the model class, else ``langchain``."""
    raw = (metadata or {}).get("ls_provider")
    if isinstance(raw, str) and raw:
        return _PROVIDERS.get(raw, raw)
    ident = (serialized or {}).get("id")
    if isinstance(ident, list) and ident:
        for part in ident:
            if isinstance(part, str) and part.startswith("langchain_") and part != "langchain_core":
                return _PROVIDERS.get(part[len("langchain_") :], part[len("langchain_") :])
    return "langchain"


def provider_span_expected(metadata: Mapping[str, Any] | None) -> bool:
    """Whether one of our provider SDK instrumentors will record this LLM call (and its usage) itself."""
    raw = (metadata or {}).get("ls_provider")
    target = _SDK_OF_PROVIDER.get(raw) if isinstance(raw, str) else None
    return target is not None and sdk_span_expected(target[0], raw_responses=target[1])


def _number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def request_model(metadata: Mapping[str, Any] | None, params: Mapping[str, Any] | None) -> str | None:
    """The model asked for: ``ls_model_name`` metadata, else the usual invocation-parameter names."""
    model = (metadata or {}).get("ls_model_name")
    if isinstance(model, str) and model:
        return model
    for key in ("model", "model_name", "model_id", "deployment_name"):
        value = (params or {}).get(key)
        if isinstance(value, str) and value:
            return value
    return None


def request_attributes(metadata: Mapping[str, Any] | None, params: Mapping[str, Any] | None, attrs: Attributes) -> None:
    """Sampling settings of an LLM request."""
    md = metadata or {}
    pr = params or {}
    temperature = md.get("ls_temperature", pr.get("temperature"))
    if _number(temperature):
        attrs[G.GEN_AI_REQUEST_TEMPERATURE] = float(temperature)
    max_tokens = md.get("ls_max_tokens", pr.get("max_tokens", pr.get("max_completion_tokens")))
    if _number(max_tokens):
        attrs[G.GEN_AI_REQUEST_MAX_TOKENS] = int(max_tokens)
    top_p = pr.get("top_p")
    if _number(top_p):
        attrs[G.GEN_AI_REQUEST_TOP_P] = float(top_p)
    top_k = pr.get("top_k")
    if _number(top_k):
        attrs[G.GEN_AI_REQUEST_TOP_K] = int(top_k)
    seed = pr.get("seed")
    if _number(seed):
        attrs[G.GEN_AI_REQUEST_SEED] = int(seed)
    stop = md.get("ls_stop", pr.get("stop"))
    if isinstance(stop, str):
        attrs[G.GEN_AI_REQUEST_STOP_SEQUENCES] = [stop]
    elif isinstance(stop, (list, tuple)) and stop and all(isinstance(s, str) for s in stop):
        attrs[G.GEN_AI_REQUEST_STOP_SEQUENCES] = list(stop)
    if pr.get("stream") is True or pr.get("streaming") is True:
        attrs[G.GEN_AI_REQUEST_STREAM] = True


def _content_parts(content: Any) -> list[dict[str, Any]]:
    if content is None or content == "":
        return []
    if isinstance(content, str):
        return [_text_part(content)]
    parts: list[dict[str, Any]] = []
    if isinstance(content, Iterable):
        for item in content:
            if isinstance(item, str):
                parts.append(_text_part(item))
                continue
            kind = item.get("type") if isinstance(item, Mapping) else None
            if kind == "text" and isinstance(item, Mapping):
                parts.append(_text_part(item.get("text")))
            elif kind in ("tool_use", "tool_call", "function_call"):
                continue  # the message's tool_calls carry them
            else:
                parts.append({"type": str(kind), "content": to_jsonable(item)})
    return parts


def message_json(message: Any) -> dict[str, Any]:
    """One LangChain message in the GenAI semconv message shape (``role`` and ``parts``)."""
    kind = getattr(message, "type", None)
    role = getattr(message, "role", None) if kind == "chat" else None
    role = role or _ROLES.get(str(kind), str(kind))
    if kind == "tool":
        return {
            "role": "tool",
            "parts": [
                {
                    "type": "tool_call_response",
                    "id": getattr(message, "tool_call_id", None),
                    "response": to_jsonable(getattr(message, "content", None)),
                }
            ],
        }
    parts = _content_parts(getattr(message, "content", None))
    for call in getattr(message, "tool_calls", None) or ():
        if isinstance(call, Mapping):
            parts.append(tool_call_part(call.get("id"), call.get("name"), call.get("args")))
    return {"role": role, "parts": parts}


def input_messages_attributes(messages: Sequence[Any], attrs: Attributes) -> None:
    """``gen_ai.system_instructions`` and ``gen_ai.input.messages`` (content capture only)."""
    system: list[dict[str, Any]] = []
    chat: list[dict[str, Any]] = []
    for message in messages:
        if getattr(message, "type", None) == "system":
            system.extend(_content_parts(getattr(message, "content", None)))
        else:
            chat.append(message_json(message))
    if system:
        attrs[G.GEN_AI_SYSTEM_INSTRUCTIONS] = safe_json_dumps(system)
    attrs[G.GEN_AI_INPUT_MESSAGES] = safe_json_dumps(chat)


def prompts_attributes(prompts: Sequence[str], attrs: Attributes) -> None:
    """``gen_ai.input.messages`` of a completion-style LLM call (content capture only)."""
    attrs[G.GEN_AI_INPUT_MESSAGES] = safe_json_dumps([{"role": "user", "parts": [_text_part(p)]} for p in prompts])


def _int(value: Any) -> int | None:
    return int(value) if _number(value) else None


def _usage_from_message(message: Any) -> tuple[int | None, int | None, int | None, int | None]:
    usage = getattr(message, "usage_metadata", None)
    if not isinstance(usage, Mapping):
        return None, None, None, None
    details = usage.get("input_token_details") or {}
    return (
        _int(usage.get("input_tokens")),
        _int(usage.get("output_tokens")),
        _int(details.get("cache_read")) if isinstance(details, Mapping) else None,
        _int(details.get("cache_creation")) if isinstance(details, Mapping) else None,
    )


def _usage_from_llm_output(llm_output: Any) -> tuple[int | None, int | None]:
    if not isinstance(llm_output, Mapping):
        return None, None
    usage = llm_output.get("token_usage") or llm_output.get("usage")
    if not isinstance(usage, Mapping):
        return None, None
    inp = usage.get("prompt_tokens", usage.get("input_tokens"))
    out = usage.get("completion_tokens", usage.get("output_tokens"))
    return _int(inp), _int(out)


def response_attributes(response: Any, attrs: Attributes, *, usage: bool, capture: bool) -> None:
    """Response id/model, finish reasons, requested tool calls, token usage (when ``usage``), output messages."""
    generations = getattr(response, "generations", None) or []
    flat = [g for batch in generations for g in (batch or ())]
    finish: list[str] = []
    names: list[str] = []
    ids: list[str] = []
    outputs: list[dict[str, Any]] = []
    totals = [0, 0, 0, 0]
    seen = [False, False, False, False]
    for gen in flat:
        message = getattr(gen, "message", None)
        info = getattr(gen, "generation_info", None) or {}
        meta = getattr(message, "response_metadata", None) or {}
        reason = meta.get("finish_reason") or meta.get("stop_reason") or info.get("finish_reason")
        if isinstance(reason, str):
            finish.append(reason)
        if G.GEN_AI_RESPONSE_ID not in attrs and isinstance(meta.get("id"), str):
            attrs[G.GEN_AI_RESPONSE_ID] = meta["id"]
        model = meta.get("model_name") or meta.get("model")
        if G.GEN_AI_RESPONSE_MODEL not in attrs and isinstance(model, str):
            attrs[G.GEN_AI_RESPONSE_MODEL] = model
        for call in getattr(message, "tool_calls", None) or ():
            if isinstance(call, Mapping):
                names.append(str(call.get("name")))
                ids.append(str(call.get("id")))
        for i, value in enumerate(_usage_from_message(message)):
            if value is not None:
                totals[i] += value
                seen[i] = True
        if capture:
            if message is not None:
                out = message_json(message)
                out["role"] = "assistant"
            else:
                out = {"role": "assistant", "parts": [_text_part(getattr(gen, "text", None))]}
            if isinstance(reason, str):
                out["finish_reason"] = reason
            outputs.append(out)
    if finish:
        attrs[G.GEN_AI_RESPONSE_FINISH_REASONS] = finish
    if names:
        attrs[A.LLM_TOOL_CALL_NAMES] = names
        attrs[A.LLM_TOOL_CALL_IDS] = ids
    llm_output = getattr(response, "llm_output", None)
    if G.GEN_AI_RESPONSE_MODEL not in attrs and isinstance(llm_output, Mapping):
        model = llm_output.get("model_name") or llm_output.get("model")
        if isinstance(model, str):
            attrs[G.GEN_AI_RESPONSE_MODEL] = model
    if usage:
        if not seen[0] and not seen[1]:
            inp, out_tokens = _usage_from_llm_output(llm_output)
            if inp is not None:
                totals[0], seen[0] = inp, True
            if out_tokens is not None:
                totals[1], seen[1] = out_tokens, True
        keys = (
            G.GEN_AI_USAGE_INPUT_TOKENS,
            G.GEN_AI_USAGE_OUTPUT_TOKENS,
            G.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
            G.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
        )
        for key, total, present in zip(keys, totals, seen, strict=True):
            if present:
                attrs[key] = total
    if capture and outputs:
        attrs[G.GEN_AI_OUTPUT_MESSAGES] = safe_json_dumps(outputs)


def tool_result(output: Any) -> Any:
    """What a tool returned: a ``ToolMessage``'s content, else the value."""
    if getattr(output, "type", None) == "tool" and hasattr(output, "content"):
        return output.content
    return output


def documents_json(documents: Any) -> str:
    """Retrieved documents as JSON (content capture only)."""
    docs = [
        {"content": getattr(d, "page_content", None), "metadata": to_jsonable(getattr(d, "metadata", None))}
        for d in documents or ()
    ]
    return safe_json_dumps(docs)


def state_diff(before: Any, update: Any) -> dict[str, list[str]] | None:
    """Keys a node's update adds, changes or removes (set to ``None``) relative to the state it received."""
    if not isinstance(update, Mapping):
        return None
    prior = before if isinstance(before, Mapping) else {}
    added: list[str] = []
    changed: list[str] = []
    removed: list[str] = []
    for key, value in update.items():
        name = str(key)
        if key not in prior or prior.get(key) is None:
            if value is not None:
                added.append(name)
        elif value is None:
            removed.append(name)
        else:
            try:
                same = bool(prior[key] == value)
            except Exception:  # noqa: BLE001 - a user's __eq__ may fail; count as changed
                same = False
            if not same:
                changed.append(name)
    return {"added": added, "changed": changed, "removed": removed}

"""Attribute extractors for LlamaIndex objects (LLMs, messages, responses, tools, nodes): no spans, no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from otel_agent_trace._internal.serialize import safe_json_dumps, to_jsonable
from otel_agent_trace.instrumentation._genai import (
    SEQUENCE,
    chat_tool_call_parts,
    get,
    is_int,
    is_number,
    text_part,
    tool_call_part,
)
from otel_agent_trace.instrumentation._llm import sdk_span_expected
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import gen_ai as G

_PROVIDERS = {
    "openai": "openai",
    "openai_like": "openai",
    "azure_openai": "azure.ai.openai",
    "anthropic": "anthropic",
    "bedrock": "aws.bedrock",
    "bedrock_converse": "aws.bedrock",
    "vertex": "gcp.vertex_ai",
    "google_genai": "gcp.gemini",
    "gemini": "gcp.gemini",
    "mistralai": "mistral_ai",
    "groq": "groq",
    "cohere": "cohere",
    "deepseek": "deepseek",
    "perplexity": "perplexity",
    "ibm": "ibm.watsonx.ai",
    "ollama": "ollama",
}
"""The ``llama_index.llms.<name>`` (or ``llama_index.embeddings.<name>``) integration -> ``gen_ai.provider.name``."""

_SDK_OF_INTEGRATION = {
    "openai": "openai",
    "openai_like": "openai",
    "azure_openai": "openai",
    "deepseek": "openai",
    "anthropic": "anthropic",
    "google_genai": "google-genai",
    "bedrock": "bedrock",
    "bedrock_converse": "bedrock",
}
"""Integrations that call an SDK one of our instrumentors records (they call ``create``, not raw responses)."""

_REQUEST_FIELDS = (
    ("temperature", G.GEN_AI_REQUEST_TEMPERATURE),
    ("max_tokens", G.GEN_AI_REQUEST_MAX_TOKENS),
    ("top_p", G.GEN_AI_REQUEST_TOP_P),
    ("top_k", G.GEN_AI_REQUEST_TOP_K),
)

_TEXT_BLOCKS = frozenset({"text"})


def integration(instance: Any) -> str | None:
    """The integration package of an LLM or embedding (``openai`` for ``llama_index.llms.openai.base``)."""
    module = type(instance).__module__
    for prefix in ("llama_index.llms.", "llama_index.embeddings."):
        if module.startswith(prefix):
            return module[len(prefix) :].split(".", 1)[0]
    return None


def provider_name(instance: Any) -> str:
    """``gen_ai.provider.name`` from the integration package, else ``llama_index``."""
    name = integration(instance)
    if name is None:
        return "llama_index"
    return _PROVIDERS.get(name, name)


def provider_span_expected(instance: Any) -> bool:
    """Whether one of our provider SDK instrumentors records this LLM call (and its usage) under our span."""
    name = integration(instance)
    return sdk_span_expected(_SDK_OF_INTEGRATION.get(name) if name is not None else None)


def model_name(instance: Any) -> str | None:
    """The model an LLM or embedding asks for (its ``metadata.model_name`` or ``model_name``/``model`` field)."""
    metadata = getattr(instance, "metadata", None)
    for value in (getattr(metadata, "model_name", None), getattr(instance, "model_name", None)):
        if isinstance(value, str) and value and value != "unknown":
            return value
    value = getattr(instance, "model", None)
    return value if isinstance(value, str) and value else None


def llm_request_attributes(instance: Any, attrs: dict[str, Any]) -> None:
    """Sampling parameters set on the LLM object (temperature, max_tokens, top_p, top_k)."""
    for field, key in _REQUEST_FIELDS:
        value = getattr(instance, field, None)
        if is_number(value):
            attrs[key] = value


def _role(message: Any) -> str:
    role = get(message, "role")
    value = getattr(role, "value", role)
    return str(value) if value is not None else "user"


def _message_parts(message: Any) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    blocks = get(message, "blocks")
    if isinstance(blocks, SEQUENCE) and blocks:
        for block in blocks:
            kind = get(block, "block_type")
            if kind in _TEXT_BLOCKS:
                parts.append(text_part(get(block, "text")))
            elif kind == "tool_call":
                parts.append(
                    tool_call_part(get(block, "tool_call_id"), get(block, "tool_name"), get(block, "tool_kwargs"))
                )
            elif kind == "thinking":
                parts.append({"type": "reasoning", "content": get(block, "content")})
            else:
                parts.append({"type": str(kind)})
    else:
        content = get(message, "content")
        if content is not None:
            parts.append(text_part(str(content)))
    extra = get(message, "additional_kwargs")
    if isinstance(extra, Mapping):
        parts.extend(chat_tool_call_parts(extra.get("tool_calls")))
    return parts


def chat_message(message: Any) -> dict[str, Any]:
    """A LlamaIndex ``ChatMessage`` as a GenAI message (``tool`` messages as a ``tool_call_response``)."""
    role = _role(message)
    if role == "tool":
        extra = get(message, "additional_kwargs")
        call_id = extra.get("tool_call_id") if isinstance(extra, Mapping) else None
        response = to_jsonable(get(message, "content"))
        return {"role": "tool", "parts": [{"type": "tool_call_response", "id": call_id, "response": response}]}
    return {"role": role, "parts": _message_parts(message)}


def input_messages_json(arguments: Mapping[str, Any]) -> str | None:
    """``gen_ai.input.messages`` from a chat call's ``messages`` or a completion call's ``prompt``."""
    messages = arguments.get("messages")
    if isinstance(messages, SEQUENCE):
        return safe_json_dumps([chat_message(m) for m in messages])
    prompt = arguments.get("prompt")
    if prompt is None:
        args = arguments.get("args")
        prompt = args[0] if isinstance(args, SEQUENCE) and args else None
    if isinstance(prompt, str):
        return safe_json_dumps([{"role": "user", "parts": [text_part(prompt)]}])
    return None


def _usage_attributes(response: Any, attrs: dict[str, Any]) -> None:
    raw = get(response, "raw")
    usage = get(raw, "usage") if raw is not None else None
    extra = get(response, "additional_kwargs")
    sources = [s for s in (usage, extra if isinstance(extra, Mapping) else None) if s is not None]
    for source in sources:
        inp = get(source, "prompt_tokens")
        if inp is None:
            inp = get(source, "input_tokens")
        out = get(source, "completion_tokens")
        if out is None:
            out = get(source, "output_tokens")
        if is_int(inp) or is_int(out):
            if is_int(inp):
                attrs[G.GEN_AI_USAGE_INPUT_TOKENS] = inp
            if is_int(out):
                attrs[G.GEN_AI_USAGE_OUTPUT_TOKENS] = out
            return


def _finish_reasons(raw: Any) -> list[str]:
    reasons: list[str] = []
    choices = get(raw, "choices")
    if isinstance(choices, SEQUENCE):
        for choice in choices:
            reason = get(choice, "finish_reason")
            if isinstance(reason, str):
                reasons.append(reason)
    for key in ("stop_reason", "finish_reason"):
        reason = get(raw, key)
        if isinstance(reason, str):
            reasons.append(reason)
    return reasons


def _tool_calls(message: Any) -> list[tuple[Any, Any]]:
    """(id, name) of the tool calls an assistant message asks for."""
    calls: list[tuple[Any, Any]] = []
    blocks = get(message, "blocks")
    if isinstance(blocks, SEQUENCE):
        for block in blocks:
            if get(block, "block_type") == "tool_call":
                calls.append((get(block, "tool_call_id"), get(block, "tool_name")))
    extra = get(message, "additional_kwargs")
    if isinstance(extra, Mapping) and isinstance(extra.get("tool_calls"), SEQUENCE):
        for call in extra["tool_calls"]:
            calls.append((get(call, "id"), get(get(call, "function"), "name")))
    return calls


def response_attributes(response: Any, attrs: dict[str, Any], *, usage: bool, capture: bool) -> None:
    """Response id/model, finish reasons, tool calls asked for, usage (unless a provider span has it), output."""
    raw = get(response, "raw")
    if raw is not None:
        response_id = get(raw, "id")
        if isinstance(response_id, str) and response_id:
            attrs[G.GEN_AI_RESPONSE_ID] = response_id
        response_model = get(raw, "model")
        if isinstance(response_model, str) and response_model:
            attrs[G.GEN_AI_RESPONSE_MODEL] = response_model
        reasons = _finish_reasons(raw)
        if reasons:
            attrs[G.GEN_AI_RESPONSE_FINISH_REASONS] = reasons
    if usage:
        _usage_attributes(response, attrs)
    message = get(response, "message")
    calls = _tool_calls(message) if message is not None else []
    names = [str(name) for _, name in calls if name is not None]
    if names:
        attrs[A.LLM_TOOL_CALL_NAMES] = names
        ids = [str(call_id) for call_id, _ in calls if call_id is not None]
        if ids:
            attrs[A.LLM_TOOL_CALL_IDS] = ids
        attrs.setdefault(G.GEN_AI_RESPONSE_FINISH_REASONS, ["tool_calls"])
    if capture:
        if message is not None:
            output = chat_message(message)
        else:
            output = {"role": "assistant", "parts": [text_part(get(response, "text"))]}
        attrs[G.GEN_AI_OUTPUT_MESSAGES] = safe_json_dumps([output])


def tool_arguments(arguments: Mapping[str, Any]) -> Any:
    """A tool call's arguments as the tool got them (``kwargs``, plus positional ``args`` if any)."""
    kwargs = arguments.get("kwargs")
    args = arguments.get("args")
    if args:
        return {"args": args, "kwargs": kwargs or {}}
    return kwargs if kwargs is not None else {}


def tool_result(output: Any) -> Any:
    """A ``ToolOutput``'s raw output (else its text, else the value itself)."""
    if output is None:
        return None
    raw = getattr(output, "raw_output", None)
    if raw is not None:
        return raw
    content = getattr(output, "content", None)
    return content if content is not None else output


def query_text(arguments: Mapping[str, Any]) -> str | None:
    """The query of a retriever or query engine call (a string or a ``QueryBundle``)."""
    query = arguments.get("str_or_query_bundle")
    if query is None:
        query = arguments.get("query_bundle")
    if isinstance(query, str):
        return query
    text = getattr(query, "query_str", None)
    return text if isinstance(text, str) else None


def nodes_json(nodes: Any) -> str:
    """Retrieved ``NodeWithScore``s as JSON (id, score, text)."""
    docs: list[dict[str, Any]] = []
    if isinstance(nodes, Sequence):
        for item in nodes:
            node = getattr(item, "node", item)
            text = getattr(node, "text", None)
            docs.append({"id": getattr(node, "node_id", None), "score": getattr(item, "score", None), "content": text})
    return safe_json_dumps(docs)

"""Attributes of the Agents SDK's span data, per span type. No span, no I/O: plain values in, pairs out."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from opentelemetry.util.types import AttributeValue

from otel_agent_trace._internal.serialize import safe_json_dumps
from otel_agent_trace.instrumentation._genai import (
    SEQUENCE,
    chat_content_parts,
    chat_input_message,
    chat_tool_call_parts,
    get,
    responses_input_messages,
    responses_output_parts,
    text_part,
)
from otel_agent_trace.instrumentation._genai_request import responses_tool_definition, tool_definitions_json
from otel_agent_trace.semconv.agent import (
    AGENT_HANDOFFS,
    AGENT_STEP_ACTION_TYPE,
    AGENT_STEP_OUTPUT,
    AGENT_TOOLS,
    HANDOFF_FROM_AGENT,
    HANDOFF_TO_AGENT,
    LLM_TOOL_CALL_IDS,
    LLM_TOOL_CALL_NAMES,
    AgentStepActionTypeValues,
)
from otel_agent_trace.semconv.decision import DECISION_CHOSEN, DECISION_NAME, DECISION_OPTIONS
from otel_agent_trace.semconv.gen_ai import (
    GEN_AI_AGENT_NAME,
    GEN_AI_INPUT_MESSAGES,
    GEN_AI_OPERATION_NAME,
    GEN_AI_OUTPUT_MESSAGES,
    GEN_AI_PROVIDER_NAME,
    GEN_AI_REQUEST_MAX_TOKENS,
    GEN_AI_REQUEST_MODEL,
    GEN_AI_REQUEST_STREAM,
    GEN_AI_REQUEST_TEMPERATURE,
    GEN_AI_REQUEST_TOP_P,
    GEN_AI_RESPONSE_FINISH_REASONS,
    GEN_AI_RESPONSE_ID,
    GEN_AI_RESPONSE_MODEL,
    GEN_AI_SYSTEM_INSTRUCTIONS,
    GEN_AI_TOOL_CALL_ARGUMENTS,
    GEN_AI_TOOL_CALL_RESULT,
    GEN_AI_TOOL_DEFINITIONS,
    GEN_AI_TOOL_NAME,
    GEN_AI_TOOL_TYPE,
    GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    GEN_AI_USAGE_INPUT_TOKENS,
    GEN_AI_USAGE_OUTPUT_TOKENS,
    OPENAI_API_TYPE,
    OPENAI_RESPONSE_SERVICE_TIER,
    GenAiOperationNameValues,
    GenAiToolTypeValues,
    OpenaiApiTypeValues,
)
from otel_agent_trace.semconv.mcp import MCP_METHOD_NAME, McpMethodNameValues

Pairs = Iterator[tuple[str, AttributeValue]]

PROVIDER = "openai"
TRIGGERED = "triggered"
NOT_TRIGGERED = "not_triggered"

INVOKE_AGENT = GenAiOperationNameValues.INVOKE_AGENT.value
EXECUTE_TOOL = GenAiOperationNameValues.EXECUTE_TOOL.value
CHAT = GenAiOperationNameValues.CHAT.value
INVOKE_WORKFLOW = GenAiOperationNameValues.INVOKE_WORKFLOW.value

TRANSPARENT = frozenset({"task", "turn"})
"""SDK span types we do not emit: their children hang on their nearest emitted ancestor."""


def _strings(values: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in values or ())


def span_name(kind: str, data: Any) -> str:
    """Low-cardinality span name of an SDK span at its start (some are renamed at the end)."""
    if kind == "agent":
        return f"{INVOKE_AGENT} {data.name}"
    if kind == "function":
        return f"{EXECUTE_TOOL} {data.name}"
    if kind == "generation":
        return f"{CHAT} {data.model}" if data.model else CHAT
    if kind == "response":
        return CHAT
    if kind == "guardrail":
        return f"decision {data.name}"
    if kind == "custom":
        return str(data.name)
    if kind == "mcp_tools":
        return f"list_tools {data.server}" if getattr(data, "server", None) else "list_tools"
    return kind


def start_attributes(kind: str, data: Any) -> Pairs:
    """Attributes known when an SDK span starts."""
    if kind == "agent":
        yield GEN_AI_OPERATION_NAME, INVOKE_AGENT
        yield GEN_AI_PROVIDER_NAME, PROVIDER  # required on invoke_agent; the SDK's models are OpenAI's by default
        yield GEN_AI_AGENT_NAME, str(data.name)
    elif kind == "function":
        yield GEN_AI_OPERATION_NAME, EXECUTE_TOOL
        yield GEN_AI_TOOL_NAME, str(data.name)
        tool_type = GenAiToolTypeValues.EXTENSION if data.mcp_data else GenAiToolTypeValues.FUNCTION
        yield GEN_AI_TOOL_TYPE, tool_type.value
        yield AGENT_STEP_ACTION_TYPE, AgentStepActionTypeValues.TOOL_CALL.value
    elif kind in ("generation", "response"):
        yield GEN_AI_OPERATION_NAME, CHAT
        yield GEN_AI_PROVIDER_NAME, PROVIDER
        api = OpenaiApiTypeValues.RESPONSES if kind == "response" else OpenaiApiTypeValues.CHAT_COMPLETIONS
        yield OPENAI_API_TYPE, api.value
        yield AGENT_STEP_ACTION_TYPE, AgentStepActionTypeValues.LLM_CALL.value
        if kind == "generation" and data.model:
            yield GEN_AI_REQUEST_MODEL, str(data.model)
    elif kind == "handoff":
        yield AGENT_STEP_ACTION_TYPE, AgentStepActionTypeValues.HANDOFF.value
        if data.from_agent:
            yield HANDOFF_FROM_AGENT, str(data.from_agent)
    elif kind == "guardrail":
        yield AGENT_STEP_ACTION_TYPE, AgentStepActionTypeValues.DECISION.value
        yield DECISION_NAME, str(data.name)
        yield DECISION_OPTIONS, (TRIGGERED, NOT_TRIGGERED)
    elif kind == "mcp_tools":
        yield MCP_METHOD_NAME, McpMethodNameValues.TOOLS_LIST.value
    else:
        yield AGENT_STEP_ACTION_TYPE, AgentStepActionTypeValues.OTHER.value


def end_attributes(kind: str, data: Any, capture: bool) -> Pairs:
    """Attributes known when an SDK span ends."""
    if kind == "agent":
        if data.tools:
            yield AGENT_TOOLS, _strings(data.tools)
        if data.handoffs:
            yield AGENT_HANDOFFS, _strings(data.handoffs)
    elif kind == "function":
        if capture:
            if data.input is not None:
                yield GEN_AI_TOOL_CALL_ARGUMENTS, safe_json_dumps(data.input)
            if data.output is not None:
                yield GEN_AI_TOOL_CALL_RESULT, safe_json_dumps(data.output)
    elif kind == "response":
        yield from _response_attributes(data, capture)
    elif kind == "generation":
        yield from _generation_attributes(data, capture)
    elif kind == "handoff":
        if data.to_agent:
            yield HANDOFF_TO_AGENT, str(data.to_agent)
    elif kind == "guardrail":
        yield DECISION_CHOSEN, TRIGGERED if data.triggered else NOT_TRIGGERED
    elif kind == "mcp_tools":
        if data.result:
            yield AGENT_TOOLS, _strings(data.result)
    elif kind == "custom" and capture:
        yield AGENT_STEP_OUTPUT, safe_json_dumps(data.data)


def _field(value: Any, key: str) -> Any:
    """``value[key]`` of a mapping, ``value.key`` of an object, ``None`` if absent."""
    return value.get(key) if isinstance(value, Mapping) else getattr(value, key, None)


def _usage(usage: Any) -> Pairs:
    """Token counts of the SDK's usage dict or of an OpenAI usage object."""
    for key, attr in (("input_tokens", GEN_AI_USAGE_INPUT_TOKENS), ("output_tokens", GEN_AI_USAGE_OUTPUT_TOKENS)):
        value = _field(usage, key)
        if isinstance(value, int):
            yield attr, value
    details = _field(usage, "input_tokens_details")
    cached = _field(details, "cached_tokens")
    if isinstance(cached, int) and cached:
        yield GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, cached


def _finish_reason(response: Any, has_tool_calls: bool) -> str:
    status = getattr(response, "status", None)
    if status == "completed":
        return "tool_calls" if has_tool_calls else "stop"
    if status == "incomplete":
        reason = getattr(getattr(response, "incomplete_details", None), "reason", None)
        return "length" if reason == "max_output_tokens" else str(reason or status)
    return str(status or "")


def _response_attributes(data: Any, capture: bool) -> Pairs:
    response = data.response
    if response is not None:
        model = getattr(response, "model", None)
        if isinstance(model, str):
            yield GEN_AI_RESPONSE_MODEL, model
        rid = getattr(response, "id", None)
        if isinstance(rid, str):
            yield GEN_AI_RESPONSE_ID, rid
        tier = getattr(response, "service_tier", None)
        if isinstance(tier, str) and tier:
            yield OPENAI_RESPONSE_SERVICE_TIER, tier
        names: list[str] = []
        ids: list[str] = []
        for item in getattr(response, "output", None) or ():
            if getattr(item, "type", None) == "function_call":
                names.append(str(item.name))
                ids.append(str(item.call_id))
        reason = _finish_reason(response, bool(names))
        yield GEN_AI_RESPONSE_FINISH_REASONS, (reason,)
        if names:
            yield LLM_TOOL_CALL_NAMES, tuple(names)
            yield LLM_TOOL_CALL_IDS, tuple(ids)
        if capture:
            yield from _response_content(response, reason)
    usage = data.usage if data.usage is not None else getattr(response, "usage", None)
    if usage is not None:
        yield from _usage(usage)
    if capture and data.input is not None:
        yield GEN_AI_INPUT_MESSAGES, safe_json_dumps(responses_input_messages(data.input, keep_ids=True))


def _response_content(response: Any, reason: str) -> Pairs:
    """The output of a ``Response`` as GenAI output messages."""
    parts = responses_output_parts(getattr(response, "output", None), keep_ids=True)  # item ids link calls
    yield GEN_AI_OUTPUT_MESSAGES, safe_json_dumps([{"role": "assistant", "parts": parts, "finish_reason": reason}])


def request_attributes(kwargs: Any, capture: bool = False) -> Pairs:
    """The requested model and sampling parameters of the Responses API request the SDK built.

    With content capture, its instructions and tool definitions too.
    """
    if not isinstance(kwargs, Mapping):
        return
    if capture:
        instructions = kwargs.get("instructions")
        if isinstance(instructions, str) and instructions:
            yield GEN_AI_SYSTEM_INSTRUCTIONS, safe_json_dumps([text_part(instructions)])
        definitions = tool_definitions_json(kwargs.get("tools"), responses_tool_definition)
        if definitions is not None:
            yield GEN_AI_TOOL_DEFINITIONS, definitions
    model = kwargs.get("model")
    if isinstance(model, str) and model:
        yield GEN_AI_REQUEST_MODEL, model
    for key, attr in (
        ("temperature", GEN_AI_REQUEST_TEMPERATURE),
        ("top_p", GEN_AI_REQUEST_TOP_P),
        ("max_output_tokens", GEN_AI_REQUEST_MAX_TOKENS),
    ):
        value = kwargs.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            yield attr, value
    if kwargs.get("stream") is True:
        yield GEN_AI_REQUEST_STREAM, True


def completion_attributes(completion: Any) -> Pairs:
    """Response id, model and finish reasons of a ``ChatCompletion`` (nothing for anything else)."""
    model = getattr(completion, "model", None)
    if isinstance(model, str):
        yield GEN_AI_RESPONSE_MODEL, model
    rid = getattr(completion, "id", None)
    if isinstance(rid, str):
        yield GEN_AI_RESPONSE_ID, rid
    choices = getattr(completion, "choices", None)
    if isinstance(choices, list) and choices:
        yield GEN_AI_RESPONSE_FINISH_REASONS, tuple(str(getattr(c, "finish_reason", "") or "") for c in choices)


def _chat_tool_calls(output: Any) -> Pairs:
    """``agent_trace.llm.tool_call.{names,ids}`` of the assistant messages the SDK put on a generation span."""
    names: list[str] = []
    ids: list[str] = []
    for message in output if isinstance(output, list) else ():
        for call in _field(message, "tool_calls") or ():
            names.append(str(_field(_field(call, "function"), "name")))
            ids.append(str(_field(call, "id")))
    if names:
        yield LLM_TOOL_CALL_NAMES, tuple(names)
        yield LLM_TOOL_CALL_IDS, tuple(ids)


def _generation_attributes(data: Any, capture: bool) -> Pairs:
    config = data.model_config or {}
    for key, attr in (
        ("temperature", GEN_AI_REQUEST_TEMPERATURE),
        ("top_p", GEN_AI_REQUEST_TOP_P),
        ("max_tokens", GEN_AI_REQUEST_MAX_TOKENS),
    ):
        value = config.get(key) if isinstance(config, Mapping) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            yield attr, value
    if data.usage:
        yield from _usage(data.usage)
    yield from _chat_tool_calls(data.output)
    if capture:
        if isinstance(data.input, SEQUENCE):
            messages = [chat_input_message(m, chat_content_parts) for m in data.input]
            yield GEN_AI_INPUT_MESSAGES, safe_json_dumps(messages)
        if isinstance(data.output, SEQUENCE):
            yield GEN_AI_OUTPUT_MESSAGES, safe_json_dumps([_chat_output_message(m) for m in data.output])


def _chat_output_message(message: Any) -> dict[str, Any]:
    """An assistant message of a generation span (Chat Completions format) as a GenAI output message.

    The span data has no finish reason: like a completed ``Response``, the message stopped to call tools if it
    asked for any, else it stopped.
    """
    calls = chat_tool_call_parts(get(message, "tool_calls"))
    parts = chat_content_parts(get(message, "content")) + calls
    reason = "tool_calls" if calls else "stop"
    return {"role": get(message, "role") or "assistant", "parts": parts, "finish_reason": reason}

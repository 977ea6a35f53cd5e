"""Attribute extractors of the smolagents instrumentor: plain functions, no span, no I/O.

smolagents hands its models lists of ``ChatMessage`` (or dicts shaped like them: ``role`` is a ``MessageRole`` or
its string, ``content`` a string or a list of ``{"type": "text", "text": ...}`` / ``{"type": "image", ...}``
items) and gets a ``ChatMessage`` back (``tool_calls``, ``token_usage``, the provider's ``raw`` response). JSON is
built only when content capture is on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.util.types import AttributeValue

from otel_agent_trace._internal.serialize import safe_json_dumps, to_jsonable
from otel_agent_trace.instrumentation._genai import (
    SEQUENCE,
    get,
    is_int,
    is_number,
    litellm_provider_name,
    text_part,
    tool_call_part,
    url_server_attributes,
)
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import gen_ai as G

Attributes = dict[str, AttributeValue]

CHAT = "chat"
EXECUTE_TOOL = "execute_tool"
INVOKE_AGENT = "invoke_agent"

_PROVIDERS: dict[str, str] = {
    "AzureOpenAIModel": "azure.ai.openai",
    "OpenAIModel": "openai",
    "AmazonBedrockModel": "aws.bedrock",
    "InferenceClientModel": "huggingface",
    "TransformersModel": "transformers",
    "VLLMModel": "vllm",
    "MLXModel": "mlx",
}
"""smolagents model class (or the smolagents class it derives from) -> ``gen_ai.provider.name``."""

_ROLES = {"tool-call": "assistant", "tool-response": "user"}
"""smolagents' own roles, as its models send them (``tool_role_conversions``)."""


def agent_name(agent: Any) -> str:
    """``gen_ai.agent.name``: the agent's ``name``, else its class name (a top-level agent often has none)."""
    name = getattr(agent, "name", None)
    return name if isinstance(name, str) and name else type(agent).__name__


def run_attributes(agent: Any, name: str, run_id: str, parent_name: str | None) -> Attributes:
    """Attributes of an ``invoke_agent`` span known when the run starts."""
    attributes: Attributes = {
        G.GEN_AI_OPERATION_NAME: INVOKE_AGENT,
        G.GEN_AI_AGENT_NAME: name,
        A.AGENT_RUN_ID: run_id,
        A.AGENT_STEP_ACTION_TYPE: A.AgentStepActionTypeValues.HANDOFF.value
        if parent_name is not None
        else A.AgentStepActionTypeValues.REASONING.value,
    }
    description = getattr(agent, "description", None)
    if isinstance(description, str) and description:
        attributes[G.GEN_AI_AGENT_DESCRIPTION] = description
    if parent_name is not None:
        attributes[A.AGENT_PARENT_NAME] = parent_name
    tools = getattr(agent, "tools", None)
    if isinstance(tools, Mapping) and tools:
        attributes[A.AGENT_TOOLS] = tuple(str(key) for key in tools)
    managed = getattr(agent, "managed_agents", None)
    if isinstance(managed, Mapping) and managed:
        attributes[A.AGENT_HANDOFFS] = tuple(str(key) for key in managed)
    model = getattr(agent, "model", None)
    model_id = getattr(model, "model_id", None)
    if isinstance(model_id, str) and model_id:
        attributes[G.GEN_AI_REQUEST_MODEL] = model_id
    provider = provider_name(model) if model is not None else None
    if provider is not None:
        attributes[G.GEN_AI_PROVIDER_NAME] = provider  # required on invoke_agent: the agent's model says it
    return attributes


def step_attributes(index: int, name: str, action_type: str, run_id: str, agent: str) -> Attributes:
    """Attributes of a ``step {index}`` span (a planning step is the GenAI ``plan`` operation)."""
    attributes: Attributes = {
        A.AGENT_STEP_INDEX: index,
        A.AGENT_STEP_NAME: name,
        A.AGENT_STEP_ACTION_TYPE: action_type,
        A.AGENT_RUN_ID: run_id,
        G.GEN_AI_AGENT_NAME: agent,
    }
    if action_type == A.AgentStepActionTypeValues.PLANNING.value:
        attributes[G.GEN_AI_OPERATION_NAME] = G.GenAiOperationNameValues.PLAN.value
    return attributes


def tool_attributes(tool: Any, name: str, call_id: str | None) -> Attributes:
    """Attributes of an ``execute_tool {name}`` span known before the call."""
    attributes: Attributes = {
        G.GEN_AI_OPERATION_NAME: EXECUTE_TOOL,
        G.GEN_AI_TOOL_NAME: name,
        G.GEN_AI_TOOL_TYPE: "function",
        A.AGENT_STEP_ACTION_TYPE: A.AgentStepActionTypeValues.TOOL_CALL.value,
    }
    description = getattr(tool, "description", None)
    if isinstance(description, str) and description:
        attributes[G.GEN_AI_TOOL_DESCRIPTION] = description
    if call_id:
        attributes[G.GEN_AI_TOOL_CALL_ID] = call_id
    return attributes


def tool_arguments(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> str:
    """``gen_ai.tool.call.arguments`` (content capture only): the keyword arguments, or the positional ones."""
    named = {key: value for key, value in kwargs.items() if key != "sanitize_inputs_outputs"}
    if args and not named:
        return safe_json_dumps(args[0] if len(args) == 1 else list(args))
    if args:
        named["args"] = list(args)
    return safe_json_dumps(named)


# --- model calls ----------------------------------------------------------------------------------------------


def provider_name(model: Any) -> str | None:
    """``gen_ai.provider.name`` of a smolagents model, from its class (``None`` for an unknown custom model)."""
    for cls in type(model).__mro__:
        name = cls.__name__
        if name == "LiteLLMModel" or name == "LiteLLMRouterModel":
            model_id = getattr(model, "model_id", None)
            prefix = model_id.split("/", 1)[0] if isinstance(model_id, str) and "/" in model_id else None
            return litellm_provider_name(prefix)
        provider = _PROVIDERS.get(name)
        if provider is not None:
            return provider
    return None


def _api_base(model: Any) -> Any:
    client_kwargs = getattr(model, "client_kwargs", None)
    if isinstance(client_kwargs, Mapping):
        base = client_kwargs.get("base_url") or client_kwargs.get("azure_endpoint")
        if base:
            return base
    return getattr(model, "api_base", None)


def chat_attributes(
    model: Any, model_id: Any, stop_sequences: Any, *, stream: bool, capture: bool, messages: Any, tools: Any
) -> Attributes:
    """Attributes of a ``chat {model}`` span known before the call."""
    attributes: Attributes = {
        G.GEN_AI_OPERATION_NAME: CHAT,
        A.AGENT_STEP_ACTION_TYPE: A.AgentStepActionTypeValues.LLM_CALL.value,
    }
    if stream:  # the convention: set if and only if the request streams
        attributes[G.GEN_AI_REQUEST_STREAM] = True
    provider = provider_name(model)
    if provider is not None:
        attributes[G.GEN_AI_PROVIDER_NAME] = provider
    if isinstance(model_id, str) and model_id:
        attributes[G.GEN_AI_REQUEST_MODEL] = model_id
    if isinstance(stop_sequences, SEQUENCE) and all(isinstance(item, str) for item in stop_sequences):
        attributes[G.GEN_AI_REQUEST_STOP_SEQUENCES] = tuple(stop_sequences)
    params = getattr(model, "kwargs", None)
    if isinstance(params, Mapping) and params:
        _param_attributes(params, attributes)
    url_server_attributes(_api_base(model), attributes)
    if capture:
        if isinstance(messages, SEQUENCE):
            attributes[G.GEN_AI_INPUT_MESSAGES] = safe_json_dumps([_input_message(message) for message in messages])
        if isinstance(tools, SEQUENCE) and tools:
            attributes[G.GEN_AI_TOOL_DEFINITIONS] = safe_json_dumps([_tool_definition(tool) for tool in tools])
    return attributes


def _param_attributes(params: Mapping[str, Any], attributes: Attributes) -> None:
    for key in ("max_completion_tokens", "max_tokens", "max_new_tokens"):
        value = params.get(key)
        if is_int(value):
            attributes[G.GEN_AI_REQUEST_MAX_TOKENS] = value
            break
    value = params.get("temperature")
    if isinstance(value, (int, float)) and is_number(value):
        attributes[G.GEN_AI_REQUEST_TEMPERATURE] = float(value)
    value = params.get("top_p")
    if isinstance(value, (int, float)) and is_number(value):
        attributes[G.GEN_AI_REQUEST_TOP_P] = float(value)
    value = params.get("seed")
    if is_int(value):
        attributes[G.GEN_AI_REQUEST_SEED] = value


def _content_parts(content: Any) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [text_part(content)]
    parts: list[dict[str, Any]] = []
    if isinstance(content, SEQUENCE):
        for item in content:
            kind = get(item, "type")
            if kind == "text":
                parts.append(text_part(get(item, "text")))
            elif kind in ("image", "image_url"):
                parts.append({"type": "blob", "modality": "image"})  # the image bytes stay out of the span
            else:
                parts.append({"type": str(kind), "content": to_jsonable(item)})
    return parts


def _tool_call_parts(tool_calls: Any) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    if isinstance(tool_calls, SEQUENCE):
        for call in tool_calls:
            function = get(call, "function")
            parts.append(tool_call_part(get(call, "id"), get(function, "name"), get(function, "arguments")))
    return parts


def _role(message: Any) -> str:
    role = get(message, "role")
    role = getattr(role, "value", role)
    role = str(role) if role is not None else "user"
    return _ROLES.get(role, role)


def _input_message(message: Any) -> dict[str, Any]:
    parts = _content_parts(get(message, "content"))
    parts.extend(_tool_call_parts(get(message, "tool_calls")))
    return {"role": _role(message), "parts": parts}


def _tool_definition(tool: Any) -> dict[str, Any]:
    return {
        "type": "function",
        "name": getattr(tool, "name", None),
        "description": getattr(tool, "description", None),
        "parameters": to_jsonable(getattr(tool, "inputs", None)),
    }


def _tool_call_ids_and_names(tool_calls: Any, attributes: Attributes) -> None:
    if not isinstance(tool_calls, SEQUENCE) or not tool_calls:
        return
    names: list[str] = []
    ids: list[str] = []
    for call in tool_calls:
        name = get(get(call, "function"), "name")
        names.append(name if isinstance(name, str) else "")
        call_id = get(call, "id")
        ids.append(call_id if isinstance(call_id, str) else "")
    attributes[A.LLM_TOOL_CALL_NAMES] = tuple(names)
    if any(ids):
        attributes[A.LLM_TOOL_CALL_IDS] = tuple(ids)


def usage_attributes(input_tokens: Any, output_tokens: Any, attributes: Attributes) -> None:
    """``gen_ai.usage.*`` from smolagents' ``TokenUsage`` counts."""
    if is_int(input_tokens):
        attributes[G.GEN_AI_USAGE_INPUT_TOKENS] = input_tokens
    if is_int(output_tokens):
        attributes[G.GEN_AI_USAGE_OUTPUT_TOKENS] = output_tokens


def response_attributes(message: Any, *, capture: bool) -> Attributes:
    """Attributes of a model's ``ChatMessage``: usage, tool calls, and what the raw provider response tells."""
    attributes: Attributes = {}
    usage = getattr(message, "token_usage", None)
    if usage is not None:
        usage_attributes(getattr(usage, "input_tokens", None), getattr(usage, "output_tokens", None), attributes)
    tool_calls = getattr(message, "tool_calls", None)
    _tool_call_ids_and_names(tool_calls, attributes)
    raw = getattr(message, "raw", None)
    finish_reason: Any = None
    if raw is not None:
        response_id = get(raw, "id")
        if isinstance(response_id, str) and response_id:
            attributes[G.GEN_AI_RESPONSE_ID] = response_id
        response_model = get(raw, "model")
        if isinstance(response_model, str) and response_model:
            attributes[G.GEN_AI_RESPONSE_MODEL] = response_model
        choices = get(raw, "choices")
        if isinstance(choices, SEQUENCE) and choices:
            reasons = [get(choice, "finish_reason") for choice in choices]
            if all(isinstance(reason, str) for reason in reasons):
                attributes[G.GEN_AI_RESPONSE_FINISH_REASONS] = tuple(reasons)
                finish_reason = reasons[0]
    if capture:
        output: dict[str, Any] = {"role": "assistant", "parts": _content_parts(getattr(message, "content", None))}
        output["parts"].extend(_tool_call_parts(tool_calls))
        if finish_reason is not None:
            output["finish_reason"] = finish_reason
        attributes[G.GEN_AI_OUTPUT_MESSAGES] = safe_json_dumps([output])
    return attributes


class StreamSummary:
    """What the deltas of ``Model.generate_stream`` said: token counts, tool calls, and (with capture) the text."""

    __slots__ = ("calls", "capture", "input_tokens", "output_tokens", "text")

    def __init__(self, capture: bool) -> None:
        self.capture = capture
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        self.text: list[str] = []
        self.calls: dict[int, list[Any]] = {}  # delta index -> [id, name, argument pieces]

    def observe(self, delta: Any) -> None:
        """Record one ``ChatMessageStreamDelta``."""
        usage = getattr(delta, "token_usage", None)
        if usage is not None:
            self.input_tokens = (self.input_tokens or 0) + (getattr(usage, "input_tokens", 0) or 0)
            self.output_tokens = (self.output_tokens or 0) + (getattr(usage, "output_tokens", 0) or 0)
        if self.capture:
            content = getattr(delta, "content", None)
            if isinstance(content, str) and content:
                self.text.append(content)
        tool_calls = getattr(delta, "tool_calls", None)
        if tool_calls:
            for call in tool_calls:
                index = getattr(call, "index", None)
                slot = self.calls.setdefault(index if isinstance(index, int) else len(self.calls), [None, None, []])
                call_id = getattr(call, "id", None)
                if call_id:
                    slot[0] = call_id
                function = getattr(call, "function", None)
                name = getattr(function, "name", None)
                if name:
                    slot[1] = name
                arguments = getattr(function, "arguments", None)
                if self.capture and isinstance(arguments, str):
                    slot[2].append(arguments)

    def attributes(self) -> Attributes:
        """The span attributes of everything observed."""
        attributes: Attributes = {}
        usage_attributes(self.input_tokens, self.output_tokens, attributes)
        calls = [self.calls[key] for key in sorted(self.calls)]
        if calls:
            attributes[A.LLM_TOOL_CALL_NAMES] = tuple(str(call[1] or "") for call in calls)
            if any(call[0] for call in calls):
                attributes[A.LLM_TOOL_CALL_IDS] = tuple(str(call[0] or "") for call in calls)
        if self.capture:
            parts: list[dict[str, Any]] = [text_part("".join(self.text))] if self.text else []
            parts.extend(tool_call_part(call[0], call[1], "".join(call[2])) for call in calls)
            attributes[G.GEN_AI_OUTPUT_MESSAGES] = safe_json_dumps([{"role": "assistant", "parts": parts}])
        return attributes

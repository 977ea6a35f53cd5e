"""Attribute extractors of the CrewAI instrumentor: plain functions, no span, no I/O.

CrewAI objects (``Crew``, ``Task``, ``Agent``, ``BaseTool``, ``BaseLLM``) are pydantic models; they are read with
``getattr`` only, so a field a CrewAI version lacks is simply left out. JSON is built only when content capture is on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.util.types import AttributeValue

from otel_agent_trace._internal.serialize import safe_json_dumps
from otel_agent_trace.instrumentation._genai import (
    SEQUENCE,
    get,
    is_int,
    is_number,
    litellm_provider_name,
    openai_usage_attributes,
    text_part,
    tool_call_part,
    url_server_attributes,
)
from otel_agent_trace.instrumentation._genai_request import chat_request_content_attributes
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import gen_ai as G

Attributes = dict[str, AttributeValue]

CHAT = G.GenAiOperationNameValues.CHAT.value
INVOKE_AGENT = G.GenAiOperationNameValues.INVOKE_AGENT.value
INVOKE_WORKFLOW = G.GenAiOperationNameValues.INVOKE_WORKFLOW.value
EXECUTE_TOOL = G.GenAiOperationNameValues.EXECUTE_TOOL.value
_NAME_LIMIT = 64
"""Longest task description used as a step name (a task without ``name`` is named by its description)."""

DELEGATION_TOOLS = frozenset({"DelegateWorkTool", "AskQuestionTool"})
"""CrewAI's built-in tools that hand work (or a question) to a coworker agent."""

NATIVE_PROVIDERS: dict[str, str] = {
    "openai": "openai",
    "anthropic": "anthropic",
    "azure": "azure.ai.openai",
    "bedrock": "aws.bedrock",
    "gemini": "gcp.gemini",
}
"""CrewAI native provider names -> GenAI semconv ``gen_ai.provider.name`` (others go through litellm's mapping)."""


def crew_name(crew: Any) -> str:
    """The crew's ``name`` (CrewAI's default is ``"crew"``)."""
    name = getattr(crew, "name", None)
    return name if isinstance(name, str) and name else "crew"


def task_name(task: Any) -> str:
    """The task's ``name``, else the first line of its description (at most 64 characters)."""
    name = getattr(task, "name", None)
    if isinstance(name, str) and name:
        return name
    description = getattr(task, "description", None)
    if isinstance(description, str) and description.strip():
        return description.strip().splitlines()[0][:_NAME_LIMIT]
    return "task"


def agent_role(agent: Any) -> str:
    """The agent's ``role`` (its name in CrewAI)."""
    role = getattr(agent, "role", None)
    return role.strip() if isinstance(role, str) and role.strip() else "agent"


def workflow_attributes(crew: Any, name: str, run_id: str) -> Attributes:
    """Attributes of the ``invoke_workflow`` span of a crew run."""
    attributes: Attributes = {
        G.GEN_AI_OPERATION_NAME: INVOKE_WORKFLOW,
        G.GEN_AI_WORKFLOW_NAME: name,
        A.AGENT_RUN_ID: run_id,
    }
    agents = getattr(crew, "agents", None)
    if isinstance(agents, SEQUENCE):
        attributes[A.AGENT_HANDOFFS] = tuple(agent_role(agent) for agent in agents)
    return attributes


def tool_names(tools: Any) -> tuple[str, ...]:
    """Names of a list of CrewAI tools."""
    if not isinstance(tools, SEQUENCE):
        return ()
    return tuple(str(getattr(tool, "name", "tool")) for tool in tools)


def agent_attributes(agent: Any, role: str, tools: Any) -> Attributes:
    """Attributes of an ``invoke_agent`` span (without the parent-agent ones)."""
    attributes: Attributes = {G.GEN_AI_OPERATION_NAME: INVOKE_AGENT, G.GEN_AI_AGENT_NAME: role}
    ident = getattr(agent, "id", None)
    if ident is not None:
        attributes[G.GEN_AI_AGENT_ID] = str(ident)
    goal = getattr(agent, "goal", None)
    if isinstance(goal, str) and goal:
        attributes[G.GEN_AI_AGENT_DESCRIPTION] = goal
    names = tool_names(tools if tools else getattr(agent, "tools", None))
    if names:
        attributes[A.AGENT_TOOLS] = names
    llm = getattr(agent, "llm", None)
    model = getattr(llm, "model", None)
    if isinstance(model, str) and model:
        attributes[G.GEN_AI_REQUEST_MODEL] = model
    if llm is not None:
        attributes[G.GEN_AI_PROVIDER_NAME] = llm_provider(llm)  # required on invoke_agent: the agent's LLM says it
    return attributes


def task_input(task: Any, context: Any) -> str:
    """``agent_trace.step.input`` of a task: its description, expected output and context (JSON)."""
    return safe_json_dumps(
        {
            "description": getattr(task, "description", None),
            "expected_output": getattr(task, "expected_output", None),
            "context": context,
        }
    )


def raw_output(result: Any) -> str:
    """The text of a ``CrewOutput`` / ``TaskOutput`` (``raw``), else the JSON of the value."""
    raw = getattr(result, "raw", None)
    return raw if isinstance(raw, str) else safe_json_dumps(result)


def tool_attributes(tool: Any, name: str) -> Attributes:
    """Attributes of an ``execute_tool`` span known before the call."""
    attributes: Attributes = {
        G.GEN_AI_OPERATION_NAME: EXECUTE_TOOL,
        G.GEN_AI_TOOL_NAME: name,
        G.GEN_AI_TOOL_TYPE: G.GenAiToolTypeValues.FUNCTION.value,
        A.AGENT_STEP_ACTION_TYPE: A.AgentStepActionTypeValues.TOOL_CALL.value,
    }
    description = getattr(tool, "description", None)
    if isinstance(description, str) and description:
        attributes[G.GEN_AI_TOOL_DESCRIPTION] = description
    return attributes


def is_tool_failure(result: Any) -> bool:
    """Whether a tool returned CrewAI's ``ToolFailure`` (usage limit reached...) instead of a result."""
    return type(result).__name__ == "ToolFailure"


# --- LLM calls --------------------------------------------------------------------------------------------------


def llm_provider(llm: Any) -> str:
    """``gen_ai.provider.name`` of a CrewAI LLM: its native provider, or litellm's for the litellm fallback."""
    provider = getattr(llm, "provider", None)
    if getattr(llm, "is_litellm", False) is True:
        model = getattr(llm, "model", None)
        if isinstance(model, str) and "/" in model:
            provider = model.split("/", 1)[0]
    if isinstance(provider, str) and provider in NATIVE_PROVIDERS:
        return NATIVE_PROVIDERS[provider]
    return litellm_provider_name(provider)


def llm_request_attributes(llm: Any) -> tuple[Attributes, str | None]:
    """Attributes of a ``chat`` span from the LLM's configuration, and the model name (without its prefix)."""
    model = getattr(llm, "model", None)
    if isinstance(model, str) and "/" in model and getattr(llm, "is_litellm", False) is True:
        model = model.split("/", 1)[1]
    attributes: Attributes = {
        G.GEN_AI_OPERATION_NAME: CHAT,
        G.GEN_AI_PROVIDER_NAME: llm_provider(llm),
        A.AGENT_STEP_ACTION_TYPE: A.AgentStepActionTypeValues.LLM_CALL.value,
        A.LLM_USAGE_SOURCE: "framework",
    }
    if getattr(llm, "stream", None) is True:  # the convention: set if and only if the request streams
        attributes[G.GEN_AI_REQUEST_STREAM] = True
    if isinstance(model, str) and model:
        attributes[G.GEN_AI_REQUEST_MODEL] = model
    else:
        model = None
    value: Any = getattr(llm, "temperature", None)
    if is_number(value):
        attributes[G.GEN_AI_REQUEST_TEMPERATURE] = float(value)
    value = getattr(llm, "top_p", None)
    if is_number(value):
        attributes[G.GEN_AI_REQUEST_TOP_P] = float(value)
    value = getattr(llm, "max_tokens", None)
    if is_number(value):
        attributes[G.GEN_AI_REQUEST_MAX_TOKENS] = int(value)
    value = getattr(llm, "seed", None)
    if is_int(value):
        attributes[G.GEN_AI_REQUEST_SEED] = value
    value = getattr(llm, "stop", None)
    if isinstance(value, SEQUENCE) and value and all(isinstance(item, str) for item in value):
        attributes[G.GEN_AI_REQUEST_STOP_SEQUENCES] = tuple(value)
    url_server_attributes(getattr(llm, "base_url", None) or getattr(llm, "api_base", None), attributes)
    return attributes, model


def llm_content_attributes(messages: Any, tools: Any, attributes: Attributes) -> None:
    """Add ``gen_ai.input.messages`` and ``gen_ai.tool.definitions`` (content capture only)."""
    if isinstance(messages, str):
        messages = [{"role": "user", "content": messages}]
    chat_request_content_attributes({"messages": messages, "tools": tools}, attributes)


def tool_calls_of(result: Any) -> list[tuple[str, str, Any]]:
    """(id, name, arguments) of the tool calls an LLM call returned (native function calling), else ``[]``."""
    if not isinstance(result, SEQUENCE):
        return []
    calls = []
    for call in result:
        function = get(call, "function")
        name = get(function, "name") if function is not None else get(call, "name")
        if name is None:
            return []
        arguments = get(function, "arguments") if function is not None else get(call, "arguments")
        calls.append((str(get(call, "id")), str(name), arguments))
    return calls


def llm_result_attributes(result: Any, *, capture: bool) -> Attributes:
    """Attributes of what ``BaseLLM.call`` returned: the text, or the tool calls it asked for."""
    attributes: Attributes = {}
    calls = tool_calls_of(result)
    if calls:
        attributes[A.LLM_TOOL_CALL_IDS] = tuple(call[0] for call in calls)
        attributes[A.LLM_TOOL_CALL_NAMES] = tuple(call[1] for call in calls)
    if capture:
        if calls:
            parts = [tool_call_part(*call) for call in calls]
        else:
            parts = [text_part(result if isinstance(result, str) else safe_json_dumps(result))]
        attributes[G.GEN_AI_OUTPUT_MESSAGES] = safe_json_dumps([{"role": "assistant", "parts": parts}])
    return attributes


def completed_event_attributes(usage: Any, finish_reason: Any, response_id: Any) -> Attributes:
    """Usage, finish reason and response id that a provider reported in CrewAI's call-completed event."""
    attributes: Attributes = {}
    if isinstance(usage, Mapping):
        openai_usage_attributes(usage, attributes)
        if G.GEN_AI_USAGE_INPUT_TOKENS not in attributes and is_int(usage.get("input_tokens")):
            attributes[G.GEN_AI_USAGE_INPUT_TOKENS] = usage["input_tokens"]
        if G.GEN_AI_USAGE_OUTPUT_TOKENS not in attributes and is_int(usage.get("output_tokens")):
            attributes[G.GEN_AI_USAGE_OUTPUT_TOKENS] = usage["output_tokens"]
    if isinstance(finish_reason, str) and finish_reason:
        attributes[G.GEN_AI_RESPONSE_FINISH_REASONS] = (finish_reason,)
    if isinstance(response_id, str) and response_id:
        attributes[G.GEN_AI_RESPONSE_ID] = response_id
    return attributes

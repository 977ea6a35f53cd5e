"""Our agent-step and correlation attributes (prefix ``agent_trace.``)."""

from __future__ import annotations

from enum import Enum
from typing import Final

PREFIX: Final = "agent_trace."
"""The one prefix under which every non-``gen_ai`` attribute of ours lives."""

AGENT_STEP_INDEX: Final = "agent_trace.step.index"
"""Zero-based position of a step within its agent run."""
AGENT_STEP_ACTION_TYPE: Final = "agent_trace.step.action_type"
"""What a step does (see `AgentStepActionTypeValues`)."""
AGENT_STEP_NAME: Final = "agent_trace.step.name"
"""Name of the step (a function, a graph node)."""
AGENT_STEP_INPUT: Final = "agent_trace.step.input"
"""Input of a step, JSON (content capture only)."""
AGENT_STEP_OUTPUT: Final = "agent_trace.step.output"
"""Output of a step, JSON (content capture only)."""
AGENT_RUN_ID: Final = "agent_trace.run.id"
"""Identifier of one agent run; every span of the run carries it."""
AGENT_PARENT_ID: Final = "agent_trace.agent.parent_id"
"""`gen_ai.agent.id` of the agent that started this (sub-)agent."""
AGENT_PARENT_NAME: Final = "agent_trace.agent.parent_name"
"""`gen_ai.agent.name` of the agent that started this (sub-)agent."""
AGENT_CONFIG_HASH: Final = "agent_trace.agent.config_hash"
"""Stable hash (sha256, 16 hex digits) of the agent configuration."""
AGENT_CONFIG: Final = "agent_trace.agent.config"
"""The agent configuration, JSON (redacted and within the payload budget)."""

SESSION_ID: Final = "agent_trace.session.id"
"""Identifier of the session a run belongs to (mirrored to `gen_ai.conversation.id`)."""
USER_ID: Final = "agent_trace.user.id"
"""Identifier of the end user on whose behalf the agent runs."""
REQUEST_ID: Final = "agent_trace.request.id"
"""Identifier of the request that started the run."""
ENVIRONMENT: Final = "agent_trace.environment"
"""Deployment environment tag (``prod``, ``staging``...)."""
TAGS: Final = "agent_trace.tags"
"""Free-form environment tags, a list of ``key=value`` strings."""

TRUNCATED: Final = "agent_trace.truncated"
"""Names of attributes that were truncated to fit the payload budget."""
REDACTED: Final = "agent_trace.redacted"
"""Number of secrets redacted from this span's attributes."""
LLM_TOOL_CALL_NAMES: Final = "agent_trace.llm.tool_call.names"
"""Names of the tools an LLM response asked to call, in order (recorded without content capture)."""
LLM_TOOL_CALL_IDS: Final = "agent_trace.llm.tool_call.ids"
"""Ids of the tool calls an LLM response requested, aligned with `LLM_TOOL_CALL_NAMES`."""
AGENT_TOOLS: Final = "agent_trace.agent.tools"
"""Names of the tools an agent can call (recorded without content capture)."""
AGENT_HANDOFFS: Final = "agent_trace.agent.handoffs"
"""Names of the agents an agent can hand off to."""
HANDOFF_FROM_AGENT: Final = "agent_trace.handoff.from_agent"
"""On a handoff step: `gen_ai.agent.name` of the agent handing off."""
HANDOFF_TO_AGENT: Final = "agent_trace.handoff.to_agent"
"""On a handoff step: `gen_ai.agent.name` of the agent taking over."""
TERMINATION_CONDITION: Final = "agent_trace.termination.condition"
"""On a multi-agent run: the termination condition that stopped it (AutoGen's `StopMessage` source)."""
TERMINATION_REASON: Final = "agent_trace.termination.reason"
"""On a multi-agent run: why it stopped, as the framework said (AutoGen's `TaskResult.stop_reason`)."""
LLM_USAGE_SOURCE: Final = "agent_trace.llm.usage_source"
"""On a framework LLM span: ``framework`` (it carries ``gen_ai.usage.*``) or ``provider`` (the provider SDK span under
it does, so the framework span omits them and tokens are counted once)."""


class AgentStepActionTypeValues(Enum):
    """Values of `AGENT_STEP_ACTION_TYPE`."""

    REASONING = "reasoning"
    TOOL_CALL = "tool_call"
    DECISION = "decision"
    LLM_CALL = "llm_call"
    RETRIEVAL = "retrieval"
    HANDOFF = "handoff"
    PLANNING = "planning"
    MEMORY = "memory"
    RESPONSE = "response"
    OTHER = "other"


# AG2 Classic (``import autogen``) chats
CHAT_MAX_TURNS: Final = "agent_trace.chat.max_turns"
"""The ``max_turns`` a two-agent chat was started with."""
CHAT_MAX_ROUND: Final = "agent_trace.chat.max_round"
"""The ``max_round`` of a group chat."""
AGENT_STEP_REPLY_TO: Final = "agent_trace.step.reply_to"
"""The id of the message a turn answered (frameworks whose messages have no ids: ``{chat}:{index in the chat}``)."""

"""OpenInference attribute names (Arize Phoenix, Langfuse), added on export beside ours (`OPENINFERENCE_SPAN_KIND`).

The same strings as ``openinference.semconv.trace.SpanAttributes`` of ``openinference-semantic-conventions``
(a test compares them when that package is installed); they are OpenInference's names, not ours, so they carry
no ``agent_trace.`` prefix, except `OPENINFERENCE_DERIVED`, which is ours. ``OTEL_AGENT_TRACE_OPENINFERENCE=false``
turns them off (docs/viewers.md).
"""

from __future__ import annotations

from enum import Enum
from typing import Final

OPENINFERENCE_SPAN_KIND: Final = "openinference.span.kind"
"""OpenInference: what the span is (see `OpenInferenceSpanKindValues`); set on every exported span."""
OI_INPUT_VALUE: Final = "input.value"
"""OpenInference: the span's input (a step's input, a tool's arguments, the prompt; content capture only)."""
OI_INPUT_MIME_TYPE: Final = "input.mime_type"
"""OpenInference: ``application/json`` or ``text/plain``, the type of `OI_INPUT_VALUE`."""
OI_OUTPUT_VALUE: Final = "output.value"
"""OpenInference: the span's output (a step's output, a tool's result, the model's answer; content capture only)."""
OI_OUTPUT_MIME_TYPE: Final = "output.mime_type"
"""OpenInference: ``application/json`` or ``text/plain``, the type of `OI_OUTPUT_VALUE`."""
OI_LLM_TOOLS: Final = "llm.tools"
"""OpenInference prefix: ``llm.tools.N.tool.json_schema``, one per tool definition offered to the model."""
OI_TOOL_JSON_SCHEMA: Final = "tool.json_schema"
"""OpenInference: JSON schema of one tool in `OI_LLM_TOOLS` (``llm.tools.N.tool.json_schema``)."""
OI_AGENT_NAME: Final = "agent.name"
"""OpenInference: the agent an AGENT span runs (`gen_ai.agent.name`)."""
OI_SESSION_ID: Final = "session.id"
"""OpenInference: the session (`agent_trace.session.id`); Phoenix and Langfuse group sessions on it."""
OI_USER_ID: Final = "user.id"
"""OpenInference: the end user (`agent_trace.user.id`); Phoenix and Langfuse group users on it."""
OI_METADATA: Final = "metadata"
"""OpenInference: JSON object of small context (run id, step index and name, agent, decision options...)."""
OI_TAG_TAGS: Final = "tag.tags"
"""OpenInference: string list of tags (the action type, the environment, ``agent_trace.tags``)."""

OPENINFERENCE_DERIVED: Final = "agent_trace.openinference.derived"
"""Ours: true on a span whose OpenInference attributes we derived from our own on export (not an instrumentor's)."""


class OpenInferenceSpanKindValues(Enum):
    """Values of `OPENINFERENCE_SPAN_KIND`."""

    LLM = "LLM"
    EMBEDDING = "EMBEDDING"
    RETRIEVER = "RETRIEVER"
    RERANKER = "RERANKER"
    TOOL = "TOOL"
    AGENT = "AGENT"
    CHAIN = "CHAIN"
    GUARDRAIL = "GUARDRAIL"
    EVALUATOR = "EVALUATOR"
    UNKNOWN = "UNKNOWN"


class OpenInferenceMimeTypeValues(Enum):
    """Values of `OI_INPUT_MIME_TYPE` and `OI_OUTPUT_MIME_TYPE`."""

    TEXT = "text/plain"
    JSON = "application/json"

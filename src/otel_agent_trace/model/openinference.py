"""Read spans written in OpenInference conventions (Arize Phoenix, the ``openinference-instrumentation-*`` packages).

OpenInference marks each span with ``openinference.span.kind`` (AGENT, CHAIN, TOOL, LLM, RETRIEVER, ...) and keeps
payloads in ``input.value``/``output.value``, ``tool.name``, ``llm.model_name``, ``llm.input_messages.N.message.*``
and ``retrieval.documents.N.document.*``. `from_openinference` adds the equivalent ``gen_ai.*``/``agent_trace.*``
attributes we analyse, keeping the original ones, so the RCA treats these traces like our own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any, Final

from otel_agent_trace.semconv import (
    AGENT_STEP_ACTION_TYPE,
    AGENT_STEP_INPUT,
    AGENT_STEP_NAME,
    AGENT_STEP_OUTPUT,
    GEN_AI_AGENT_NAME,
    GEN_AI_INPUT_MESSAGES,
    GEN_AI_OPERATION_NAME,
    GEN_AI_OUTPUT_MESSAGES,
    GEN_AI_PROVIDER_NAME,
    GEN_AI_REQUEST_MODEL,
    GEN_AI_TOOL_CALL_ARGUMENTS,
    GEN_AI_TOOL_CALL_ID,
    GEN_AI_TOOL_CALL_RESULT,
    GEN_AI_TOOL_NAME,
    GEN_AI_USAGE_INPUT_TOKENS,
    GEN_AI_USAGE_OUTPUT_TOKENS,
    SESSION_ID,
    USER_ID,
)
from otel_agent_trace.semconv.openinference import OPENINFERENCE_DERIVED

from ._records import AttributeValue, Span

SPAN_KIND: Final = "openinference.span.kind"
"""The OpenInference attribute that marks a span as written in its conventions."""

_OPERATION = {
    "AGENT": "invoke_agent",
    "TOOL": "execute_tool",
    "LLM": "chat",
    "RETRIEVER": "retrieval",
    "RERANKER": "retrieval",
    "EMBEDDING": "embeddings",
}
_ACTION = {
    "TOOL": "tool_call",
    "LLM": "llm_call",
    "RETRIEVER": "retrieval",
    "RERANKER": "retrieval",
    "EMBEDDING": "retrieval",
    "GUARDRAIL": "decision",
    "EVALUATOR": "decision",
    "CHAIN": "reasoning",
    "AGENT": "handoff",
}
_INDEXED = re.compile(r"^(llm\.(?:input|output)_messages|retrieval\.documents)\.(\d+)\.(.+)$")


def _foreign(span: Span) -> bool:
    """Whether the span's OpenInference attributes are an instrumentor's, not copies we derived from our own."""
    return SPAN_KIND in span.attributes and span.attributes.get(OPENINFERENCE_DERIVED) is not True


def is_openinference(spans: Iterable[Span]) -> bool:
    """Whether any span carries ``openinference.span.kind`` written by an OpenInference instrumentor.

    Our own spans carry OpenInference copies of their attributes too (marked ``agent_trace.openinference.derived``):
    those are never mapped back.
    """
    return any(_foreign(s) for s in spans)


def _indexed(attributes: Mapping[str, AttributeValue]) -> dict[str, list[dict[str, Any]]]:
    """Flattened lists (``llm.input_messages.0.message.role``) back into lists of dicts."""
    groups: dict[str, dict[int, dict[str, Any]]] = {}
    for key, value in attributes.items():
        match = _INDEXED.match(key)
        if match:
            prefix, index, rest = match.groups()
            leaf = rest.split(".", 1)[-1] if rest.startswith(("message.", "document.")) else rest
            groups.setdefault(prefix, {}).setdefault(int(index), {})[leaf] = value
    return {prefix: [items[i] for i in sorted(items)] for prefix, items in groups.items()}


def _json(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)


def from_openinference(span: Span) -> Span:
    """The span with our attributes added from its OpenInference ones.

    Unchanged if it has none, or if they are copies we derived from our own (``agent_trace.openinference.derived``).
    """
    attrs = span.attributes
    kind = str(attrs.get(SPAN_KIND, "")).upper() if _foreign(span) else ""
    if not kind:
        return span
    new: dict[str, AttributeValue] = {}
    if kind in _OPERATION:
        new[GEN_AI_OPERATION_NAME] = _OPERATION[kind]
    if kind in _ACTION:
        new[AGENT_STEP_ACTION_TYPE] = _ACTION[kind]
    new[AGENT_STEP_NAME] = span.name
    if "input.value" in attrs:
        new[AGENT_STEP_INPUT] = _json(attrs["input.value"])
    if "output.value" in attrs:
        new[AGENT_STEP_OUTPUT] = _json(attrs["output.value"])
    if kind == "AGENT":
        new[GEN_AI_AGENT_NAME] = attrs.get("agent.name", span.name)
    if kind == "TOOL":
        new[GEN_AI_TOOL_NAME] = attrs.get("tool.name", span.name)
        call_id = attrs.get("tool_call.id", attrs.get("tool.id"))
        if call_id is not None:
            new[GEN_AI_TOOL_CALL_ID] = call_id
        if "input.value" in attrs:
            new[GEN_AI_TOOL_CALL_ARGUMENTS] = _json(attrs["input.value"])
        if "output.value" in attrs:
            new[GEN_AI_TOOL_CALL_RESULT] = _json(attrs["output.value"])
    if kind in ("LLM", "EMBEDDING") and "llm.model_name" in attrs:
        new[GEN_AI_REQUEST_MODEL] = attrs["llm.model_name"]
    if "llm.provider" in attrs or "llm.system" in attrs:
        new[GEN_AI_PROVIDER_NAME] = attrs.get("llm.provider", attrs.get("llm.system"))
    if "llm.token_count.prompt" in attrs:
        new[GEN_AI_USAGE_INPUT_TOKENS] = attrs["llm.token_count.prompt"]
    if "llm.token_count.completion" in attrs:
        new[GEN_AI_USAGE_OUTPUT_TOKENS] = attrs["llm.token_count.completion"]
    lists = _indexed(attrs)
    if "llm.input_messages" in lists:
        new[GEN_AI_INPUT_MESSAGES] = _json(lists["llm.input_messages"])
    if "llm.output_messages" in lists:
        new[GEN_AI_OUTPUT_MESSAGES] = _json(lists["llm.output_messages"])
    if "retrieval.documents" in lists:
        new[AGENT_STEP_OUTPUT] = _json(lists["retrieval.documents"])
    if "session.id" in attrs:
        new[SESSION_ID] = attrs["session.id"]
    if "user.id" in attrs:
        new[USER_ID] = attrs["user.id"]
    return replace(span, attributes={**new, **attrs})  # never overwrite what the span already says


def normalize_openinference(spans: Iterable[Span]) -> list[Span]:
    """`from_openinference` applied to every span."""
    return [from_openinference(s) for s in spans]

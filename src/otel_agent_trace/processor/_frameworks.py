"""Our agent semantics on the spans frameworks emit themselves (Pydantic AI, Google ADK): an export-thread enricher.

Pydantic AI (scope ``pydantic-ai``) and Google ADK (scope ``gcp.vertex.agent``) record ``invoke_agent``, one LLM
span per model request (``chat {model}``, ADK's ``call_llm``) and ``execute_tool {tool}``, with the GenAI
attributes, but none of ours. On export, `FrameworkSpans` adds what is derivable from the span and its siblings:

- ``agent_trace.step.action_type``: ``llm_call`` on an LLM span, ``tool_call`` on a tool span, ``response`` on
  Pydantic AI's output tool (``final_result``, the structured final answer).
- ``agent_trace.step.index``: the position of the LLM/tool span among the steps of its agent run (its parent
  span), numbered from 0 in the order they are exported. Steps end one after another in both frameworks, so this is
  their order; tools the model asked for in one response and that ran concurrently are numbered as they ended.
  Not with ADK's legacy schema (``ADK_TELEMETRY_SCHEMA_VERSION_OPT_IN=1``): there a ``call_llm`` span holds the
  ``generate_content`` span and ends after the tools it called, so the export order is not the step order.
- ``agent_trace.step.name``: the tool name, or ``model request``.
- ``agent_trace.run.id``: the framework's own run id where it has one (Pydantic AI's ``gen_ai.agent.call.id``,
  on each of its spans), unless a run of ours already stamped one.

What is already on a span is never overwritten. Idempotent: a span enriched twice (``diagnose()`` runs the
enrichers on copies) keeps its index. Memory is bounded (`MAX_RUNS` runs, `MAX_STEPS` numbered spans, LRU).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import Any, Final

from opentelemetry.sdk.trace import ReadableSpan

from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import gen_ai as G

PYDANTIC_AI: Final = "pydantic-ai"
GOOGLE_ADK: Final = "gcp.vertex.agent"
SCOPES: Final = frozenset({PYDANTIC_AI, GOOGLE_ADK})
PYDANTIC_AI_RUN_ID: Final = "gen_ai.agent.call.id"
"""Pydantic AI's id of one agent run (its own attribute, on every span of the run)."""
ADK_SCHEMA_OPT_IN: Final = "ADK_TELEMETRY_SCHEMA_VERSION_OPT_IN"
"""ADK's schema switch: ``1`` / ``otel_semconv_1_36`` is its legacy span layout (with ``call_llm``)."""
MAX_RUNS = 4096
MAX_STEPS = 16384
_LLM_OPERATIONS = frozenset({"chat", "text_completion", "generate_content"})
_OUTPUT_TOOLS = ("final_result",)
"""Pydantic AI's output tool name (``final_result``, or ``final_result_<type>`` with several output types)."""


def _action(span: ReadableSpan, attributes: dict[str, Any]) -> tuple[str, str] | None:
    """(action type, step name) of a framework step span, ``None`` when it is not a step (the agent span)."""
    operation = attributes.get(G.GEN_AI_OPERATION_NAME)
    if operation == "execute_tool" or span.name.startswith("execute_tool"):
        tool = str(attributes.get(G.GEN_AI_TOOL_NAME) or span.name.removeprefix("execute_tool").strip())
        if tool.startswith(_OUTPUT_TOOLS):
            return A.AgentStepActionTypeValues.RESPONSE.value, tool
        return A.AgentStepActionTypeValues.TOOL_CALL.value, tool
    if operation in _LLM_OPERATIONS or span.name == "call_llm":
        return A.AgentStepActionTypeValues.LLM_CALL.value, "model request"
    return None


class FrameworkSpans:
    """The `Enricher` adding step index, action type and run id to Pydantic AI's and ADK's own spans."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next: OrderedDict[int, int] = OrderedDict()
        """Parent span id -> the next step index under it."""
        self._index: OrderedDict[int, int] = OrderedDict()
        """Span id -> the step index it was given."""

    def __call__(self, span: ReadableSpan, attributes: dict[str, Any]) -> None:
        scope = span.instrumentation_scope
        if scope is None or scope.name not in SCOPES:
            return
        run_id = attributes.get(PYDANTIC_AI_RUN_ID)
        if run_id is not None and A.AGENT_RUN_ID not in attributes:
            attributes[A.AGENT_RUN_ID] = str(run_id)
        action = _action(span, attributes)
        if action is None:
            if span.context is not None:
                with self._lock:
                    self._next.pop(span.context.span_id, None)  # the run ended: its steps are all numbered
            return
        attributes.setdefault(A.AGENT_STEP_ACTION_TYPE, action[0])
        attributes.setdefault(A.AGENT_STEP_NAME, action[1])
        if scope.name == GOOGLE_ADK and os.environ.get(ADK_SCHEMA_OPT_IN, "").strip() in ("1", "otel_semconv_1_36"):
            return
        if A.AGENT_STEP_INDEX not in attributes and span.context is not None and span.parent is not None:
            attributes[A.AGENT_STEP_INDEX] = self._step_index(span.context.span_id, span.parent.span_id)

    def _step_index(self, span_id: int, parent_id: int) -> int:
        with self._lock:
            known = self._index.get(span_id)
            if known is not None:
                return known
            index = self._next.get(parent_id, 0)
            self._next[parent_id] = index + 1
            self._next.move_to_end(parent_id)
            self._index[span_id] = index
            if len(self._next) > MAX_RUNS:
                self._next.popitem(last=False)
            if len(self._index) > MAX_STEPS:
                self._index.popitem(last=False)
            return index

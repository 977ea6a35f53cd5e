"""Our agent semantics on the spans frameworks emit themselves (Pydantic AI, Google ADK): an export-thread enricher.

Pydantic AI (scope ``pydantic-ai``) and Google ADK (scope ``gcp.vertex.agent``) record ``invoke_agent``, one LLM
span per model request (``chat {model}``, ADK's ``generate_content {model}``) and ``execute_tool {tool}``, with the
GenAI attributes, but none of ours. On export, `FrameworkSpans` adds what is derivable from the span and its
siblings:

- ``agent_trace.step.action_type``: ``llm_call`` on an LLM span (and on ADK's legacy ``call_llm``), ``tool_call``
  on a tool span, ``response`` on Pydantic AI's output tool (``final_result``, the structured final answer).
- ``agent_trace.step.index``: the position of the LLM/tool span among the steps of its agent run, numbered from 0
  in the order they are exported. Steps end one after another in both frameworks, so this is their order; tools
  the model asked for in one response and that ran concurrently are numbered as they ended. A run is the parent
  span, except with ADK's legacy schema (`_adk`: 2.11's default, 2.13 with ``ADK_TELEMETRY_SCHEMA_VERSION_OPT_IN=1``):
  there ``generate_content`` sits in a ``call_llm`` span that ends after the tools it led to, so its steps are
  numbered per agent (trace id and ``gen_ai.agent.name``, restarted when that ``invoke_agent`` span ends) as their
  ``generate_content`` and ``execute_tool`` spans end, and ``call_llm`` takes the index of its ``generate_content``.
- tokens once: a legacy ``call_llm`` repeats its ``generate_content``'s ``gen_ai.usage.*``; where that
  ``generate_content`` was seen, the copy on ``call_llm`` is dropped and ``agent_trace.llm.usage_source=provider``
  says where the tokens are (a viewer or query summing usage over spans counts each request once).
- ``agent_trace.step.name``: the tool name, or ``model request``.
- ``agent_trace.run.id``: the framework's own run id where it has one (Pydantic AI's ``gen_ai.agent.call.id``,
  on each of its spans), unless a run of ours already stamped one.
- ADK's legacy spans also read like the semconv-aligned ones (`_adk.LegacySchema`: ``invocation`` as
  ``invoke_workflow``, tool arguments and results as ``gen_ai.tool.call.*``, ADK's content off when ours is).

What is already on a span is never overwritten (but ADK's legacy content attributes, blanked when content capture
is off). Idempotent: a span enriched twice (``diagnose()`` runs the enrichers on copies) keeps its index. Memory is
bounded (`MAX_RUNS` runs, `MAX_STEPS` numbered spans, LRU).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Final

from opentelemetry.sdk.trace import ReadableSpan

from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import gen_ai as G

from ._adk import CALL_LLM, MERGED_TOOLS, TOOL_RESPONSE, LegacySchema

PYDANTIC_AI: Final = "pydantic-ai"
GOOGLE_ADK: Final = "gcp.vertex.agent"
SCOPES: Final = frozenset({PYDANTIC_AI, GOOGLE_ADK})
PYDANTIC_AI_RUN_ID: Final = "gen_ai.agent.call.id"
"""Pydantic AI's id of one agent run (its own attribute, on every span of the run)."""
ADK_LEGACY_SYSTEM: Final = "gen_ai.system"
"""On ADK's ``generate_content`` with the legacy schema only (semconv 1.36): the span is inside a ``call_llm``."""
MAX_RUNS = 4096
MAX_STEPS = 16384
_USAGE_PREFIX: Final = "gen_ai.usage."
_LLM_OPERATIONS = frozenset({"chat", "text_completion", "generate_content"})
_OUTPUT_TOOLS = ("final_result",)
"""Pydantic AI's output tool name (``final_result``, or ``final_result_<type>`` with several output types)."""


def _action(span: ReadableSpan, attributes: dict[str, Any]) -> tuple[str, str] | None:
    """(action type, step name) of a framework step span, ``None`` when it is not a step (the agent span)."""
    operation = attributes.get(G.GEN_AI_OPERATION_NAME)
    if operation == "execute_tool" or span.name.startswith("execute_tool"):
        tool = str(attributes.get(G.GEN_AI_TOOL_NAME) or span.name.removeprefix("execute_tool").strip())
        if tool == MERGED_TOOLS:
            return None  # ADK's record of parallel tools' merged response: the tools are the steps
        if tool.startswith(_OUTPUT_TOOLS):
            return A.AgentStepActionTypeValues.RESPONSE.value, tool
        return A.AgentStepActionTypeValues.TOOL_CALL.value, tool
    if operation in _LLM_OPERATIONS or span.name == CALL_LLM:
        return A.AgentStepActionTypeValues.LLM_CALL.value, "model request"
    return None


def _usage_below(attributes: dict[str, Any]) -> None:
    """A legacy ``call_llm`` repeats the usage of its ``generate_content``: kept there only, counted once."""
    for key in [key for key in attributes if key.startswith(_USAGE_PREFIX)]:
        del attributes[key]
    attributes[A.LLM_USAGE_SOURCE] = "provider"


def _adk_agent_key(span: ReadableSpan, attributes: dict[str, Any]) -> tuple[int, str] | None:
    """(trace id, agent name) numbering a legacy-schema ADK step, ``None`` for a step numbered under its parent."""
    legacy = ADK_LEGACY_SYSTEM in attributes or TOOL_RESPONSE in attributes
    agent = attributes.get(G.GEN_AI_AGENT_NAME)
    if not legacy or not isinstance(agent, str) or span.context is None:
        return None
    return span.context.trace_id, agent


class FrameworkSpans:
    """The `Enricher` adding step index, action type and run id to Pydantic AI's and ADK's own spans."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next: OrderedDict[Hashable, int] = OrderedDict()
        """Run (parent span id, or ADK legacy (trace id, agent name)) -> the next step index in it."""
        self._index: OrderedDict[int, int] = OrderedDict()
        """Span id -> the step index it was given (a legacy ``call_llm``: its ``generate_content``'s)."""
        self._legacy = LegacySchema()

    def __call__(self, span: ReadableSpan, attributes: dict[str, Any]) -> None:
        scope = span.instrumentation_scope
        if scope is None or scope.name not in SCOPES:
            return
        adk = scope.name == GOOGLE_ADK
        run_id = attributes.get(PYDANTIC_AI_RUN_ID)
        if run_id is not None and A.AGENT_RUN_ID not in attributes:
            attributes[A.AGENT_RUN_ID] = str(run_id)
        if adk:
            self._legacy.adopt(span, attributes)
        action = _action(span, attributes)
        if action is None:
            if span.context is not None:
                self._run_ended(span, attributes, adk)
            return
        attributes.setdefault(A.AGENT_STEP_ACTION_TYPE, action[0])
        attributes.setdefault(A.AGENT_STEP_NAME, action[1])
        if adk and span.name == CALL_LLM and span.context is not None and self._holds_request(span.context.span_id):
            _usage_below(attributes)
        if A.AGENT_STEP_INDEX in attributes or span.context is None or span.parent is None:
            return
        key = _adk_agent_key(span, attributes) if adk else None
        inner = key is not None and attributes.get(G.GEN_AI_OPERATION_NAME) in _LLM_OPERATIONS
        index = self._step_index(span.context.span_id, key or span.parent.span_id, span.parent.span_id, inner)
        attributes[A.AGENT_STEP_INDEX] = index

    def _run_ended(self, span: ReadableSpan, attributes: dict[str, Any], adk: bool) -> None:
        """A span that is no step ended: if it is an agent run, its steps are all numbered."""
        keys: list[Hashable] = [span.context.span_id] if span.context is not None else []
        if adk and attributes.get(G.GEN_AI_OPERATION_NAME) == G.GenAiOperationNameValues.INVOKE_AGENT.value:
            self._legacy.agent_ended(span, attributes)
            agent = attributes.get(G.GEN_AI_AGENT_NAME)
            if isinstance(agent, str) and span.context is not None:
                keys.append((span.context.trace_id, agent))
        with self._lock:
            for key in keys:
                self._next.pop(key, None)

    def _holds_request(self, span_id: int) -> bool:
        """Whether a ``generate_content`` under this legacy ``call_llm`` was numbered (it ended first, with usage)."""
        with self._lock:
            return span_id in self._index

    def _step_index(self, span_id: int, run: Hashable, parent_id: int, inner: bool) -> int:
        """The index of ``span_id`` in ``run``; ``inner``: a legacy ``generate_content``, whose parent shares it."""
        with self._lock:
            known = self._index.get(span_id)
            if known is not None:
                return known
            index = self._next.get(run, 0)
            self._next[run] = index + 1
            self._next.move_to_end(run)
            self._index[span_id] = index
            if inner and parent_id not in self._index:
                self._index[parent_id] = index  # the call_llm it sits in is this step too
            if len(self._next) > MAX_RUNS:
                self._next.popitem(last=False)
            while len(self._index) > MAX_STEPS:
                self._index.popitem(last=False)
            return index

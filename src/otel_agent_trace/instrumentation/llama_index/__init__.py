"""Trace LlamaIndex: agents and workflows, their steps, LLM calls, tools, retrievers and query engines.

Usage::

    from otel_agent_trace.instrumentation.llama_index import LlamaIndexInstrumentor

    LlamaIndexInstrumentor().instrument(tracer_provider=provider)  # capture_content=True to record messages

A span handler and an event handler are added to LlamaIndex's root dispatcher (``get_dispatcher()``), so every
``@dispatcher.span`` method is seen with its span id and its parent's; OTel spans follow that parentage, across
threads and the asyncio tasks of workflows. ``uninstrument()`` removes both handlers.

Configuration (keyword arguments of ``instrument()``):

- ``tracer_provider``: the provider to use (default: the global one).
- ``capture_content``: record messages, tool arguments/results, queries, retrieved nodes and step inputs/outputs
  (default: the ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` setting, read at call time).

Spans:

- ``invoke_agent {name}``: ``Workflow.run`` of an agent (``FunctionAgent``, ``ReActAgent``, ``CodeActAgent``: the
  agent's ``name``) or of any workflow (``AgentWorkflow`` and others: the class name). ``gen_ai.agent.name``,
  ``agent_trace.run.id``, ``gen_ai.agent.description``, ``agent_trace.agent.tools``; a run inside another one gets
  ``agent_trace.agent.parent_name``.
- ``step {step}``: a workflow step. ``agent_trace.step.index`` (order of start within the run),
  ``agent_trace.step.name``, ``agent_trace.step.action_type`` (``tool_call`` if a tool ran in it, ``llm_call`` if it
  only called models, ``retrieval`` if it only retrieved, else ``reasoning``).
- ``step {QueryEngine}``: ``query``/``aquery`` of a query engine, with the same step attributes.
- ``chat {model}`` / ``text_completion {model}`` (CLIENT): one span per LLM call (inner calls such as a
  ``CustomLLM``'s ``chat`` -> ``complete`` add none). GenAI request/response attributes, ``gen_ai.usage.*``,
  ``agent_trace.llm.tool_call.names``/``ids``, ``agent_trace.llm.usage_source``; a stream ends at its last chunk.
- ``execute_tool {name}``: ``BaseTool.call``/``acall``. ``gen_ai.tool.name``, ``gen_ai.tool.call.id`` (from the
  agent's ``ToolCall`` event), ``gen_ai.tool.description``, ``agent_trace.tool.status``/``latency_ms``.
- ``retrieval {Retriever}``: ``retrieve``/``aretrieve``. ``gen_ai.data_source.id``; query and nodes with capture.
- ``embeddings {model}`` (CLIENT): embedding calls.

Errors set status ERROR and ``error.type``; a parent that goes on after a child's error (an agent step whose tool
failed) gets an ``agent_trace.error`` event with ``handled=True``.
"""

from __future__ import annotations

import sys
from collections.abc import Collection
from types import ModuleType
from typing import Any

from otel_agent_trace.instrumentation._base import AgentInstrumentor

__all__ = ["LlamaIndexInstrumentor"]

_instruments = ("llama-index-core >= 0.12",)


class LlamaIndexInstrumentor(AgentInstrumentor):
    """Records LlamaIndex runs as agent, step, LLM, tool, retrieval and embedding spans."""

    _instruments = _instruments
    _module = "llama_index.core"
    _span_handler: Any = None
    _event_handler: Any = None

    def instrumentation_dependencies(self) -> Collection[str]:
        """The supported ``llama-index-core`` versions."""
        return _instruments

    def _patch(self, module: ModuleType, **kwargs: Any) -> None:
        from llama_index.core.instrumentation import get_dispatcher  # type: ignore[attr-defined]

        from otel_agent_trace.instrumentation.llama_index._handler import OTelEventHandler, OTelSpanHandler

        spans = OTelSpanHandler(self._tracer(kwargs), self._capture_content(kwargs))
        events = OTelEventHandler(spans)
        dispatcher = get_dispatcher()
        dispatcher.add_span_handler(spans)
        dispatcher.add_event_handler(events)
        self._span_handler = spans
        self._event_handler = events

    def _unpatch(self, **kwargs: Any) -> None:
        dispatcher = sys.modules["llama_index.core.instrumentation"].get_dispatcher()
        spans, events = self._span_handler, self._event_handler
        if spans is not None:
            spans.deactivate()
            dispatcher.span_handlers = [h for h in dispatcher.span_handlers if h is not spans]
        if events is not None:
            dispatcher.event_handlers = [h for h in dispatcher.event_handlers if h is not events]
        self._span_handler = self._event_handler = None

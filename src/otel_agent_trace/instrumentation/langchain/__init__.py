"""Trace LangChain and LangGraph: agents, graph nodes, routing decisions, chat models, tools and retrievers.

Usage::

    from otel_agent_trace.instrumentation.langchain import LangChainInstrumentor

    LangChainInstrumentor().instrument(tracer_provider=provider)  # capture_content=True to record state/messages

Every LangChain callback manager gets our callback handler (inheritable, added once), so every run is seen with
its ``run_id`` and ``parent_run_id``; spans follow that parentage, across LangGraph's thread pools and tasks.

Configuration (keyword arguments of ``instrument()``):

- ``tracer_provider``: the provider to use (default: the global one).
- ``capture_content``: record messages, tool arguments/results, node inputs/outputs and state diffs (default: the
  ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` setting, read at call time).

Spans:

- ``invoke_agent {graph}``: a LangGraph graph run (or an ``AgentExecutor``) at the top, or a graph run inside
  another run (a sub-agent, with ``agent_trace.agent.parent_name``). ``gen_ai.agent.name``, ``agent_trace.run.id``,
  ``gen_ai.conversation.id`` (from ``thread_id``), ``agent_trace.state.hash`` of the final state.
- ``step {node}``: a LangGraph node. ``agent_trace.step.index`` (``langgraph_step``), ``agent_trace.step.name``,
  ``agent_trace.step.action_type`` (``tool_call``, ``llm_call``, ``retrieval`` or ``reasoning``, from what ran in
  it), ``agent_trace.graph.edge`` (``"prev->node"``), ``agent_trace.graph.triggers``, ``agent_trace.state.hash`` of
  the state it received (``previous_hash``/``unchanged`` against the node before); with content capture
  ``agent_trace.step.input``/``output`` and ``agent_trace.state.diff``.
- ``decision {router}``: a conditional edge's router. ``agent_trace.decision.name``, ``.options`` (the branch
  targets, when LangGraph knows them), ``.chosen`` (comma-separated when it fans out with ``Send``).
- ``chat {model}`` / ``text_completion {model}`` (CLIENT): GenAI request/response attributes, token usage,
  ``agent_trace.llm.tool_call.names``/``ids``, ``agent_trace.llm.usage_source``; messages with content capture.
- ``execute_tool {name}``, ``retrieval {name}``, ``chain {name}`` (other runnables).

Errors set status ERROR and ``error.type``; a parent that goes on after a child's error gets an
``agent_trace.error`` event with ``handled=True``. Retries add ``agent_trace.error`` events with ``handler=retry``.
"""

from __future__ import annotations

import sys
from collections.abc import Collection
from types import ModuleType
from typing import Any

from opentelemetry.instrumentation.utils import unwrap
from wrapt import wrap_function_wrapper

from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace.instrumentation._base import AgentInstrumentor

__all__ = ["LangChainInstrumentor"]

_instruments = ("langchain-core >= 0.3",)
_CALLBACKS = "langchain_core.callbacks"


class _CallbackManagerInit:
    """Wraps ``BaseCallbackManager.__init__``: adds our handler (inheritable) to every manager, once."""

    __slots__ = ("_handler",)

    def __init__(self, handler: Any) -> None:
        self._handler = handler

    def __call__(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> None:
        wrapped(*args, **kwargs)
        with handle_internal_errors("langchain.BaseCallbackManager.__init__"):
            handler = self._handler
            for existing in instance.inheritable_handlers:
                if existing is handler:
                    return
            instance.add_handler(handler, True)


class LangChainInstrumentor(AgentInstrumentor):
    """Records LangChain/LangGraph runs as agent, step, decision, LLM, tool and retrieval spans."""

    _instruments = _instruments
    _module = _CALLBACKS
    _handler: Any = None

    def instrumentation_dependencies(self) -> Collection[str]:
        """The supported ``langchain-core`` versions."""
        return _instruments

    def _instrument(self, **kwargs: Any) -> None:
        super()._instrument(**kwargs)
        # A hook of its own (not one run from _patch): langgraph.pregel may be mid-import when callbacks load.
        self.when_imported("langgraph.pregel", _wrap_pregel)

    def _patch(self, module: ModuleType, **kwargs: Any) -> None:
        from ._callback_handler import OTelCallbackHandler

        self._handler = OTelCallbackHandler(self._tracer(kwargs), self._capture_content(kwargs))
        wrap_function_wrapper(module.BaseCallbackManager, "__init__", _CallbackManagerInit(self._handler))

    def _unpatch(self, **kwargs: Any) -> None:
        callbacks = sys.modules.get(_CALLBACKS)
        if callbacks is not None:
            unwrap(callbacks.BaseCallbackManager, "__init__")
        pregel = _pregel_class()
        if pregel is not None:
            unwrap(pregel, "stream")
            unwrap(pregel, "astream")
        handler = self._handler
        if handler is not None:
            handler.active = False  # managers made meanwhile keep it; it no longer records
            self._handler = None
        graph = sys.modules.get(f"{__name__}._graph")
        if graph is not None:
            graph.clear()


def _wrap_pregel(module: ModuleType) -> None:
    from . import _graph

    pregel = getattr(module, "Pregel", None)
    if isinstance(pregel, type):
        wrapper = _graph.StreamWrapper()
        wrap_function_wrapper(pregel, "stream", wrapper)
        wrap_function_wrapper(pregel, "astream", wrapper)


def _pregel_class() -> type | None:
    pregel = getattr(sys.modules.get("langgraph.pregel"), "Pregel", None)
    return pregel if isinstance(pregel, type) else None

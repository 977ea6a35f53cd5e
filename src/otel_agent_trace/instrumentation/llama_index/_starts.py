"""How the LlamaIndex span handler classifies a span on entry and starts the OTel span of a traced one.

One ``_start_*`` per kind (agent run, workflow step, query engine, LLM call, tool call, retriever, embedding): each
reads the attributes off the instance and the call's arguments; `_start` opens the span under the nearest traced
ancestor. The dispatcher hooks and the ends are in `_handler`.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from llama_index.core.instrumentation.span import BaseSpan
from llama_index.core.instrumentation.span_handlers import BaseSpanHandler
from llama_index.core.tools.types import BaseTool
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from pydantic import PrivateAttr

from otel_agent_trace._internal.context import ToolScope, use_tool
from otel_agent_trace._internal.serialize import safe_json_dumps
from otel_agent_trace.instrumentation.llama_index import _extract as X
from otel_agent_trace.instrumentation.llama_index._node import (
    _AGENT,
    _CHAT_METHODS,
    _COMPLETION_METHODS,
    _EMBEDDING,
    _LLM,
    _QUERY,
    _QUERY_METHODS,
    _RETRIEVER,
    _RETRIEVER_METHODS,
    _STEP,
    _TOOL,
    _TOOL_METHODS,
    _attach,
    _category,
    _method,
    _Node,
)
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import gen_ai as G


class SpanStarts(BaseSpanHandler[BaseSpan]):
    """The state of the span handler and the starts of its spans (`OTelSpanHandler` adds the hooks and the ends)."""

    _tracer: Any = PrivateAttr()
    _capture: Any = PrivateAttr()
    _nodes: dict[str, _Node] = PrivateAttr(default_factory=dict)
    _streams: dict[int, _Node] = PrivateAttr(default_factory=dict)
    _active: bool = PrivateAttr(default=True)

    # ------------------------------------------------------------------ classification

    def _classify(
        self, id_: str, bound_args: inspect.BoundArguments, instance: Any, parent_id: str | None, parent: _Node | None
    ) -> _Node | None:
        """The new node if ``id_`` is traced, else ``None`` (it then maps to ``parent``)."""
        owner, method = _method(id_)
        arguments = bound_args.arguments
        category = _category(instance) if instance is not None else None
        if category == _LLM:
            if method in _CHAT_METHODS or method in _COMPLETION_METHODS:
                if (parent is not None and parent.kind == _LLM) or self._inner_stream_call(instance, parent):
                    return None
                return self._start_llm(id_, instance, method, arguments, parent)
            return None
        if category == _TOOL:
            if method in _TOOL_METHODS and (parent is None or parent.kind != _TOOL):
                return self._start_tool(id_, instance, arguments, parent)
            return None
        if category == _RETRIEVER:
            if method in _RETRIEVER_METHODS and (parent is None or parent.kind != _RETRIEVER):
                return self._start_retriever(id_, instance, arguments, parent)
            return None
        if category == _QUERY:
            if method in _QUERY_METHODS:
                return self._start_query_engine(id_, instance, arguments, parent)
            return None
        if category == _EMBEDDING:
            if "embedding" in method and not method.startswith("_") and (parent is None or parent.kind != _EMBEDDING):
                return self._start_embedding(id_, instance, parent)
            return None
        if category == _AGENT:
            if method == "run":
                return self._start_agent(id_, instance, arguments, parent)
            return None
        if parent is not None and parent.kind == _AGENT and parent.id_ == parent_id:
            return self._start_step(id_, method or owner, arguments, parent)
        return None

    def _inner_stream_call(self, instance: Any, parent: _Node | None) -> bool:
        """A call an LLM's returned stream makes while it is read (``astream_chat`` -> ``stream_chat``)."""
        outer = self._streams.get(id(instance))
        return outer is not None and not outer.ended and not outer.first_chunk and outer.parent is parent

    def _start(
        self,
        id_: str,
        kind: str,
        name: str,
        span_name: str,
        span_kind: SpanKind,
        attrs: dict[str, Any],
        parent: _Node | None,
        attach: bool = True,
    ) -> _Node:
        agent = parent.agent if parent is not None else None
        if kind == _AGENT and agent is not None:
            attrs[A.AGENT_PARENT_NAME] = agent.name
        ctx = trace.set_span_in_context(parent.span) if parent is not None else None
        span = self._tracer.start_span(span_name, context=ctx, kind=span_kind, attributes=attrs)
        node = _Node(id_, kind, name, span, parent)
        if node.run_id is not None:
            span.set_attribute(A.AGENT_RUN_ID, node.run_id)
        if parent is not None:
            if parent.child_kinds is None:
                parent.child_kinds = set()
            parent.child_kinds.add(kind)
        if attach:
            _attach(node)
        return node

    def _start_agent(self, id_: str, instance: Any, arguments: Mapping[str, Any], parent: _Node | None) -> _Node:
        name = getattr(instance, "name", None)
        if not isinstance(name, str) or not name or name == "Agent":
            name = type(instance).__name__
        attrs: dict[str, Any] = {
            G.GEN_AI_OPERATION_NAME: G.GenAiOperationNameValues.INVOKE_AGENT.value,
            G.GEN_AI_AGENT_NAME: name,
        }
        description = getattr(instance, "description", None)
        if isinstance(description, str) and description:
            attrs[G.GEN_AI_AGENT_DESCRIPTION] = description
        llm = getattr(instance, "llm", None)
        if llm is not None:  # required on invoke_agent: the agent's LLM integration says it
            attrs[G.GEN_AI_PROVIDER_NAME] = X.provider_name(llm)
        tools = getattr(instance, "tools", None)
        if isinstance(tools, list):
            names = [t.metadata.get_name() for t in tools if isinstance(t, BaseTool)]
            if names:
                attrs[A.AGENT_TOOLS] = names
        if self._capture():
            inputs = {k: v for k, v in arguments.items() if k not in ("ctx", "kwargs")}
            inputs.update(arguments.get("kwargs") or {})
            attrs[A.AGENT_STEP_INPUT] = safe_json_dumps(inputs)
        # run() returns a future and ends in its done-callback: making the span current here would leak it into
        # the caller's context. Its steps find it through the LlamaIndex parent id instead.
        return self._start(id_, _AGENT, name, f"invoke_agent {name}", SpanKind.INTERNAL, attrs, parent, attach=False)

    def _start_step(self, id_: str, name: str, arguments: Mapping[str, Any], parent: _Node) -> _Node:
        steps = parent.steps
        attrs: dict[str, Any] = {
            A.AGENT_STEP_INDEX: next(steps) if steps is not None else 0,
            A.AGENT_STEP_NAME: name,
            G.GEN_AI_AGENT_NAME: parent.name,
        }
        event = arguments.get("ev")
        if self._capture():
            attrs[A.AGENT_STEP_INPUT] = safe_json_dumps(event)
        node = self._start(id_, _STEP, name, f"step {name}", SpanKind.INTERNAL, attrs, parent)
        call_id = getattr(event, "tool_id", None)
        if isinstance(call_id, str) and call_id:
            node.call_id = call_id
        return node

    def _start_query_engine(self, id_: str, instance: Any, arguments: Mapping[str, Any], parent: _Node | None) -> _Node:
        name = type(instance).__name__
        agent = parent.agent if parent is not None else None
        steps = agent.steps if agent is not None else None
        attrs: dict[str, Any] = {
            A.AGENT_STEP_INDEX: next(steps) if steps is not None else 0,
            A.AGENT_STEP_NAME: name,
        }
        if agent is not None:
            attrs[G.GEN_AI_AGENT_NAME] = agent.name
        if self._capture():
            query = X.query_text(arguments)
            if query is not None:
                attrs[A.AGENT_STEP_INPUT] = query
        return self._start(id_, _STEP, name, f"step {name}", SpanKind.INTERNAL, attrs, parent)

    def _start_llm(
        self, id_: str, instance: Any, method: str, arguments: Mapping[str, Any], parent: _Node | None
    ) -> _Node:
        chat = method in _CHAT_METHODS
        op = (G.GenAiOperationNameValues.CHAT if chat else G.GenAiOperationNameValues.TEXT_COMPLETION).value
        model = X.model_name(instance)
        provider_usage = X.provider_span_expected(instance)
        attrs: dict[str, Any] = {
            G.GEN_AI_OPERATION_NAME: op,
            G.GEN_AI_PROVIDER_NAME: X.provider_name(instance),
            A.AGENT_STEP_ACTION_TYPE: A.AgentStepActionTypeValues.LLM_CALL.value,
            A.LLM_USAGE_SOURCE: "provider" if provider_usage else "framework",
        }
        if model:
            attrs[G.GEN_AI_REQUEST_MODEL] = model
        if method.startswith(("stream", "astream")):
            attrs[G.GEN_AI_REQUEST_STREAM] = True
        X.llm_request_attributes(instance, attrs)
        if self._capture():
            messages = X.input_messages_json(arguments)
            if messages is not None:
                attrs[G.GEN_AI_INPUT_MESSAGES] = messages
        span_name = f"{op} {model}" if model else op
        node = self._start(id_, _LLM, str(model or op), span_name, SpanKind.CLIENT, attrs, parent)
        node.usage = not provider_usage
        return node

    def _start_tool(self, id_: str, instance: Any, arguments: Mapping[str, Any], parent: _Node | None) -> _Node:
        metadata = instance.metadata
        name = metadata.get_name()
        attrs: dict[str, Any] = {
            G.GEN_AI_OPERATION_NAME: G.GenAiOperationNameValues.EXECUTE_TOOL.value,
            G.GEN_AI_TOOL_NAME: name,
            G.GEN_AI_TOOL_TYPE: G.GenAiToolTypeValues.FUNCTION.value,
            A.AGENT_STEP_ACTION_TYPE: A.AgentStepActionTypeValues.TOOL_CALL.value,
        }
        call_id = parent.call_id if parent is not None else None
        if call_id is not None:
            attrs[G.GEN_AI_TOOL_CALL_ID] = call_id
        description = getattr(metadata, "description", None)
        if isinstance(description, str) and description:
            attrs[G.GEN_AI_TOOL_DESCRIPTION] = description
        if self._capture():
            attrs[G.GEN_AI_TOOL_CALL_ARGUMENTS] = safe_json_dumps(X.tool_arguments(arguments))
        node = self._start(id_, _TOOL, name, f"execute_tool {name}", SpanKind.INTERNAL, attrs, parent)
        scope = use_tool(ToolScope(name, call_id))
        scope.__enter__()
        node.tool_scope = scope
        return node

    def _start_retriever(self, id_: str, instance: Any, arguments: Mapping[str, Any], parent: _Node | None) -> _Node:
        name = type(instance).__name__
        attrs: dict[str, Any] = {
            G.GEN_AI_OPERATION_NAME: G.GenAiOperationNameValues.RETRIEVAL.value,
            G.GEN_AI_DATA_SOURCE_ID: name,
            A.AGENT_STEP_ACTION_TYPE: A.AgentStepActionTypeValues.RETRIEVAL.value,
        }
        if self._capture():
            query = X.query_text(arguments)
            if query is not None:
                attrs[G.GEN_AI_RETRIEVAL_QUERY_TEXT] = query
        return self._start(id_, _RETRIEVER, name, f"retrieval {name}", SpanKind.INTERNAL, attrs, parent)

    def _start_embedding(self, id_: str, instance: Any, parent: _Node | None) -> _Node:
        model = X.model_name(instance)
        op = G.GenAiOperationNameValues.EMBEDDINGS.value
        attrs: dict[str, Any] = {G.GEN_AI_OPERATION_NAME: op, G.GEN_AI_PROVIDER_NAME: X.provider_name(instance)}
        if model:
            attrs[G.GEN_AI_REQUEST_MODEL] = model
        span_name = f"{op} {model}" if model else op
        return self._start(id_, _EMBEDDING, str(model or op), span_name, SpanKind.CLIENT, attrs, parent)

"""The LlamaIndex span and event handlers that turn dispatcher spans into agent, step, LLM, tool and retrieval spans.

LlamaIndex calls ``span_enter``/``span_exit``/``span_drop`` around every ``@dispatcher.span`` method, with the span
id of the enclosing one (``parent_id``, kept in a ``ContextVar``, so it follows threads and asyncio tasks). Each id is
classified once on entry:

- a *traced* span (agent run, workflow step, LLM call, tool call, retriever, query engine, embedding) gets an OTel
  span whose parent is the nearest traced ancestor;
- any other span (parsers, synthesizers, node parsers) and an inner call of a traced one (``chat`` -> ``complete`` of
  a ``CustomLLM``, ``__call__`` -> ``call`` of a tool) only maps its id to that ancestor, so what runs under it nests
  correctly.

Only the entries whose ancestor is traced are kept; a streaming LLM call stays open until its end event arrives (or
its generator is garbage-collected).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.base.llms.base import BaseLLM
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.span import BaseSpan
from llama_index.core.instrumentation.span_handlers import BaseSpanHandler
from llama_index.core.tools.types import BaseTool
from opentelemetry import trace
from opentelemetry.context import _RUNTIME_CONTEXT
from opentelemetry.trace import Span, SpanKind
from pydantic import PrivateAttr

from otel_agent_trace._internal.context import ToolScope, is_enabled, use_tool
from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace._internal.replay import mark_result_kind
from otel_agent_trace._internal.serialize import safe_json_dumps
from otel_agent_trace._internal.tracing import error_event_attributes, record_failure
from otel_agent_trace.instrumentation.llama_index import _extract as X
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import error as E
from otel_agent_trace.semconv import gen_ai as G
from otel_agent_trace.semconv import tool as T

try:
    from workflows import Workflow as _Workflow
except ImportError:  # pragma: no cover - llama-index-core before the split-out workflows package
    from llama_index.core.workflow import Workflow as _Workflow

_AGENT = "agent"
_STEP = "step"
_LLM = "llm"
_TOOL = "tool"
_RETRIEVER = "retriever"
_EMBEDDING = "embedding"
_QUERY = "query"
_OTHER = "other"

_CHAT_METHODS = frozenset({"chat", "achat", "stream_chat", "astream_chat"})
_COMPLETION_METHODS = frozenset({"complete", "acomplete", "stream_complete", "astream_complete"})
_TOOL_METHODS = frozenset({"call", "acall", "__call__"})
_RETRIEVER_METHODS = frozenset({"retrieve", "aretrieve"})
_QUERY_METHODS = frozenset({"query", "aquery"})
_NOT_ERRORS = (asyncio.CancelledError, GeneratorExit)
"""Ends that are not failures: a workflow cancelling its leftover steps, a stream closed early."""
_MAX_NODES = 100_000
"""Open entries kept at most (spans whose end never arrives must not grow memory without bound)."""


class _Node:
    """One traced LlamaIndex span and its OTel span."""

    __slots__ = (
        "agent",
        "call_id",
        "child_errors",
        "child_kinds",
        "ended",
        "first_chunk",
        "id_",
        "instance_key",
        "kind",
        "lock",
        "name",
        "parent",
        "run_id",
        "span",
        "start_ns",
        "steps",
        "streaming",
        "token",
        "tool_scope",
        "usage",
    )

    def __init__(self, id_: str, kind: str, name: str, span: Span, parent: _Node | None) -> None:
        self.id_ = id_
        self.kind = kind
        self.name = name
        self.span = span
        self.parent = parent
        self.agent: _Node | None = self if kind == _AGENT else (parent.agent if parent is not None else None)
        self.steps: Iterator[int] | None = itertools.count() if kind == _AGENT else None
        self.call_id: str | None = None
        self.run_id: str | None = (
            uuid.uuid4().hex if kind == _AGENT else (parent.run_id if parent is not None else None)
        )
        self.child_errors: list[BaseException] | None = None
        self.child_kinds: set[str] | None = None
        self.token: object | None = None
        self.tool_scope: contextlib.AbstractContextManager[ToolScope] | None = None
        self.usage = True
        self.streaming = False
        self.first_chunk = False
        self.instance_key = 0
        self.start_ns = time.monotonic_ns()
        self.ended = False
        self.lock = threading.Lock()

    def claim_end(self) -> bool:
        """True exactly once: the caller ends the span."""
        with self.lock:
            if self.ended:
                return False
            self.ended = True
            return True


_CATEGORIES: dict[type, str] = {}
"""Classes seen -> what they are (``isinstance`` against LlamaIndex's ABCs is slow; asked once per class)."""


def _category(instance: Any) -> str:
    cls = type(instance)
    category = _CATEGORIES.get(cls)
    if category is None:
        category = _OTHER
        for base, name in (
            (BaseLLM, _LLM),
            (BaseTool, _TOOL),
            (BaseRetriever, _RETRIEVER),
            (BaseQueryEngine, _QUERY),
            (BaseEmbedding, _EMBEDDING),
            (_Workflow, _AGENT),
        ):
            if isinstance(instance, base):
                category = name
                break
        if len(_CATEGORIES) < 10_000:
            _CATEGORIES[cls] = category
    return category


def _method(id_: str) -> tuple[str, str]:
    """``("ReActAgent", "run")`` from ``"ReActAgent.run-<uuid>"``."""
    owner, _, method = id_.partition("-")[0].rpartition(".")
    return owner, method


def _attach(node: _Node) -> None:
    node.token = _RUNTIME_CONTEXT.attach(trace.set_span_in_context(node.span))


def _detach(node: _Node) -> None:
    scope = node.tool_scope
    if scope is not None:
        node.tool_scope = None
        with contextlib.suppress(Exception):  # exited in another context: nothing to restore there
            scope.__exit__(None, None, None)
    token = node.token
    if token is not None:
        node.token = None
        with contextlib.suppress(Exception):
            _RUNTIME_CONTEXT.detach(token)  # type: ignore[arg-type]


def _step_action(kinds: set[str] | None) -> str:
    kinds = kinds or set()
    if _TOOL in kinds:
        return A.AgentStepActionTypeValues.TOOL_CALL.value
    if _RETRIEVER in kinds and _LLM not in kinds:
        return A.AgentStepActionTypeValues.RETRIEVAL.value
    if kinds == {_LLM}:
        return A.AgentStepActionTypeValues.LLM_CALL.value
    return A.AgentStepActionTypeValues.REASONING.value


class OTelSpanHandler(BaseSpanHandler[BaseSpan]):
    """Records LlamaIndex spans as OpenTelemetry spans (see the module docstring)."""

    _tracer: Any = PrivateAttr()
    _capture: Any = PrivateAttr()
    _nodes: dict[str, _Node] = PrivateAttr(default_factory=dict)
    _streams: dict[int, _Node] = PrivateAttr(default_factory=dict)
    _active: bool = PrivateAttr(default=True)

    def __init__(self, tracer: trace.Tracer, capture: Callable[[], bool]) -> None:
        super().__init__()
        self._tracer = tracer
        self._capture = capture

    @classmethod
    def class_name(cls) -> str:
        """Name LlamaIndex shows for this handler."""
        return "OTelSpanHandler"

    def deactivate(self) -> None:
        """Stop recording (the dispatcher may still hold this handler until it is removed)."""
        self._active = False

    # ------------------------------------------------------------------ dispatcher hooks

    def span_enter(
        self,
        id_: str,
        bound_args: inspect.BoundArguments,
        instance: Any | None = None,
        parent_id: str | None = None,
        tags: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Classify the LlamaIndex span; start an OTel span for a traced one."""
        if not self._active or not is_enabled():
            return
        with handle_internal_errors("llama_index.span_enter"):
            nodes = self._nodes
            parent = nodes.get(parent_id) if parent_id is not None else None
            node = self._classify(id_, bound_args, instance, parent_id, parent)
            target = node if node is not None else parent
            if target is not None and len(nodes) < _MAX_NODES:
                nodes[id_] = target

    def span_exit(
        self,
        id_: str,
        bound_args: inspect.BoundArguments,
        instance: Any | None = None,
        result: Any | None = None,
        **kwargs: Any,
    ) -> None:
        """End the OTel span of a traced span (a returned stream ends at its end event)."""
        node = self._nodes.get(id_)
        if node is None:
            return
        with handle_internal_errors("llama_index.span_exit"):
            if node.id_ != id_:
                self._nodes.pop(id_, None)
                return
            _detach(node)
            if node.kind == _LLM and (inspect.isgenerator(result) or inspect.isasyncgen(result)):
                self._stream_started(node, result, instance)
                return
            self._nodes.pop(id_, None)
            if node.claim_end():
                self._finish(node, result)

    def span_drop(
        self,
        id_: str,
        bound_args: inspect.BoundArguments,
        instance: Any | None = None,
        err: BaseException | None = None,
        **kwargs: Any,
    ) -> None:
        """End the OTel span of a traced span with the error."""
        node = self._nodes.pop(id_, None)
        if node is None:
            return
        with handle_internal_errors("llama_index.span_drop"):
            if node.id_ != id_:
                return
            _detach(node)
            if node.claim_end():
                self._fail(node, err)

    # BaseSpanHandler's abstract hooks: span_enter/exit/drop above do the work without them.
    def new_span(self, *args: Any, **kwargs: Any) -> BaseSpan | None:
        """Unused (``span_enter`` is overridden)."""
        return None

    def prepare_to_exit_span(self, *args: Any, **kwargs: Any) -> BaseSpan | None:
        """Unused (``span_exit`` is overridden)."""
        return None

    def prepare_to_drop_span(self, *args: Any, **kwargs: Any) -> BaseSpan | None:
        """Unused (``span_drop`` is overridden)."""
        return None

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

    # ------------------------------------------------------------------ ends

    def _finish(self, node: _Node, result: Any) -> None:
        span = node.span
        try:
            capture = self._capture()
            kind = node.kind
            if kind == _LLM:
                attrs: dict[str, Any] = {}
                X.response_attributes(result, attrs, usage=node.usage, capture=capture)
                span.set_attributes(attrs)
            elif kind == _TOOL:
                error = getattr(result, "is_error", False) is True
                span.set_attribute(T.TOOL_STATUS, "error" if error else "ok")
                span.set_attribute(T.TOOL_LATENCY_MS, (time.monotonic_ns() - node.start_ns) / 1e6)
                if capture:
                    span.set_attribute(G.GEN_AI_TOOL_CALL_RESULT, safe_json_dumps(X.tool_result(result)))
                    mark_result_kind(span, X.tool_result(result))
            elif kind == _RETRIEVER:
                if capture:
                    span.set_attribute(A.AGENT_STEP_OUTPUT, X.nodes_json(result))
            elif kind in (_STEP, _AGENT):
                if kind == _STEP:
                    span.set_attribute(A.AGENT_STEP_ACTION_TYPE, _step_action(node.child_kinds))
                if capture:
                    output = getattr(result, "result", result) if kind == _AGENT else result
                    span.set_attribute(A.AGENT_STEP_OUTPUT, safe_json_dumps(output))
            if node.child_errors:
                for child_error in node.child_errors:
                    span.add_event(E.ERROR_EVENT_NAME, error_event_attributes(child_error, handled=True))
                span.set_attribute(E.ERROR_HANDLED, True)
        finally:
            span.end()

    def _fail(self, node: _Node, err: BaseException | None) -> None:
        span = node.span
        try:
            if node.kind == _TOOL:
                span.set_attribute(T.TOOL_STATUS, "error")
                span.set_attribute(T.TOOL_LATENCY_MS, (time.monotonic_ns() - node.start_ns) / 1e6)
            if err is not None and not isinstance(err, _NOT_ERRORS):
                record_failure(span, err)
                parent = node.parent
                if parent is not None:
                    if parent.child_errors is None:
                        parent.child_errors = []
                    parent.child_errors.append(err)
        finally:
            span.end()

    # ------------------------------------------------------------------ streams

    def _stream_started(self, node: _Node, stream: Any, instance: Any) -> None:
        """Keep a streaming LLM span open until its end event, an error event or the stream's collection."""
        node.streaming = True
        node.instance_key = id(instance)
        self._streams[node.instance_key] = node
        weakref.finalize(stream, self._stream_abandoned, node)

    def _stream_abandoned(self, node: _Node) -> None:
        with handle_internal_errors("llama_index.stream_abandoned"):
            self._stream_done(node)
            if node.claim_end():
                node.span.end()

    def _stream_done(self, node: _Node) -> None:
        self._nodes.pop(node.id_, None)
        if self._streams.get(node.instance_key) is node:
            del self._streams[node.instance_key]

    def on_event(self, event: Any) -> None:
        """Handle a LlamaIndex event of a streaming LLM span (chunks, end, error)."""
        span_id = event.span_id
        node = self._nodes.get(span_id) if span_id is not None else None
        if node is None or node.id_ != span_id or not node.streaming or node.ended:
            return
        kind = type(event).__name__
        if kind in ("LLMChatInProgressEvent", "LLMCompletionInProgressEvent"):
            if not node.first_chunk:
                node.first_chunk = True
                elapsed = (time.monotonic_ns() - node.start_ns) / 1e9
                node.span.set_attribute(G.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, elapsed)
        elif kind in ("LLMChatEndEvent", "LLMCompletionEndEvent"):
            self._stream_done(node)
            if node.claim_end():
                self._finish(node, event.response)
        elif kind == "ExceptionEvent":
            self._stream_done(node)
            if node.claim_end():
                self._fail(node, getattr(event, "exception", None))


class OTelEventHandler(BaseEventHandler):
    """Passes LlamaIndex events to the span handler (only streaming LLM spans need them)."""

    _spans: Any = PrivateAttr()

    def __init__(self, spans: OTelSpanHandler) -> None:
        super().__init__()
        self._spans = spans

    @classmethod
    def class_name(cls) -> str:
        """Name LlamaIndex shows for this handler."""
        return "OTelEventHandler"

    def handle(self, event: Any, **kwargs: Any) -> None:
        """Forward ``event`` to the span handler."""
        with handle_internal_errors("llama_index.event"):
            self._spans.on_event(event)

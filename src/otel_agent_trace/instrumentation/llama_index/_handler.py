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

import inspect
import time
import weakref
from collections.abc import Callable
from typing import Any

from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.span import BaseSpan
from opentelemetry import trace
from pydantic import PrivateAttr

from otel_agent_trace._internal.context import is_enabled
from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace._internal.replay import mark_result_kind
from otel_agent_trace._internal.serialize import safe_json_dumps
from otel_agent_trace._internal.tracing import error_event_attributes, record_failure
from otel_agent_trace.instrumentation.llama_index import _extract as X
from otel_agent_trace.instrumentation.llama_index._node import (
    _AGENT,
    _LLM,
    _MAX_NODES,
    _NOT_ERRORS,
    _RETRIEVER,
    _STEP,
    _TOOL,
    _detach,
    _Node,
    _step_action,
)
from otel_agent_trace.instrumentation.llama_index._starts import SpanStarts
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import error as E
from otel_agent_trace.semconv import gen_ai as G
from otel_agent_trace.semconv import tool as T


class OTelSpanHandler(SpanStarts):
    """Records LlamaIndex spans as OpenTelemetry spans (see the module docstring)."""

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

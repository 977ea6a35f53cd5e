"""A ``TracingProcessor`` of the Agents SDK that turns its traces and spans into OpenTelemetry spans.

Parentage follows the SDK's ids (``span.parent_id``, else the trace), not the ambient context, so spans made in
other asyncio tasks (tools run in parallel, guardrails) still land under the right agent. While an SDK span is
open its OTel span is also made current in the context where it started, so spans of other instrumentations
(HTTP calls made by a tool) nest under it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from agents.tracing import Span as SdkSpan
from agents.tracing import Trace as SdkTrace
from agents.tracing import TracingProcessor
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode

from otel_agent_trace._internal.context import (
    ToolScope,
    is_enabled,
    suppress_llm_instrumentation,
    use_tool,
)
from otel_agent_trace._internal.errors import guarded
from otel_agent_trace.instrumentation.openai_agents import _extract
from otel_agent_trace.semconv.agent import AGENT_PARENT_NAME, AGENT_STEP_INDEX
from otel_agent_trace.semconv.error import ERROR_MESSAGE, ERROR_TYPE
from otel_agent_trace.semconv.gen_ai import (
    GEN_AI_AGENT_NAME,
    GEN_AI_CONVERSATION_ID,
    GEN_AI_OPERATION_NAME,
    GEN_AI_WORKFLOW_NAME,
)
from otel_agent_trace.semconv.tool import TOOL_STATUS

_MISSING = object()
_ERROR_TYPES = {"function": "tool_error", "guardrail": "guardrail_error", "agent": "agent_error"}


class _AgentRun:
    """One run of one agent (one SDK agent span): its name and step counter."""

    __slots__ = ("_lock", "_next", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._next = 0
        self._lock = threading.Lock()

    def next_step(self) -> int:
        with self._lock:
            step = self._next
            self._next += 1
            return step


class _Record:
    """An open OTel span, the context token that made it current and the context managers entered with it."""

    __slots__ = ("agent", "managers", "span", "token")

    def __init__(self, span: Span, agent: _AgentRun | None) -> None:
        self.span = span
        self.agent = agent
        self.token: object | None = None
        self.managers: list[AbstractContextManager[Any]] = []

    def enter(self, managers: tuple[AbstractContextManager[Any], ...]) -> None:
        """Make the span current here, and enter ``managers`` (undone by `leave` if it runs in this context)."""
        self.token = otel_context.attach(trace.set_span_in_context(self.span))
        for manager in managers:
            manager.__enter__()
            self.managers.append(manager)

    def leave(self) -> None:
        """Undo `enter`, only where it was done: a span ended in another task leaves that task's context alone."""
        if self.token is None or trace.get_current_span() is not self.span:
            return
        for manager in reversed(self.managers):
            manager.__exit__(None, None, None)
        otel_context.detach(self.token)  # type: ignore[arg-type]


class OTelTracingProcessor(TracingProcessor):
    """Receives the Agents SDK's traces and spans and records them as OpenTelemetry spans."""

    def __init__(
        self, tracer: trace.Tracer, capture_content: Callable[[], bool], *, suppress_llm_spans: bool = True
    ) -> None:
        self._tracer = tracer
        self._capture_content = capture_content
        self._suppress_llm_spans = suppress_llm_spans
        self.active = True
        self._roots: dict[str, _Record] = {}
        self._spans: dict[str, _Record] = {}
        self._alias: dict[str, str | None] = {}
        self._handoffs: dict[tuple[str, str], tuple[str, Span]] = {}

    @guarded()
    def on_trace_start(self, trace: SdkTrace) -> None:
        """Start the workflow span of an SDK trace."""
        if not self.active or not is_enabled():
            return
        name = str(trace.name)
        attributes: dict[str, Any] = {
            GEN_AI_OPERATION_NAME: _extract.INVOKE_WORKFLOW,
            GEN_AI_WORKFLOW_NAME: name,
        }
        exported = trace.export() or {}
        group_id = exported.get("group_id")
        if isinstance(group_id, str):
            attributes[GEN_AI_CONVERSATION_ID] = group_id
        span = self._tracer.start_span(f"{_extract.INVOKE_WORKFLOW} {name}", attributes=attributes)
        record = _Record(span, None)
        record.enter(())
        self._roots[trace.trace_id] = record

    @guarded()
    def on_trace_end(self, trace: SdkTrace) -> None:
        """End the workflow span of an SDK trace."""
        record = self._roots.pop(trace.trace_id, None)
        for key in [key for key in self._handoffs if key[0] == trace.trace_id]:
            del self._handoffs[key]
        if record is not None:
            record.leave()
            record.span.end()

    def _parent_id(self, span_id: str | None) -> str | None:
        if span_id is not None and span_id in self._alias:
            return self._alias[span_id]
        return span_id

    @guarded()
    def on_span_start(self, span: SdkSpan[Any]) -> None:
        """Start the OTel span of an SDK span, under the OTel span of its SDK parent."""
        if not self.active or not is_enabled():
            return
        data = span.span_data
        kind = str(data.type)
        parent_id = self._parent_id(span.parent_id)
        if kind in _extract.TRANSPARENT:
            self._alias[span.span_id] = parent_id
            return
        parent = self._spans.get(parent_id) if parent_id is not None else None
        if parent is None:
            parent = self._roots.get(span.trace_id)
        context = trace.set_span_in_context(parent.span) if parent is not None else None
        attributes = dict(_extract.start_attributes(kind, data))
        links: list[Link] = []
        if kind == "agent":
            agent: _AgentRun | None = _AgentRun(str(data.name))
            handoff = self._handoffs.pop((span.trace_id, str(data.name)), None)
            if handoff is not None:
                attributes[AGENT_PARENT_NAME] = handoff[0]
                links.append(Link(handoff[1].get_span_context()))
        else:
            agent = parent.agent if parent is not None else None
            if agent is not None:
                attributes[AGENT_STEP_INDEX] = agent.next_step()
                attributes[GEN_AI_AGENT_NAME] = agent.name
                if kind == "handoff":
                    attributes[AGENT_PARENT_NAME] = agent.name
        otel_kind = SpanKind.CLIENT if kind in ("response", "generation") else SpanKind.INTERNAL
        otel_span = self._tracer.start_span(
            _extract.span_name(kind, data), context, otel_kind, attributes=attributes, links=links
        )
        record = _Record(otel_span, agent)
        self._spans[span.span_id] = record
        record.enter(self._managers(kind, data))

    def _managers(self, kind: str, data: Any) -> tuple[AbstractContextManager[Any], ...]:
        if kind == "function":
            return (use_tool(ToolScope(str(data.name))),)
        if kind in ("response", "generation") and self._suppress_llm_spans:
            return (suppress_llm_instrumentation(),)
        return ()

    @guarded()
    def on_span_end(self, span: SdkSpan[Any]) -> None:
        """Finish the OTel span of an SDK span: the attributes known at the end, the error, the end time."""
        if self._alias.pop(span.span_id, _MISSING) is not _MISSING:
            return
        record = self._spans.pop(span.span_id, None)
        if record is None:
            return
        try:
            self._finish(span, record.span)
        finally:
            record.leave()
            record.span.end()

    def _finish(self, span: SdkSpan[Any], otel_span: Span) -> None:
        data = span.span_data
        kind = str(data.type)
        otel_span.set_attributes(dict(_extract.end_attributes(kind, data, self._capture_content())))
        if kind == "response":
            model = getattr(data.response, "model", None)
            if isinstance(model, str):
                otel_span.update_name(f"{_extract.CHAT} {model}")
        elif kind == "handoff" and data.to_agent:
            otel_span.update_name(f"handoff {data.to_agent}")
            self._handoffs[(span.trace_id, str(data.to_agent))] = (str(data.from_agent or ""), otel_span)
        error = span.error
        if error:
            message = str(error.get("message") or "error")
            otel_span.set_status(Status(StatusCode.ERROR, message[:1024]))
            otel_span.set_attribute(ERROR_TYPE, _ERROR_TYPES.get(kind, f"{kind}_error"))
            otel_span.set_attribute(ERROR_MESSAGE, message)
        if kind == "function":
            otel_span.set_attribute(TOOL_STATUS, "error" if error else "ok")

    def shutdown(self) -> None:
        """Nothing to release: spans go to the OpenTelemetry tracer provider, which the application shuts down."""

    def force_flush(self) -> None:
        """Nothing buffered here: the OpenTelemetry span processors do their own flushing."""

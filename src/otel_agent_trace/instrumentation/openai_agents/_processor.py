"""A ``TracingProcessor`` of the Agents SDK that turns its traces and spans into OpenTelemetry spans.

Parentage follows the SDK's ids (``span.parent_id``, else the trace), not the ambient context, so spans made in
other asyncio tasks (tools run in parallel, guardrails) still land under the right agent. While an SDK span is
open its OTel span is also made current in the context where it started, so spans of other instrumentations
(HTTP calls made by a tool) nest under it; under a model-call span, HTTP and LLM SDK instrumentation is suppressed
(the model call is that span). The agent a handoff goes to starts under the handoff span (which the SDK has
already ended by then: a child that starts after its parent ended is valid OpenTelemetry), with a link to it too.

Errors: an SDK span error sets status ERROR, ``error.type`` and ``agent_trace.error.message``; an error the SDK
puts on a span we do not emit (``turn``) goes to the nearest emitted one. An exception propagating while a span or
the trace ends (``sys.exc_info()``, one that was not already in flight when it started) is recorded on it as
the exception event, status ERROR and ``error.type`` = its class: a tripped input guardrail's
``InputGuardrailTripwireTriggered`` is on the agent and workflow spans.
"""

from __future__ import annotations

import contextvars
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from agents.tracing import Span as SdkSpan
from agents.tracing import Trace as SdkTrace
from agents.tracing import TracingProcessor
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode

from otel_agent_trace._internal.context import (
    ToolScope,
    attach_span,
    is_enabled,
    suppress_llm_instrumentation,
    use_tool,
)
from otel_agent_trace._internal.errors import guarded
from otel_agent_trace._internal.replay import mark_result_kind
from otel_agent_trace._internal.serialize import safe_json_dumps, to_jsonable
from otel_agent_trace._internal.tracing import record_failure
from otel_agent_trace.instrumentation.openai_agents import _extract
from otel_agent_trace.semconv.agent import AGENT_PARENT_NAME, AGENT_STEP_INDEX
from otel_agent_trace.semconv.decision import DECISION_RATIONALE
from otel_agent_trace.semconv.error import ERROR_MESSAGE, ERROR_TYPE, EXCEPTION_MESSAGE, EXCEPTION_TYPE
from otel_agent_trace.semconv.gen_ai import (
    GEN_AI_AGENT_NAME,
    GEN_AI_CONVERSATION_ID,
    GEN_AI_OPERATION_NAME,
    GEN_AI_REQUEST_MODEL,
    GEN_AI_TOOL_CALL_ID,
    GEN_AI_WORKFLOW_NAME,
)
from otel_agent_trace.semconv.tool import TOOL_LATENCY_MS, TOOL_STATUS

_MISSING = object()
_ERROR_TYPES = {"function": "tool_error", "guardrail": "guardrail_error", "agent": "agent_error"}
_TRIPWIRE_TYPES = {
    "input": "agents.exceptions.InputGuardrailTripwireTriggered",
    "output": "agents.exceptions.OutputGuardrailTripwireTriggered",
}
_TRIPWIRE_MESSAGE = "Guardrail tripwire triggered"
_LLM_KINDS = ("response", "generation")


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

    __slots__ = (
        "agent",
        "detail",
        "exc_at_start",
        "kind",
        "managers",
        "pending_error",
        "span",
        "started",
        "token",
    )

    def __init__(self, span: Span, agent: _AgentRun | None, kind: str) -> None:
        self.span = span
        self.agent = agent
        self.kind = kind
        self.token: object | None = None
        self.managers: list[AbstractContextManager[Any]] = []
        self.started = time.perf_counter()
        self.exc_at_start = sys.exc_info()[1]
        self.pending_error: Any = None
        """An SDK error put on a span we do not emit below this one."""
        self.detail: dict[str, Any] = {}
        """What the patched SDK methods told while the span was open (call id, request model, guardrail kind)."""

    def enter(self, managers: tuple[AbstractContextManager[Any], ...], *, suppress_http: bool = False) -> None:
        """Make the span current here, and enter ``managers`` (undone by `leave` if it runs in this context)."""
        self.token = attach_span(self.span, suppress_http=suppress_http)
        for manager in (_use_record(self), *managers):
            self.add(manager)

    def add(self, manager: AbstractContextManager[Any]) -> None:
        """Enter one more context manager, undone by `leave`."""
        manager.__enter__()
        self.managers.append(manager)

    def leave(self) -> None:
        """Undo `enter`, only where it was done: a span ended in another task leaves that task's context alone."""
        if self.token is None or trace.get_current_span() is not self.span:
            return
        for manager in reversed(self.managers):
            manager.__exit__(None, None, None)
        otel_context.detach(self.token)  # type: ignore[arg-type]

    def new_exception(self) -> BaseException | None:
        """The exception propagating now, if it is an ``Exception`` not already in flight at the start."""
        exc = sys.exc_info()[1]
        if isinstance(exc, Exception) and exc is not self.exc_at_start:
            return exc
        return None


_current: contextvars.ContextVar[_Record | None] = contextvars.ContextVar("otel_agent_trace_agents_span", default=None)


@contextmanager
def _use_record(record: _Record) -> Iterator[None]:
    token = _current.set(record)
    try:
        yield
    finally:
        _current.reset(token)


def _open(kind: str) -> _Record | None:
    """The record of the SDK span open here, if it is of ``kind`` and still the current OTel span."""
    record = _current.get()
    if record is None or record.kind != kind or trace.get_current_span() is not record.span:
        return None
    return record


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
        self._tripped: dict[tuple[str, str], str] = {}
        """(trace id, guardrail name) of tripped guardrails: ``input`` or ``output``."""

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
        record = _Record(span, None, "trace")
        record.enter(())
        self._roots[trace.trace_id] = record

    @guarded()
    def on_trace_end(self, trace: SdkTrace) -> None:
        """End the workflow span of an SDK trace."""
        record = self._roots.pop(trace.trace_id, None)
        for key in [key for key in self._handoffs if key[0] == trace.trace_id]:
            del self._handoffs[key]
        for key in [key for key in self._tripped if key[0] == trace.trace_id]:
            del self._tripped[key]
        if record is None:
            return
        try:
            self._record_errors(record, None, trace.trace_id)
        finally:
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
        parent_span = parent.span if parent is not None else None
        attributes = dict(_extract.start_attributes(kind, data))
        links: list[Link] = []
        if kind == "agent":
            agent: _AgentRun | None = _AgentRun(str(data.name))
            handoff = self._handoffs.pop((span.trace_id, str(data.name)), None)
            if handoff is not None:
                attributes[AGENT_PARENT_NAME] = handoff[0]
                parent_span = handoff[1]
                links.append(Link(handoff[1].get_span_context()))
        else:
            agent = parent.agent if parent is not None else None
            if agent is not None:
                attributes[AGENT_STEP_INDEX] = agent.next_step()
                attributes[GEN_AI_AGENT_NAME] = agent.name
                if kind == "handoff":
                    attributes[AGENT_PARENT_NAME] = agent.name
        context = trace.set_span_in_context(parent_span) if parent_span is not None else None
        otel_kind = SpanKind.CLIENT if kind in _LLM_KINDS else SpanKind.INTERNAL
        otel_span = self._tracer.start_span(
            _extract.span_name(kind, data), context, otel_kind, attributes=attributes, links=links
        )
        record = _Record(otel_span, agent, kind)
        if kind == "function":
            record.detail["tool"] = str(data.name)
        self._spans[span.span_id] = record
        record.enter(self._managers(kind, data), suppress_http=kind in _LLM_KINDS)

    def _managers(self, kind: str, data: Any) -> tuple[AbstractContextManager[Any], ...]:
        if kind == "function":
            return (use_tool(ToolScope(str(data.name))),)
        if kind in _LLM_KINDS and self._suppress_llm_spans:
            return (suppress_llm_instrumentation(),)
        return ()

    def note_request(self, kwargs: Any) -> None:
        """The Responses API request the SDK built for the model-call span open here: the requested model."""
        record = _open("response")
        if record is None:
            return
        attributes = dict(_extract.request_attributes(kwargs, self._capture_content()))
        record.span.set_attributes(attributes)
        model = attributes.get(GEN_AI_REQUEST_MODEL)
        if isinstance(model, str):
            record.detail["request_model"] = model
            record.span.update_name(f"{_extract.CHAT} {model}")

    def note_completion(self, completion: Any) -> None:
        """The ``ChatCompletion`` of the generation span open here: the response id, model and finish reasons."""
        record = _open("generation")
        if record is not None:
            record.span.set_attributes(dict(_extract.completion_attributes(completion)))

    def note_tool_call(self, call_id: Any) -> None:
        """The tool call id of the function span open here (the SDK makes its ``ToolContext`` right after)."""
        record = _open("function")
        if record is None or "call_id" in record.detail or not isinstance(call_id, str) or not call_id:
            return
        record.detail["call_id"] = call_id
        record.span.set_attribute(GEN_AI_TOOL_CALL_ID, call_id)
        # HTTP spans made inside the tool carry the call id too
        record.add(use_tool(ToolScope(str(record.detail.get("tool", "")), call_id)))

    def note_guardrail(self, kind: str, output: Any) -> None:
        """The result of the guardrail whose span is open here: input or output guardrail, its ``output_info``."""
        record = _open("guardrail")
        if record is None:
            return
        record.detail["guardrail"] = kind
        info = getattr(output, "output_info", None)
        if info is not None and self._capture_content():
            record.span.set_attribute(DECISION_RATIONALE, safe_json_dumps(to_jsonable(info)))

    @guarded()
    def on_span_end(self, span: SdkSpan[Any]) -> None:
        """Finish the OTel span of an SDK span: the attributes known at the end, the error, the end time."""
        if self._alias.get(span.span_id, _MISSING) is not _MISSING:
            self._forward_error(span, self._alias.pop(span.span_id))
            return
        record = self._spans.pop(span.span_id, None)
        if record is None:
            return
        try:
            self._finish(span, record)
        finally:
            record.leave()
            record.span.end()

    def _forward_error(self, span: SdkSpan[Any], target_id: str | None) -> None:
        """Keep the error of a span we do not emit for its nearest emitted ancestor (the agent, or the trace)."""
        if not span.error:
            return
        target = self._spans.get(target_id) if target_id is not None else self._roots.get(span.trace_id)
        if target is not None and target.pending_error is None:
            target.pending_error = span.error

    def _finish(self, span: SdkSpan[Any], record: _Record) -> None:
        data = span.span_data
        kind = record.kind
        otel_span = record.span
        otel_span.set_attributes(dict(_extract.end_attributes(kind, data, self._capture_content())))
        if kind == "response" and "request_model" not in record.detail:
            model = getattr(data.response, "model", None)
            if isinstance(model, str):  # the request was not seen: name it after the model that answered
                otel_span.update_name(f"{_extract.CHAT} {model}")
        elif kind == "handoff" and data.to_agent:
            otel_span.update_name(f"handoff {data.to_agent}")
            self._handoffs[(span.trace_id, str(data.to_agent))] = (str(data.from_agent or ""), otel_span)
        elif kind == "guardrail" and data.triggered:
            guardrail = record.detail.get("guardrail")
            self._tripped[(span.trace_id, str(data.name))] = str(guardrail)
            otel_span.set_status(Status(StatusCode.ERROR, _TRIPWIRE_MESSAGE))
            otel_span.set_attribute(ERROR_TYPE, _TRIPWIRE_TYPES.get(str(guardrail), "guardrail_tripwire_triggered"))
        elif kind == "function":
            otel_span.set_attribute(TOOL_LATENCY_MS, (time.perf_counter() - record.started) * 1000.0)
            mark_result_kind(otel_span, data.output if self._capture_content() else None)
        self._record_errors(record, span.error, span.trace_id)
        if kind == "function":
            failed = bool(span.error) or record.new_exception() is not None
            otel_span.set_attribute(TOOL_STATUS, "error" if failed else "ok")

    def _record_errors(self, record: _Record, error: Any, trace_id: str) -> None:
        """The SDK's error of the span (or one forwarded to it), then the exception propagating now, if any.

        A guardrail tripwire the SDK reports only as a span error (a streamed run raises it later, from
        ``stream_events()``, after every span ended) gets an exception event of the exception the app receives,
        and is passed up to the workflow span.
        """
        error = error or record.pending_error
        tripwire = None
        message = ""
        if error:
            message = str(error.get("message") or "error") if isinstance(error, dict) else str(error)
            tripwire = self._tripwire(trace_id, error)
            record.span.set_status(Status(StatusCode.ERROR, message[:1024]))
            record.span.set_attribute(ERROR_TYPE, tripwire or _ERROR_TYPES.get(record.kind, f"{record.kind}_error"))
            record.span.set_attribute(ERROR_MESSAGE, message)
        exc = record.new_exception()
        if exc is not None:
            record_failure(record.span, exc)
        elif tripwire is not None:
            record.span.add_event("exception", {EXCEPTION_TYPE: tripwire, EXCEPTION_MESSAGE: message})
        if tripwire is not None and record.kind == "agent":
            root = self._roots.get(trace_id)
            if root is not None and root.pending_error is None:
                root.pending_error = error

    def _tripwire(self, trace_id: str, error: Any) -> str | None:
        """The exception type of a guardrail tripwire SDK error (``None`` for any other error)."""
        if not isinstance(error, dict) or error.get("message") != _TRIPWIRE_MESSAGE:
            return None
        data = error.get("data")
        data = data if isinstance(data, dict) else {}
        kind = {"input_guardrail": "input", "output_guardrail": "output"}.get(str(data.get("type")))
        if kind is None:
            kind = self._tripped.get((trace_id, str(data.get("guardrail"))))
        return _TRIPWIRE_TYPES.get(str(kind), "guardrail_tripwire_triggered")

    def shutdown(self) -> None:
        """Nothing to release: spans go to the OpenTelemetry tracer provider, which the application shuts down."""

    def force_flush(self) -> None:
        """Nothing buffered here: the OpenTelemetry span processors do their own flushing."""

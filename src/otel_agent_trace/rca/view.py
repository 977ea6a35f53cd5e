"""A read-only view of a trace as agent steps: what each span is, what went in and out, and how it failed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from otel_agent_trace.model import Span, Trace
from otel_agent_trace.semconv import (
    AGENT_PARENT_NAME,
    AGENT_STEP_ACTION_TYPE,
    AGENT_STEP_INPUT,
    AGENT_STEP_OUTPUT,
    DECISION_CHOSEN,
    DECISION_CONFIDENCE,
    DECISION_NAME,
    DECISION_OPTIONS,
    ERROR_EVENT_NAME,
    ERROR_HANDLED,
    ERROR_HANDLER,
    ERROR_MESSAGE,
    ERROR_TYPE,
    EXCEPTION_MESSAGE,
    EXCEPTION_TYPE,
    GEN_AI_AGENT_NAME,
    GEN_AI_INPUT_MESSAGES,
    GEN_AI_OPERATION_NAME,
    GEN_AI_OUTPUT_MESSAGES,
    GEN_AI_REQUEST_MODEL,
    GEN_AI_RETRIEVAL_QUERY_TEXT,
    GEN_AI_TOOL_CALL_ARGUMENTS,
    GEN_AI_TOOL_CALL_ID,
    GEN_AI_TOOL_CALL_RESULT,
    GEN_AI_TOOL_NAME,
)

from .values import parse_payload

_INPUT_KEYS = (AGENT_STEP_INPUT, GEN_AI_TOOL_CALL_ARGUMENTS, GEN_AI_INPUT_MESSAGES, GEN_AI_RETRIEVAL_QUERY_TEXT)
_OUTPUT_KEYS = (AGENT_STEP_OUTPUT, GEN_AI_TOOL_CALL_RESULT, GEN_AI_OUTPUT_MESSAGES, DECISION_CHOSEN)


@dataclass(frozen=True)
class ErrorInfo:
    """One error seen on a span: its status, an ``exception`` event or an ``agent_trace.error`` event."""

    span_id: str
    time_ns: int
    type: str
    message: str
    handled: bool
    handler: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return {
            "span_id": self.span_id,
            "time_ns": self.time_ns,
            "type": self.type,
            "message": self.message,
            "handled": self.handled,
            "handler": self.handler,
        }


def span_kind(span: Span) -> str:
    """What the span is: ``agent``, ``tool``, ``llm``, ``decision``, ``retrieval``, ``step`` or ``other``."""
    attrs = span.attributes
    operation = str(attrs.get(GEN_AI_OPERATION_NAME, ""))
    if operation in ("invoke_agent", "create_agent", "invoke_workflow"):
        return "agent"
    if operation == "execute_tool" or GEN_AI_TOOL_NAME in attrs:
        return "tool"
    if operation in ("chat", "text_completion", "generate_content", "embeddings"):
        return "llm"
    if operation == "retrieval":
        return "retrieval"
    if DECISION_NAME in attrs or DECISION_CHOSEN in attrs or span.name.startswith("decision "):
        return "decision"
    action = str(attrs.get(AGENT_STEP_ACTION_TYPE, ""))
    if action == "retrieval" and not span.name.startswith("step "):
        return "retrieval"
    if action or span.name.startswith("step "):
        return "step"
    return "other"


def span_label(span: Span) -> str:
    """The span's target: agent, tool, model or decision name, else the span name."""
    attrs = span.attributes
    for key in (GEN_AI_TOOL_NAME, DECISION_NAME, GEN_AI_AGENT_NAME, GEN_AI_REQUEST_MODEL):
        if key in attrs and (key != GEN_AI_AGENT_NAME or span_kind(span) == "agent"):
            return str(attrs[key])
    return span.name


def errors_of(span: Span, parent_failed: bool = True) -> list[ErrorInfo]:
    """Every error recorded on the span, earliest first; the status error last if no event describes it.

    An error status is handled when the span has a parent that did not fail (``parent_failed=False``): the caller
    caught the exception.
    """
    if not span.events and not span.is_error:
        return []  # most spans: nothing to look at
    out: list[ErrorInfo] = []
    handled_attr = bool(span.attributes.get(ERROR_HANDLED, False))
    for event in span.events:
        if event.name not in ("exception", ERROR_EVENT_NAME):
            continue
        attrs = event.attributes
        out.append(
            ErrorInfo(
                span.span_id,
                event.time_ns,
                str(attrs.get(EXCEPTION_TYPE, attrs.get(ERROR_TYPE, "Exception"))),
                str(attrs.get(EXCEPTION_MESSAGE, attrs.get(ERROR_MESSAGE, ""))),
                bool(attrs.get(ERROR_HANDLED, handled_attr or not (span.is_error and parent_failed))),
                str(attrs.get(ERROR_HANDLER, span.attributes.get(ERROR_HANDLER, ""))),
            )
        )
    if span.is_error and not any(e.handled == (not parent_failed) for e in out):
        out.append(
            ErrorInfo(
                span.span_id,
                span.end_ns,
                str(span.attributes.get(ERROR_TYPE, "error")),
                span.status_message or str(span.attributes.get(ERROR_MESSAGE, "")),
                not parent_failed,
            )
        )
    # one exception event and one agent_trace.error event often describe the same error
    seen: set[tuple[str, str, bool]] = set()
    unique = []
    for error in out:
        key = (error.type.rsplit(".", 1)[-1], error.message, error.handled)
        if key not in seen:
            seen.add(key)
            unique.append(error)
    return unique


class TraceView:
    """Indexes over one trace used by every analysis: kinds, payloads, errors, agents and ancestry."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.spans: tuple[Span, ...] = trace.spans
        self.by_id = trace.by_id
        self.order = {s.span_id: i for i, s in enumerate(self.spans)}
        self.kind = {s.span_id: span_kind(s) for s in self.spans}
        self.label = {s.span_id: span_label(s) for s in self.spans}
        self.parent: dict[str, str | None] = {
            s.span_id: (s.parent_span_id if s.parent_span_id in self.by_id else None) for s in self.spans
        }
        self.depth: dict[str, int] = {}
        for depth, span in trace.walk():
            self.depth[span.span_id] = depth
        self.errors = {s.span_id: errors_of(s, self._parent_failed(s)) for s in self.spans}

    def _parent_failed(self, span: Span) -> bool:
        parent = self.parent[span.span_id]
        return parent is None or self.by_id[parent].is_error

    @cached_property
    def inputs(self) -> dict[str, Any]:
        """Decoded input payload of each span that has one (step input, tool arguments, prompt messages)."""
        out: dict[str, Any] = {}
        for span in self.spans:
            parts = {k: parse_payload(span.attributes[k]) for k in _INPUT_KEYS if k in span.attributes}
            if parts:
                out[span.span_id] = parts
        return out

    @cached_property
    def outputs(self) -> dict[str, Any]:
        """Decoded output payload of each span that has one (step output, tool result, completion, choice)."""
        out: dict[str, Any] = {}
        for span in self.spans:
            parts = {k: parse_payload(span.attributes[k]) for k in _OUTPUT_KEYS if k in span.attributes}
            if parts:
                out[span.span_id] = parts
        return out

    @cached_property
    def agent_of(self) -> dict[str, str]:
        """Name of the agent each span runs in.

        An agent span names itself; another span runs in its nearest agent ancestor, unless it names its own agent
        (``gen_ai.agent.name``) and that ancestor is the run's root or there is none: a group chat or a replayed
        log, one named step per message under one session span.
        """
        out: dict[str, str] = {}
        holder: dict[str, str | None] = {}
        for _, span in self.trace.walk():
            span_id = span.span_id
            parent = self.parent[span_id]
            own = str(span.attributes.get(GEN_AI_AGENT_NAME, "") or "")
            inherited = holder.get(parent) if parent else None
            if self.kind[span_id] == "agent":
                out[span_id] = own or span.name.replace("invoke_agent ", "")
                holder[span_id] = span_id
            elif own and (inherited is None or self.parent[inherited] is None):
                out[span_id] = own
                holder[span_id] = inherited
            else:
                out[span_id] = out.get(parent, "") if parent else ""
                holder[span_id] = inherited
        return out

    def ancestors(self, span_id: str) -> list[str]:
        """Parent, grandparent... up to the root."""
        out: list[str] = []
        current = self.parent.get(span_id)
        while current is not None and len(out) < 10_000:
            out.append(current)
            current = self.parent.get(current)
        return out

    def is_ancestor(self, maybe_ancestor: str, span_id: str) -> bool:
        """Whether ``maybe_ancestor`` is a strict ancestor of ``span_id``."""
        depth = self.depth.get(maybe_ancestor, 0)
        current = self.parent.get(span_id)
        while current is not None:
            if current == maybe_ancestor:
                return True
            if self.depth.get(current, 0) <= depth:
                return False
            current = self.parent.get(current)
        return False

    def unhandled_errors(self) -> list[ErrorInfo]:
        """Errors nobody handled, earliest first."""
        return sorted((e for es in self.errors.values() for e in es if not e.handled), key=lambda e: e.time_ns)

    @cached_property
    def _all_errors(self) -> tuple[ErrorInfo, ...]:
        return tuple(
            sorted((e for es in self.errors.values() for e in es), key=lambda e: (e.time_ns, self.order[e.span_id]))
        )

    def all_errors(self) -> list[ErrorInfo]:
        """Every error, handled or not, earliest first (sorted once: analyses call this once per error)."""
        return list(self._all_errors)

    def describe(self, span_id: str) -> dict[str, Any]:
        """``{"span_id", "name", "type", "label", "agent"}`` of a span, for results."""
        span = self.by_id[span_id]
        return {
            "span_id": span_id,
            "name": span.name,
            "type": self.kind[span_id],
            "label": self.label[span_id],
            "agent": self.agent_of.get(span_id, ""),
        }

    def decision(self, span_id: str) -> dict[str, Any] | None:
        """The decision attributes of a decision span (name, options, chosen, confidence)."""
        attrs = self.by_id[span_id].attributes
        if DECISION_CHOSEN not in attrs and DECISION_NAME not in attrs:
            return None
        confidence = attrs.get(DECISION_CONFIDENCE)
        return {
            "name": attrs.get(DECISION_NAME, ""),
            "options": list(parse_payload(attrs.get(DECISION_OPTIONS, ())) or ()),
            "chosen": attrs.get(DECISION_CHOSEN),
            "confidence": float(confidence) if isinstance(confidence, (int, float)) else None,
        }

    def parent_agent_name(self, span_id: str) -> str:
        """``agent_trace.agent.parent_name`` of the span, if any."""
        return str(self.by_id[span_id].attributes.get(AGENT_PARENT_NAME, ""))

    def tool_call_id(self, span_id: str) -> str | None:
        """``gen_ai.tool.call.id`` of a tool span."""
        value = self.by_id[span_id].attributes.get(GEN_AI_TOOL_CALL_ID)
        return None if value is None else str(value)


def failure_span(view: TraceView) -> str | None:
    """The span where the run's failure surfaced, or ``None`` for a run that did not fail.

    From a failed root, follow failed children (the earliest to end) down to the deepest one: that is where the
    exception that ended the run was raised. A run whose root did not fail but holds an error nobody handled fails
    at the last such error.
    """
    for root in view.trace.roots:
        if root.is_error:
            current = root.span_id
            while True:
                failed = [c for c in view.trace.children.get(current, []) if c.is_error]
                if not failed:
                    return current
                current = min(failed, key=lambda c: c.end_ns).span_id
    unhandled = view.unhandled_errors()
    return unhandled[-1].span_id if unhandled else None


_STEP_KINDS = ("tool", "llm", "decision", "retrieval", "step", "agent")


def step_spans(view: TraceView, kinds: Iterable[str] = _STEP_KINDS) -> list[str]:
    """Ids of spans of the given kinds, roots excluded, in start order."""
    wanted = set(kinds)
    return [s.span_id for s in view.spans if view.kind[s.span_id] in wanted and view.parent[s.span_id] is not None]

"""Span plumbing of the AG2 Classic wrappers: sync/async call shapes, adopting AG2's own spans, chat state.

Each wrapper has a ``begin`` (guarded: a fault there calls straight through) and an ``end`` (guarded); `Wrapper`
calls them around a sync method and `AsyncWrapper` around a coroutine method, so the user's exceptions and return
values pass unchanged.

AG2's own opt-in OpenTelemetry (``autogen.opentelemetry.instrument_agent``) wraps agent instances, so its span for a
call is current when our class-level wrapper of the same call runs: we then adopt it (`open_span`: renamed to our
name, our attributes added, left to AG2 to end) instead of making a second span for the same operation. An adopted
agent span is a turn: its ``gen_ai.operation.name`` becomes `STEP_OPERATION` (AG2's ``ag2.span.type`` stays).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind

from otel_agent_trace._internal.context import RunState, attach_span, is_enabled
from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace.semconv.gen_ai import GEN_AI_OPERATION_NAME

AG2_SCOPE = "opentelemetry.instrumentation.ag2"
"""The instrumentation scope of AG2's own spans."""
AG2_SPAN_TYPE = "ag2.span.type"
STEP_OPERATION = "step"
"""``gen_ai.operation.name`` of an adopted AG2 agent span: it is our turn (``step {agent}``), not an agent
invocation, so it must not keep AG2's ``invoke_agent`` (readers, the RCA included, would count each turn as an
agent). Our own step spans carry no operation name; both read as steps (name ``step ``, action type)."""


class Config:
    """What every wrapper needs: the tracer and the content switch."""

    __slots__ = ("capture", "tracer")

    def __init__(self, tracer: trace.Tracer, capture: Callable[[], bool]) -> None:
        self.tracer = tracer
        self.capture = capture


class Chat:
    """One chat (two-agent ``initiate_chat`` or group chat ``run_chat``): its span, run, message-id key, outcome."""

    __slots__ = ("groupchat", "handoff", "key", "no_reply", "no_speaker", "reason", "run", "span")

    def __init__(self, span: Span, run: RunState, groupchat: Any = None) -> None:
        self.span = span
        self.run = run
        self.key = run.run_id[:12]
        self.groupchat = groupchat
        self.no_reply = False
        self.no_speaker = False
        self.reason: str | None = None
        """AG2's own termination reason (its ``TerminationEvent``), the last one of the chat."""
        self.handoff: dict[str, str] | None = None
        """A handoff a turn decided (an LLM ``OnCondition``, a tool's ``ReplyResult``), for the next selection."""


current_chat: contextvars.ContextVar[Chat | None] = contextvars.ContextVar("otel_agent_trace_ag2c_chat", default=None)
selecting: contextvars.ContextVar[Span | None] = contextvars.ContextVar("otel_agent_trace_ag2c_select", default=None)
"""The speaker selection in progress: the selector's internal agents and chats are not steps of their own."""


def adoptable(kind: str) -> Span | None:
    """AG2's own span of this ``ag2.span.type``, if it is the current span."""
    span = trace.get_current_span()
    scope = getattr(span, "instrumentation_scope", None)
    if getattr(scope, "name", None) != AG2_SCOPE or not span.is_recording():
        return None
    attributes = getattr(span, "attributes", None) or {}
    return span if attributes.get(AG2_SPAN_TYPE) == kind else None


class Opened:
    """A span we made (``owned``) or adopted from AG2, with the context token of ours."""

    __slots__ = ("data", "owned", "span", "tokens")

    def __init__(self, span: Span, owned: bool) -> None:
        self.span = span
        self.owned = owned
        self.tokens: list[Any] = []
        self.data: dict[str, Any] = {}

    def attach(self) -> None:
        if self.owned:
            self.tokens.append(attach_span(self.span, suppress_http=False))

    def detach(self) -> None:
        for token in reversed(self.tokens):
            with handle_internal_errors("ag2_classic.detach"):
                if isinstance(token, tuple):
                    var, tok = token
                    var.reset(tok)
                else:
                    otel_context.detach(token)
        self.tokens = []

    def set_var(self, var: contextvars.ContextVar[Any], value: Any) -> None:
        self.tokens.append((var, var.set(value)))

    def finish(self) -> None:
        if self.owned:
            self.span.end()


def open_span(config: Config, name: str, attrs: dict[str, Any], kind: str) -> Opened:
    """Our span ``name`` (child of the current one), or AG2's current span of ``kind`` adopted under that name."""
    theirs = adoptable(kind)
    if theirs is not None:
        theirs.update_name(name)
        theirs.set_attributes(attrs)
        if kind == "agent":
            theirs.set_attribute(GEN_AI_OPERATION_NAME, STEP_OPERATION)
        return Opened(theirs, owned=False)
    return Opened(config.tracer.start_span(name, kind=SpanKind.INTERNAL, attributes=attrs), owned=True)


class Wrapper:
    """A sync method wrapper: ``begin`` -> call -> ``end`` (subclasses implement both)."""

    label = "ag2_classic"

    def __init__(self, config: Config) -> None:
        self.config = config

    def begin(self, instance: Any, args: Any, kwargs: Any) -> Opened | None:
        raise NotImplementedError

    def end(self, opened: Opened, result: Any, exc: BaseException | None) -> None:
        raise NotImplementedError

    def _start(self, instance: Any, args: Any, kwargs: Any) -> Opened | None:
        if not is_enabled():
            return None
        opened: Opened | None = None
        with handle_internal_errors(f"{self.label}.start"):
            opened = self.begin(instance, args, kwargs)
            if opened is not None:
                opened.attach()
        return opened

    def _stop(self, opened: Opened, result: Any, exc: BaseException | None) -> None:
        opened.detach()
        with handle_internal_errors(f"{self.label}.end"):
            self.end(opened, result, exc)
        with handle_internal_errors(f"{self.label}.finish"):
            opened.finish()

    def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        opened = self._start(instance, args, kwargs)
        if opened is None:
            return wrapped(*args, **kwargs)
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as exc:
            self._stop(opened, None, exc)
            raise
        self._stop(opened, result, None)
        return result


class AsyncWrapper(Wrapper):
    """The same around a coroutine method."""

    async def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        opened = self._start(instance, args, kwargs)
        if opened is None:
            return await wrapped(*args, **kwargs)
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as exc:
            self._stop(opened, None, exc)
            raise
        self._stop(opened, result, None)
        return result

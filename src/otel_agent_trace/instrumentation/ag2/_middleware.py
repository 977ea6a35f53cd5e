"""Our AG2 middleware: the ``invoke_agent`` span of a turn, a ``step`` per loop iteration, ``execute_tool`` spans.

`DriveScopeWrapper` wraps ``Agent._drive_scope`` (every turn enters it) and adds a factory of `TracingMiddleware`
to the turn's ``additional_middleware``; AG2 then makes one instance per turn. A step starts with each LLM call and
lasts until the next one (or the end of the turn), so the tool calls that LLM call requested are its children:
agent -> step -> chat / execute_tool, the shape LangGraph gives.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Sequence
from typing import Any

from ag2.middleware.base import AgentTurn, BaseMiddleware, LLMCall, ToolExecution, ToolResultType
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind

from otel_agent_trace._internal.context import (
    RunState,
    ToolScope,
    attach_span,
    is_enabled,
    suppress_llm_instrumentation,
    use_run,
    use_tool,
)
from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace._internal.serialize import safe_json_dumps
from otel_agent_trace._internal.tracing import record_failure, safe_str
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import gen_ai as G
from otel_agent_trace.semconv import tool as T

_RESPONSE = A.AgentStepActionTypeValues.RESPONSE.value
_TOOL_CALL = A.AgentStepActionTypeValues.TOOL_CALL.value
_MAX_PARTS = 64


class Config:
    """What the middleware needs: the tracer and the content switch."""

    __slots__ = ("capture", "tracer")

    def __init__(self, tracer: trace.Tracer, capture: Callable[[], bool]) -> None:
        self.tracer = tracer
        self.capture = capture


def agent_name(agent: Any) -> str:
    """The agent's ``name`` as text (its class name when it has none usable)."""
    name = getattr(agent, "name", None)
    return name if isinstance(name, str) and name else type(agent).__name__


def result_text(result: Any) -> str:
    """A ``ToolResult``'s parts as text (text parts as is, data as JSON, other parts by their URL or type)."""
    parts = getattr(result, "parts", None)
    if not isinstance(parts, (list, tuple)):
        return safe_str(result)
    texts: list[str] = []
    for part in parts[:_MAX_PARTS]:
        content = getattr(part, "content", None)
        if isinstance(content, str):
            texts.append(content)
        elif hasattr(part, "data"):
            texts.append(safe_json_dumps(part.data))
        else:
            url = getattr(part, "url", None)
            texts.append(url if isinstance(url, str) else f"<{type(part).__name__}>")
    return "\n".join(texts)


def reply_text(message: Any) -> str | None:
    """The text of a ``ModelResponse`` (``None`` when it has none)."""
    content = getattr(message, "content", None)
    return content if isinstance(content, str) else None


class PendingStep:
    """A Network turn's ``step`` span, started only when the turn runs its agent (`DriveScopeWrapper`).

    A turn the handler skips (not this agent's turn, a redelivery, a closed channel, nothing to answer) never
    enters ``_drive_scope``, so it makes no span and takes no step index.
    """

    __slots__ = ("open", "span")

    def __init__(self, open_span: Callable[[], Span]) -> None:
        self.open = open_span
        self.span: Span | None = None

    def start(self) -> Span:
        """The step span, started on first use."""
        if self.span is None:
            self.span = self.open()
        return self.span


pending_step: contextvars.ContextVar[PendingStep | None] = contextvars.ContextVar(
    "otel_agent_trace_ag2_pending_step", default=None
)


class _InStep:
    """``_drive_scope``'s context manager, entered with the Network turn's step span current."""

    __slots__ = ("inner", "pending", "token")

    def __init__(self, inner: Any, pending: PendingStep) -> None:
        self.inner = inner
        self.pending = pending
        self.token: Any = None

    async def __aenter__(self) -> Any:
        with handle_internal_errors("ag2.network.step.start"):
            self.token = attach_span(self.pending.start(), suppress_http=False)
        try:
            return await self.inner.__aenter__()
        except BaseException:
            self._detach()
            raise

    async def __aexit__(self, *exc: Any) -> Any:
        try:
            return await self.inner.__aexit__(*exc)
        finally:
            self._detach()

    def _detach(self) -> None:
        if self.token is not None:
            with handle_internal_errors("ag2.network.step.detach"):
                otel_context.detach(self.token)
            self.token = None


class DriveScopeWrapper:
    """``Agent._drive_scope``: the turn runs with our middleware first among the call's additional ones."""

    def __init__(self, config: Config) -> None:
        self.config = config

    def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        pending: PendingStep | None = None
        if is_enabled():
            with handle_internal_errors("ag2.drive_scope"):
                extra = tuple(kwargs.get("additional_middleware", ()) or ())
                own = tuple(getattr(instance, "_middleware", ()) or ())
                factory: Any = _Factory(self.config, instance)
                if any(_is_ag2_telemetry(m) for m in (*own, *extra)):
                    factory = _StepAsideFactory()
                kwargs = {**kwargs, "additional_middleware": (factory, *extra)}
                pending = pending_step.get()
        scope = wrapped(*args, **kwargs)
        if pending is None or pending.span is not None or not hasattr(scope, "__aenter__"):
            return scope
        return _InStep(scope, pending)


def _is_ag2_telemetry(factory: Any) -> bool:
    """Whether ``factory`` is AG2's own ``TelemetryMiddleware`` (its spans then stand for the turn)."""
    kind = type(factory)
    return kind.__name__ == "TelemetryMiddleware" and kind.__module__.startswith("ag2.")


class _StepAsideFactory:
    """With AG2's ``TelemetryMiddleware`` on the turn: no spans of ours; its ``chat`` span is the LLM call's."""

    __slots__ = ()

    def __call__(self, event: Any, context: Any) -> BaseMiddleware:
        return _StepAside(event, context)


class _StepAside(BaseMiddleware):
    """Calls through; the LLM SDK instrumentors make no span for the turn's LLM calls (AG2's ``chat`` has them)."""

    async def on_llm_call(self, call_next: LLMCall, events: Sequence[Any], context: Any) -> Any:
        with suppress_llm_instrumentation():
            return await call_next(events, context)


class _Factory:
    """The ``MiddlewareFactory`` AG2 calls once per turn."""

    __slots__ = ("agent", "config")

    def __init__(self, config: Config, agent: Any) -> None:
        self.config = config
        self.agent = agent

    def __call__(self, event: Any, context: Any) -> BaseMiddleware:
        return TracingMiddleware(event, context, self.config, self.agent)


class TracingMiddleware(BaseMiddleware):
    """One agent turn's spans. Every hook calls through unchanged; only our own code is guarded."""

    def __init__(self, event: Any, context: Any, config: Config, agent: Any) -> None:
        super().__init__(event, context)
        self._config = config
        self._name = agent_name(agent)
        self._run = RunState(agent_name=self._name)
        self._agent_span: Span | None = None
        self._step: Span | None = None

    # --- the turn -------------------------------------------------------------------------------------------------

    async def on_turn(self, call_next: AgentTurn, event: Any, context: Any) -> Any:
        span: Span | None = None
        token: Any = None
        with handle_internal_errors("ag2.turn.start"):
            attrs: dict[str, Any] = {
                G.GEN_AI_OPERATION_NAME: G.GenAiOperationNameValues.INVOKE_AGENT.value,
                G.GEN_AI_AGENT_NAME: self._name,
                A.AGENT_RUN_ID: self._run.run_id,
            }
            span = self._config.tracer.start_span(
                f"invoke_agent {self._name}", kind=SpanKind.INTERNAL, attributes=attrs
            )
            self._run.span = span
            self._agent_span = span
            token = attach_span(span, suppress_http=False)
        if span is None:
            return await call_next(event, context)
        try:
            with use_run(self._run):
                message = await call_next(event, context)
        except BaseException as exc:
            self._end_turn(span, token, None, exc)
            raise
        self._end_turn(span, token, message, None)
        return message

    def _end_turn(self, span: Span, token: Any, message: Any, exc: BaseException | None) -> None:
        with handle_internal_errors("ag2.turn.end"):
            otel_context.detach(token)
            self._end_step(exc)
            if message is not None and self._config.capture():
                text = reply_text(message)
                if text is not None:
                    span.set_attribute(G.GEN_AI_OUTPUT_MESSAGES, safe_json_dumps([_assistant(text)]))
            if exc is not None:
                record_failure(span, exc)
            span.end()

    # --- steps: one per LLM call ----------------------------------------------------------------------------------

    async def on_llm_call(self, call_next: LLMCall, events: Sequence[Any], context: Any) -> Any:
        step: Span | None = None
        token: Any = None
        with handle_internal_errors("ag2.step.start"):
            self._end_step(None)
            attrs: dict[str, Any] = {
                A.AGENT_STEP_NAME: self._name,
                A.AGENT_STEP_INDEX: self._run.next_step(),
                A.AGENT_STEP_ACTION_TYPE: _RESPONSE,
                A.AGENT_RUN_ID: self._run.run_id,
                G.GEN_AI_AGENT_NAME: self._name,
            }
            parent = trace.set_span_in_context(self._agent_span) if self._agent_span is not None else None
            step = self._config.tracer.start_span(
                f"step {self._name}", context=parent, kind=SpanKind.INTERNAL, attributes=attrs
            )
            self._step = step
            token = attach_span(step, suppress_http=False)
        if step is None:
            return await call_next(events, context)
        try:
            response = await call_next(events, context)
        except BaseException as exc:
            with handle_internal_errors("ag2.step.error"):
                otel_context.detach(token)
                self._end_step(exc)
            raise
        with handle_internal_errors("ag2.step.response"):
            otel_context.detach(token)
            calls = list(getattr(getattr(response, "tool_calls", None), "calls", None) or ())
            if calls:
                step.set_attribute(A.AGENT_STEP_ACTION_TYPE, _TOOL_CALL)
                step.set_attribute(A.LLM_TOOL_CALL_NAMES, [safe_str(getattr(c, "name", "")) for c in calls])
                step.set_attribute(A.LLM_TOOL_CALL_IDS, [safe_str(getattr(c, "id", "")) for c in calls])
            if self._config.capture():
                text = reply_text(response)
                if text is not None:
                    step.set_attribute(A.AGENT_STEP_OUTPUT, safe_json_dumps(text))
        return response

    def _end_step(self, exc: BaseException | None) -> None:
        step, self._step = self._step, None
        if step is not None:
            if exc is not None:
                record_failure(step, exc)
            step.end()

    # --- tools ----------------------------------------------------------------------------------------------------

    async def on_tool_execution(self, call_next: ToolExecution, event: Any, context: Any) -> ToolResultType:
        span: Span | None = None
        token: Any = None
        name = "tool"
        call_id: str | None = None
        with handle_internal_errors("ag2.tool.start"):
            name = safe_str(getattr(event, "name", None) or "tool")
            raw_id = getattr(event, "id", None)
            call_id = raw_id if isinstance(raw_id, str) else None
            attrs: dict[str, Any] = {
                G.GEN_AI_OPERATION_NAME: G.GenAiOperationNameValues.EXECUTE_TOOL.value,
                G.GEN_AI_TOOL_NAME: name,
                G.GEN_AI_TOOL_TYPE: G.GenAiToolTypeValues.FUNCTION.value,
            }
            if call_id is not None:
                attrs[G.GEN_AI_TOOL_CALL_ID] = call_id
            if self._config.capture():
                attrs[G.GEN_AI_TOOL_CALL_ARGUMENTS] = safe_str(getattr(event, "arguments", ""))
            owner = self._step or self._agent_span
            parent = trace.set_span_in_context(owner) if owner is not None else None
            span = self._config.tracer.start_span(
                f"execute_tool {name}", context=parent, kind=SpanKind.INTERNAL, attributes=attrs
            )
            token = attach_span(span, suppress_http=False)
        if span is None:
            return await call_next(event, context)
        started = time.perf_counter()
        try:
            with use_tool(ToolScope(name, call_id)):
                result = await call_next(event, context)
        except BaseException as exc:
            with handle_internal_errors("ag2.tool.error"):
                otel_context.detach(token)
                span.set_attribute(T.TOOL_STATUS, "error")
                span.set_attribute(T.TOOL_LATENCY_MS, (time.perf_counter() - started) * 1000)
                record_failure(span, exc)
                span.end()
            raise
        with handle_internal_errors("ag2.tool.end"):
            otel_context.detach(token)
            self._end_tool(span, result, started)
        return result

    def _end_tool(self, span: Span, result: Any, started: float) -> None:
        span.set_attribute(T.TOOL_LATENCY_MS, (time.perf_counter() - started) * 1000)
        error = getattr(result, "error", None)
        if isinstance(error, BaseException):
            span.set_attribute(T.TOOL_STATUS, "error")
            record_failure(span, error, escaped=False)
        else:
            span.set_attribute(T.TOOL_STATUS, "ok")
        if self._config.capture() and hasattr(result, "result"):
            span.set_attribute(G.GEN_AI_TOOL_CALL_RESULT, result_text(result.result))
        span.end()


def _assistant(text: str) -> dict[str, Any]:
    return {"role": "assistant", "parts": [{"type": "text", "content": text}]}

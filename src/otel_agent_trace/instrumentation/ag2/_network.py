"""The AG2 Network: a channel as an ``invoke_workflow`` span, each handled envelope as a ``step`` of its agent.

`TurnWrapper` wraps ``ag2.network.client.handlers._process_substantive(envelope, client)``, the default handler's
turn on an inbound message. The channel's workflow span starts with its first such turn (`Channels`) and ends when
the hub moves the channel to a terminal state (`TransitionWrapper` on ``Hub._transition_channel``: closed, expired)
or when the hub closes (`HubCloseWrapper`). The agent's own ``invoke_agent`` span (our middleware) is a child of
the step.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind

from otel_agent_trace._internal.context import RunState, is_enabled, use_run
from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace._internal.tracing import record_failure, safe_str
from otel_agent_trace.instrumentation.ag2._middleware import Config, PendingStep, agent_name, pending_step
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import gen_ai as G
from otel_agent_trace.semconv import message as M

_HANDOFF = A.AgentStepActionTypeValues.HANDOFF.value
_MAX_NAMES = 64
_MAX_ENDED = 4096


class _Channel:
    __slots__ = ("run", "span")

    def __init__(self, span: Span, run: RunState) -> None:
        self.span = span
        self.run = run


class Channels:
    """The open channels' workflow spans, by channel id (turns of one channel run in several tasks)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._open: dict[str, _Channel] = {}
        self._ended: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def ended(self, channel_id: str) -> bool:
        """Whether the channel's workflow span has ended (a late delivery then opens no second one)."""
        with self._lock:
            return channel_id in self._ended

    def get(self, channel_id: str, channel_type: str | None) -> _Channel:
        with self._lock:
            found = self._open.get(channel_id)
            if found is None:
                name = channel_type or "channel"
                attrs: dict[str, Any] = {
                    G.GEN_AI_OPERATION_NAME: G.GenAiOperationNameValues.INVOKE_WORKFLOW.value,
                    G.GEN_AI_WORKFLOW_NAME: name,
                    G.GEN_AI_CONVERSATION_ID: channel_id,
                    M.CHANNEL_ID: channel_id,
                    M.CHANNEL_TYPE: name,
                }
                run = RunState(agent_name=name)
                attrs[A.AGENT_RUN_ID] = run.run_id
                span = self.config.tracer.start_span(
                    f"invoke_workflow {name}", context=otel_context.Context(), kind=SpanKind.INTERNAL, attributes=attrs
                )
                found = self._open[channel_id] = _Channel(span, run)
            return found

    def end(self, channel_id: str, condition: str | None, reason: str | None) -> None:
        with self._lock:
            found = self._open.pop(channel_id, None)
            self._ended[channel_id] = None
            while len(self._ended) > _MAX_ENDED:
                self._ended.popitem(last=False)
        if found is not None:
            if condition:
                found.span.set_attribute(A.TERMINATION_CONDITION, condition)
            if reason:
                found.span.set_attribute(A.TERMINATION_REASON, reason)
            found.span.end()

    def end_all(self, reason: str) -> None:
        with self._lock:
            ids = list(self._open)
        for channel_id in ids:
            self.end(channel_id, "hub_closed", reason)


def _name_for(client: Any, agent_id: Any) -> str:
    hub_client = getattr(client, "_hub_client", None)
    name_for = getattr(hub_client, "name_for", None)
    if callable(name_for):
        name = None
        with handle_internal_errors("ag2.network.name_for"):
            name = name_for(agent_id)
        if isinstance(name, str) and name:
            return name
    return safe_str(agent_id)


class TurnWrapper:
    """``_process_substantive(envelope, client)``: a ``step {agent}`` span under the channel's workflow span."""

    def __init__(self, channels: Channels) -> None:
        self.channels = channels

    async def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        pending: PendingStep | None = None
        channel: _Channel | None = None
        if is_enabled():
            with handle_internal_errors("ag2.network.turn.start"):
                envelope = args[0] if args else kwargs.get("envelope")
                client = args[1] if len(args) > 1 else kwargs.get("client")
                channel, pending = self._start(envelope, client)
        if pending is None or channel is None:
            return await wrapped(*args, **kwargs)
        token = pending_step.set(pending)
        try:
            with use_run(channel.run):
                return await wrapped(*args, **kwargs)
        except BaseException as exc:
            with handle_internal_errors("ag2.network.turn.error"):
                if pending.span is not None:
                    record_failure(pending.span, exc)
            raise
        finally:
            with handle_internal_errors("ag2.network.turn.end"):
                pending_step.reset(token)
                if pending.span is not None:
                    pending.span.end()

    def _start(self, envelope: Any, client: Any) -> tuple[_Channel | None, PendingStep | None]:
        channel_id = safe_str(getattr(envelope, "channel_id", "") or "")
        if self.channels.ended(channel_id):
            return None, None
        channel_type = self._channel_type(client, channel_id)
        channel = self.channels.get(channel_id, channel_type)
        name = agent_name(getattr(client, "agent", None))
        attrs: dict[str, Any] = {
            A.AGENT_STEP_NAME: name,
            A.AGENT_STEP_ACTION_TYPE: A.AgentStepActionTypeValues.RESPONSE.value,
            A.AGENT_RUN_ID: channel.run.run_id,
            G.GEN_AI_AGENT_NAME: name,
            G.GEN_AI_CONVERSATION_ID: channel_id,
            M.CHANNEL_ID: channel_id,
        }
        agent_id = getattr(client, "agent_id", None)
        if agent_id is not None:
            attrs[G.GEN_AI_AGENT_ID] = safe_str(agent_id)
        envelope_id = getattr(envelope, "envelope_id", None)
        if envelope_id:
            attrs[A.AGENT_STEP_REPLY_TO] = safe_str(envelope_id)
        causation = getattr(envelope, "causation_id", None)
        if causation:
            attrs[M.MESSAGE_CAUSATION_ID] = safe_str(causation)
        sender = getattr(envelope, "sender_id", None)
        if sender is not None:
            attrs[M.MESSAGE_ANSWERED_AUTHOR] = _name_for(client, sender)
        audience = getattr(envelope, "audience", None)
        if isinstance(audience, (list, tuple)) and audience:
            attrs[M.MESSAGE_ANSWERED_RECIPIENTS] = [_name_for(client, a) for a in audience[:_MAX_NAMES]]
        tracer = self.channels.config.tracer

        def open_step() -> Span:
            attrs[A.AGENT_STEP_INDEX] = channel.run.next_step()
            parent = trace.set_span_in_context(channel.span)
            return tracer.start_span(f"step {name}", context=parent, kind=SpanKind.INTERNAL, attributes=attrs)

        return channel, PendingStep(open_step)

    @staticmethod
    def _channel_type(client: Any, channel_id: str) -> str | None:
        hub_client = getattr(client, "_hub_client", None)
        hub = getattr(hub_client, "_hub", None)
        channels = getattr(hub, "_channels", None)
        metadata = channels.get(channel_id) if isinstance(channels, dict) else None
        kind = getattr(getattr(metadata, "manifest", None), "type", None)
        return kind if isinstance(kind, str) else None


class TransitionWrapper:
    """``Hub._transition_channel(channel_id, state, reason)``: a terminal state ends the channel's workflow span."""

    def __init__(self, channels: Channels) -> None:
        self.channels = channels

    async def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        result = await wrapped(*args, **kwargs)
        with handle_internal_errors("ag2.network.transition"):
            channel_id = args[0] if args else kwargs.get("channel_id")
            state = args[1] if len(args) > 1 else kwargs.get("state")
            reason = args[2] if len(args) > 2 else kwargs.get("reason")
            channels = getattr(instance, "_channels", None)
            metadata = channels.get(channel_id) if isinstance(channels, dict) else None
            is_terminal = getattr(metadata, "is_terminal", None)
            if isinstance(channel_id, str) and callable(is_terminal) and is_terminal():
                condition = getattr(state, "value", state)
                self.channels.end(channel_id, safe_str(condition), safe_str(reason) if reason else None)
        return result


class HubCloseWrapper:
    """``Hub.close``: channels still open end with the hub."""

    def __init__(self, channels: Channels) -> None:
        self.channels = channels

    async def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        try:
            return await wrapped(*args, **kwargs)
        finally:
            with handle_internal_errors("ag2.network.hub_close"):
                self.channels.end_all("hub closed")

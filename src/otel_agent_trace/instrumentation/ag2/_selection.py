"""Who speaks next in an AG2 Network channel: a ``decision speaker_selection`` span per accepted message.

The turn-taking adapters (``discussion``, ``workflow``, ``consulting``) decide the next speaker when the hub
accepts a substantive envelope: ``fold`` computes the new state and the hub passes it to ``on_accepted`` right
after, under the channel's lock. `AcceptedWrapper` wraps ``on_accepted`` of those adapters and reads the decision
from the state it receives (``expected_next``), so the decision is the one the protocol enforces (``validate_send``
rejects anyone else). `PostWrapper` on ``Hub._post_envelope_impl`` makes the hub known to it (agent names).
Free-form ``conversation`` channels choose nobody: no decision.
"""

from __future__ import annotations

import contextvars
import dataclasses
from collections.abc import Callable
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind

from otel_agent_trace._internal.context import is_enabled
from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace._internal.tracing import safe_str
from otel_agent_trace.instrumentation.ag2._network import Channels
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import decision as D
from otel_agent_trace.semconv import gen_ai as G
from otel_agent_trace.semconv import message as M

_TEXT = "ag2.msg.text"
_PACKET = "ag2.packet"
TERMINATE = "terminate"
"""The option a workflow takes when its graph (or ``max_turns``) ends the channel."""
ADAPTERS = (
    ("ag2.network.adapters.discussion", "DiscussionAdapter"),
    ("ag2.network.adapters.workflow", "WorkflowAdapter"),
    ("ag2.network.adapters.consulting", "ConsultingAdapter"),
)
"""The turn-taking adapters whose ``on_accepted`` is wrapped, by module."""
_MAX_OPTIONS = 64

_hub: contextvars.ContextVar[Any] = contextvars.ContextVar("otel_agent_trace_ag2_hub", default=None)


class PostWrapper:
    """``Hub._post_envelope_impl(envelope)``: the hub is current while it validates, folds and accepts."""

    async def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        token = _hub.set(instance)
        try:
            return await wrapped(*args, **kwargs)
        finally:
            _hub.reset(token)


class AcceptedWrapper:
    """``on_accepted(metadata, envelope, state)`` of a turn-taking adapter: records the speaker it expects next."""

    def __init__(self, channels: Channels) -> None:
        self.channels = channels

    def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        result = wrapped(*args, **kwargs)
        if is_enabled():
            with handle_internal_errors("ag2.network.selection"):
                metadata = args[0] if args else kwargs.get("metadata")
                envelope = args[1] if len(args) > 1 else kwargs.get("envelope")
                state = args[2] if len(args) > 2 else kwargs.get("state")
                self._record(instance, metadata, envelope, state, result)
        return result

    def _record(self, adapter: Any, metadata: Any, envelope: Any, state: Any, result: Any) -> None:
        if getattr(envelope, "event_type", None) not in (_TEXT, _PACKET):
            return
        hub = _hub.get()
        kind = safe_str(getattr(getattr(metadata, "manifest", None), "type", "") or "channel")
        expected = adapter.expected_next(metadata, state)
        closing = getattr(result, "next_state", None) is not None
        close_reason = safe_str(getattr(result, "auto_close_reason", "") or "")
        if expected is None and not (kind == "workflow" and closing):
            return  # nobody chosen (a completed consulting exchange): the channel's end says it
        channel_id = safe_str(getattr(envelope, "channel_id", "") or "")
        channel = self.channels.get(channel_id, kind)
        options = [_name(hub, p.agent_id) for p in _participants(metadata)][:_MAX_OPTIONS]
        condition, rationale = _method(kind, metadata, envelope, state, hub)
        chosen = _name(hub, expected.agent_id) if expected is not None else TERMINATE
        if kind == "workflow":
            options.append(TERMINATE)
            if closing and close_reason == "max_turns":
                chosen, condition = TERMINATE, "max_turns"
        attrs: dict[str, Any] = {
            D.DECISION_NAME: "speaker_selection",
            D.DECISION_CONDITION: condition,
            D.DECISION_OPTIONS: options,
            D.DECISION_CHOSEN: chosen,
            A.AGENT_STEP_ACTION_TYPE: A.AgentStepActionTypeValues.DECISION.value,
            A.AGENT_STEP_INDEX: channel.run.next_step(),
            A.AGENT_RUN_ID: channel.run.run_id,
            G.GEN_AI_CONVERSATION_ID: channel_id,
            M.CHANNEL_ID: channel_id,
        }
        envelope_id = getattr(envelope, "envelope_id", None)
        if envelope_id:
            attrs[A.AGENT_STEP_REPLY_TO] = safe_str(envelope_id)
        sender = getattr(envelope, "sender_id", None)
        if sender is not None:
            attrs[M.MESSAGE_ANSWERED_AUTHOR] = _name(hub, sender)
        if chosen == TERMINATE and close_reason:
            attrs[A.TERMINATION_REASON] = close_reason
        if rationale and self.channels.config.capture():
            attrs[D.DECISION_RATIONALE] = rationale
        span = self.channels.config.tracer.start_span(
            "decision speaker_selection",
            context=trace.set_span_in_context(channel.span),
            kind=SpanKind.INTERNAL,
            attributes=attrs,
        )
        span.end()


def _participants(metadata: Any) -> list[Any]:
    participants = list(getattr(metadata, "participants", None) or ())
    return sorted(participants, key=lambda p: getattr(p, "order", 0) or 0)


def _name(hub: Any, agent_id: Any) -> str:
    name_for = getattr(hub, "name_for", None)
    if callable(name_for):
        name = name_for(agent_id)
        if isinstance(name, str) and name:
            return name
    return safe_str(agent_id)


def _method(kind: str, metadata: Any, envelope: Any, state: Any, hub: Any) -> tuple[str, str | None]:
    """How the adapter chose (the decision's condition) and the reason it was given, if any."""
    if kind == "discussion":
        knobs = getattr(metadata, "knobs", None)
        ordering = knobs.get("ordering") if isinstance(knobs, dict) else None
        return safe_str(ordering or "round_robin"), None
    if kind == "consulting":
        return "initiator_then_respondent", None
    if kind != "workflow":
        return "expected_next", None
    data = getattr(envelope, "event_data", None)
    routing = data.get("routing") if isinstance(data, dict) else None
    if isinstance(routing, dict) and routing.get("kind") == "finish":
        reason = " ".join(safe_str(routing.get(k)) for k in ("reason", "summary") if routing.get(k))
        return f"finish via {safe_str(routing.get('tool', 'tool'))}", reason or None
    if isinstance(routing, dict) and routing.get("kind") == "handoff":
        why = safe_str(routing.get("reason") or "") or None
        if routing.get("target"):
            return f"handoff via {safe_str(routing.get('tool', 'tool'))}", why
        return _transition(state, envelope, hub), why
    return _transition(state, envelope, hub), None


def _transition(state: Any, envelope: Any, hub: Any) -> str:
    """The ``TransitionGraph`` rule that fired (``when -> then``), found as the adapter's ``_select`` finds it."""
    from ag2.network.transitions import TransitionGraph

    graph = TransitionGraph.loads(state.graph_data)
    for rule in sorted(graph.transitions, key=lambda t: t.priority):
        if rule.when.evaluate(state, envelope):
            return f"{_describe(rule.when, hub)} -> {_describe(rule.then, hub)}"
    return f"default -> {_describe(graph.default_target, hub)}"


def _describe(part: Any, hub: Any) -> str:
    """``name(field=value, ...)`` of a transition condition or target; agent ids as names."""
    name = safe_str(getattr(part, "name", type(part).__name__))
    if not dataclasses.is_dataclass(part):
        return name
    values = []
    for item in dataclasses.fields(part):
        value = getattr(part, item.name, None)
        values.append(f"{item.name}={_name(hub, value) if item.name == 'agent_id' else safe_str(value)}")
    return f"{name}({', '.join(values)})" if values else name

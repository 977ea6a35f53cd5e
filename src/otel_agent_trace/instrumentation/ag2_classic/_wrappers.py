"""The chat, turn and speaker-selection wrappers of the AG2 Classic instrumentor.

- `ChatWrapper`: ``ConversableAgent.initiate_chat``/``a_initiate_chat``: ``invoke_workflow {sender} -> {recipient}``.
- `GroupChatWrapper`: ``GroupChatManager.run_chat``/``a_run_chat``: ``invoke_workflow {manager}`` with the
  participants, ``max_round``, termination condition and reason.
- `TurnWrapper`: ``ConversableAgent.generate_reply``/``a_generate_reply``: ``step {agent}``.
- `SelectWrapper`: ``GroupChat.select_speaker``/``a_select_speaker``: ``decision speaker_selection``;
  `RationaleWrapper` (``GroupChat._validate_speaker_name``) gives the selector's answer as its rationale.
- `HandoffWrapper`: the handoff events of the group patterns (``initiate_group_chat``, swarms): the selection
  the handoff drove gets its source, target and kind.
"""

from __future__ import annotations

import contextvars
from typing import Any

from otel_agent_trace._internal.context import RunState, current_run, use_run
from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace._internal.serialize import safe_json_dumps
from otel_agent_trace._internal.tracing import record_failure
from otel_agent_trace.instrumentation.ag2_classic import _extract as X
from otel_agent_trace.instrumentation.ag2_classic._spans import (
    Chat,
    Opened,
    Wrapper,
    current_chat,
    open_span,
    selecting,
)
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import decision as D
from otel_agent_trace.semconv import gen_ai as G

_RESPONSE = A.AgentStepActionTypeValues.RESPONSE.value
_TOOL_CALL = A.AgentStepActionTypeValues.TOOL_CALL.value
_DECISION = A.AgentStepActionTypeValues.DECISION.value


current_turn: contextvars.ContextVar[Opened | None] = contextvars.ContextVar("otel_agent_trace_ag2c_turn", default=None)
"""The agent turn in progress (tools mark it as a ``tool_call`` step)."""


def is_manager(agent: Any) -> bool:
    """Whether ``agent`` is a ``GroupChatManager`` (its reply is the group chat, traced by `GroupChatWrapper`)."""
    return any(c.__name__ == "GroupChatManager" for c in type(agent).__mro__)


def _arg(args: Any, kwargs: Any, index: int, name: str) -> Any:
    return kwargs.get(name, args[index] if len(args) > index else None)


def _enter_run(opened: Opened, chat: Chat) -> None:
    opened.set_var(current_chat, chat)
    manager = use_run(chat.run)
    manager.__enter__()
    opened.data["run_manager"] = manager


def _leave_run(opened: Opened) -> None:
    manager = opened.data.pop("run_manager", None)
    if manager is not None:
        manager.__exit__(None, None, None)


_CONDITIONS = (
    ("termination message", "is_termination_msg"),
    ("maximum rounds", "max_round"),
    ("maximum turns", "max_turns"),
    ("no next speaker", "no_next_speaker"),
    ("no reply", "no_reply"),
)


def _termination(chat: Chat, fallback: tuple[str, str]) -> tuple[str, str]:
    """(condition, reason): AG2's own reason text when it sent one, classified; else what we saw."""
    if chat.reason is None:
        return fallback
    lowered = chat.reason.lower()
    for marker, condition in _CONDITIONS:
        if marker in lowered:
            return condition, chat.reason
    return "other", chat.reason


class TerminationWrapper:
    """``TerminationEvent.__init__``: AG2's termination reason, kept on the chat in progress."""

    def __init__(self, config: Any) -> None:
        self.config = config

    def __call__(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        result = wrapped(*args, **kwargs)
        with handle_internal_errors("ag2_classic.termination"):
            chat = current_chat.get()
            reason = X.text(kwargs.get("termination_reason"))
            if chat is not None and reason is not None:
                chat.reason = reason
        return result


_HANDOFF_KINDS = {
    "AfterWorksTransitionEvent": "after_work",
    "OnContextConditionTransitionEvent": "context_condition",
    "OnConditionLLMTransitionEvent": "llm_condition",
    "ReplyResultTransitionEvent": "reply_result",
}


class HandoffWrapper(TerminationWrapper):
    """A transition event's ``__init__``: the handoff, on the selection in progress or the chat's next one.

    AfterWork handoffs are evaluated inside the speaker selection (its decision span is current); a context
    condition (in the agent's own turn, before its LLM), an LLM condition or a tool's ``ReplyResult`` (in the tool
    executor's turn) is kept on the chat for the selection that follows it.
    """

    def __call__(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        result = wrapped(*args, **kwargs)
        with handle_internal_errors("ag2_classic.handoff"):
            target = kwargs.get("transition_target")
            display = getattr(target, "display_name", None)
            handoff = {
                A.HANDOFF_FROM_AGENT: X.name_of(kwargs.get("source_agent")),
                A.HANDOFF_TO_AGENT: str(display() if callable(display) else target),
                D.DECISION_CONDITION: f"handoff.{_HANDOFF_KINDS.get(type(instance).__name__, 'other')}",
            }
            span, chat = selecting.get(), current_chat.get()
            if span is not None:
                span.set_attributes(handoff)
            elif chat is not None:
                chat.handoff = handoff
        return result


class ChatWrapper(Wrapper):
    """``initiate_chat``: the two-agent chat's ``invoke_workflow`` span (a run whose steps are the turns)."""

    label = "ag2_classic.chat"

    def begin(self, instance: Any, args: Any, kwargs: Any) -> Opened | None:
        if selecting.get() is not None:
            return None
        recipient = _arg(args, kwargs, 0, "recipient")
        if is_manager(recipient):  # a group chat: its run_chat span is the workflow (one root, the RCA's agents)
            return None
        name = f"{X.name_of(instance)} -> {X.name_of(recipient)}"
        run = RunState(agent_name=name, parent=current_run())
        attrs: dict[str, Any] = {
            G.GEN_AI_OPERATION_NAME: G.GenAiOperationNameValues.INVOKE_WORKFLOW.value,
            G.GEN_AI_WORKFLOW_NAME: name,
            A.AGENT_RUN_ID: run.run_id,
            A.AGENT_HANDOFFS: [X.name_of(instance), X.name_of(recipient)],
        }
        max_turns = kwargs.get("max_turns")
        if isinstance(max_turns, int):
            attrs[A.CHAT_MAX_TURNS] = max_turns
        if self.config.capture():
            message = kwargs.get("message")
            if isinstance(message, (str, dict)):
                attrs[A.AGENT_STEP_INPUT] = safe_json_dumps(message)
        opened = open_span(self.config, f"invoke_workflow {name}", attrs, "conversation")
        run.span = opened.span
        chat = Chat(opened.span, run)
        opened.data["chat"] = chat
        _enter_run(opened, chat)
        return opened

    def end(self, opened: Opened, result: Any, exc: BaseException | None) -> None:
        _leave_run(opened)
        span = opened.span
        if exc is not None:
            record_failure(span, exc)
            return
        condition, reason = _termination(opened.data["chat"], ("no_reply", "no reply generated"))
        span.set_attribute(A.TERMINATION_CONDITION, condition)
        span.set_attribute(A.TERMINATION_REASON, reason)
        if self.config.capture():
            summary = X.text(getattr(result, "summary", None))
            if summary is not None:
                span.set_attribute(A.AGENT_STEP_OUTPUT, safe_json_dumps(summary))


class GroupChatWrapper(Wrapper):
    """``GroupChatManager.run_chat``: the group chat's ``invoke_workflow {manager}`` span."""

    label = "ag2_classic.groupchat"

    def begin(self, instance: Any, args: Any, kwargs: Any) -> Opened | None:
        if selecting.get() is not None:
            return None
        groupchat = _arg(args, kwargs, 2, "config")
        if groupchat is None:
            groupchat = getattr(instance, "_groupchat", None)
        name = X.name_of(instance)
        run = RunState(agent_name=name, parent=current_run())
        attrs: dict[str, Any] = {
            G.GEN_AI_OPERATION_NAME: G.GenAiOperationNameValues.INVOKE_WORKFLOW.value,
            G.GEN_AI_WORKFLOW_NAME: name,
            A.AGENT_RUN_ID: run.run_id,
            A.AGENT_HANDOFFS: X.agent_names(getattr(groupchat, "agents", None)),
            D.DECISION_CONDITION: X.selection_method(groupchat),
        }
        max_round = getattr(groupchat, "max_round", None)
        if isinstance(max_round, int):
            attrs[A.CHAT_MAX_ROUND] = max_round
        messages = _arg(args, kwargs, 0, "messages")
        if self.config.capture() and isinstance(messages, list) and messages:
            attrs[A.AGENT_STEP_INPUT] = safe_json_dumps(messages[-1])  # the message that started the group chat
        opened = open_span(self.config, f"invoke_workflow {name}", attrs, "conversation")
        run.span = opened.span
        chat = Chat(opened.span, run, groupchat)
        opened.data["chat"] = chat
        _enter_run(opened, chat)
        return opened

    def end(self, opened: Opened, result: Any, exc: BaseException | None) -> None:
        _leave_run(opened)
        span, chat = opened.span, opened.data["chat"]
        if exc is not None:
            record_failure(span, exc)
            return
        max_round = getattr(chat.groupchat, "max_round", None)
        if chat.no_speaker:
            fallback = ("no_next_speaker", "No next speaker selected")
        elif chat.no_reply:
            fallback = ("no_reply", "No reply generated")
        else:
            fallback = ("max_round", f"Maximum rounds ({max_round}) reached")
        condition, reason = _termination(chat, fallback)
        span.set_attribute(A.TERMINATION_CONDITION, condition)
        span.set_attribute(A.TERMINATION_REASON, reason)


class TurnWrapper(Wrapper):
    """``generate_reply``: one agent's turn, ``step {agent}``, input and output messages with their provenance."""

    label = "ag2_classic.turn"

    def begin(self, instance: Any, args: Any, kwargs: Any) -> Opened | None:
        if selecting.get() is not None or is_manager(instance):
            return None
        me = X.name_of(instance)
        sender = _arg(args, kwargs, 1, "sender")
        other = X.name_of(sender) if sender is not None else None
        chat = current_chat.get()
        key = chat.key if chat is not None else "chat"
        groupchat = chat.groupchat if chat is not None else None
        group = groupchat is not None
        if group:
            items = getattr(groupchat, "messages", None)
        else:
            items = _arg(args, kwargs, 0, "messages")
            if items is None and sender is not None:
                items = (getattr(instance, "_oai_messages", None) or {}).get(sender)
        items = items if isinstance(items, list) else []
        run = chat.run if chat is not None else current_run()
        attrs: dict[str, Any] = {
            A.AGENT_STEP_NAME: me,
            A.AGENT_STEP_ACTION_TYPE: _RESPONSE,
            G.GEN_AI_AGENT_NAME: me,
            A.AGENT_STEP_INPUT: safe_json_dumps(X.history(items, key, me, other, self.config.capture(), group=group)),
        }
        if run is not None:
            attrs[A.AGENT_STEP_INDEX] = run.next_step()
            attrs[A.AGENT_RUN_ID] = run.run_id
        description = X.text(getattr(instance, "description", None))
        if description is not None:
            attrs[G.GEN_AI_AGENT_DESCRIPTION] = description
        opened = open_span(self.config, f"step {me}", attrs, "agent")
        opened.data.update(me=me, other=other, key=key, index=len(items), chat=chat, tools=[])
        opened.set_var(current_turn, opened)
        return opened

    def end(self, opened: Opened, result: Any, exc: BaseException | None) -> None:
        span, data = opened.span, opened.data
        if exc is not None:
            record_failure(span, exc)
        if result is None and exc is None and data["chat"] is not None:
            data["chat"].no_reply = True
        ran_tool = bool(data["tools"]) or X.kind(result) in ("tool_calls", "function_call")
        span.set_attribute(A.AGENT_STEP_ACTION_TYPE, _TOOL_CALL if ran_tool else _RESPONSE)
        produced = []
        if result is not None:
            index = data["index"]
            if index > 0:  # the message this turn answered: the last one of the history it was given
                span.set_attribute(A.AGENT_STEP_REPLY_TO, f"{data['key']}:{index - 1}")
            ident = f"{data['key']}:{index}"
            produced.append(X.message(result, ident, data["me"], data["other"], self.config.capture()))
        span.set_attribute(A.AGENT_STEP_OUTPUT, safe_json_dumps(produced))


class SelectWrapper(Wrapper):
    """``GroupChat.select_speaker``: ``decision speaker_selection`` (candidates, method, chosen, rationale)."""

    label = "ag2_classic.select"

    def begin(self, instance: Any, args: Any, kwargs: Any) -> Opened | None:
        if selecting.get() is not None:
            return None
        chat = current_chat.get()
        run = chat.run if chat is not None else current_run()
        attrs: dict[str, Any] = {
            A.AGENT_STEP_ACTION_TYPE: _DECISION,
            D.DECISION_NAME: "speaker_selection",
            D.DECISION_CONDITION: X.selection_method(instance),
            D.DECISION_OPTIONS: X.candidates(instance, _arg(args, kwargs, 0, "last_speaker")),
        }
        if run is not None:
            attrs[A.AGENT_STEP_INDEX] = run.next_step()
            attrs[A.AGENT_RUN_ID] = run.run_id
        if chat is not None and chat.handoff is not None:  # a turn handed off: this selection carries it out
            attrs.update(chat.handoff)
            chat.handoff = None
        opened = open_span(self.config, "decision speaker_selection", attrs, "speaker_selection")
        opened.data["chat"] = chat
        opened.set_var(selecting, opened.span)
        return opened

    def end(self, opened: Opened, result: Any, exc: BaseException | None) -> None:
        span = opened.span
        if exc is not None:
            if type(exc).__name__ == "NoEligibleSpeakerError":
                span.set_attribute(D.DECISION_OUTCOME, D.DecisionOutcomeValues.UNDECIDED.value)
                if opened.data["chat"] is not None:
                    opened.data["chat"].no_speaker = True
            else:
                record_failure(span, exc)
            return
        if result is not None:
            span.set_attribute(D.DECISION_CHOSEN, X.name_of(result))


class RationaleWrapper(Wrapper):
    """``GroupChat._validate_speaker_name``: the selector LLM's answer, as the decision's rationale (capture only)."""

    label = "ag2_classic.rationale"

    def __call__(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        with handle_internal_errors(self.label):
            span = selecting.get()
            messages = _arg(args, kwargs, 1, "messages")
            if span is not None and self.config.capture() and isinstance(messages, list) and messages:
                last = messages[-1]
                answer = last.get("content") if isinstance(last, dict) else None
                if isinstance(answer, str):
                    span.set_attribute(D.DECISION_RATIONALE, safe_json_dumps(answer))
        return wrapped(*args, **kwargs)

"""``snapshot_state`` and ``record_error``: events on the current span."""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode

from otel_agent_trace._internal.context import current_run
from otel_agent_trace._internal.errors import guarded
from otel_agent_trace._internal.serialize import content_hash, safe_json_dumps
from otel_agent_trace._internal.settings import capture_content
from otel_agent_trace._internal.tracing import error_event_attributes, safe_message
from otel_agent_trace.semconv import error as E
from otel_agent_trace.semconv import state as S

from ._values import mark_truncated, serialized, text

_STATE_FIELDS = (
    ("working_memory", S.STATE_WORKING_MEMORY),
    ("goal_stack", S.STATE_GOAL_STACK),
    ("beliefs", S.STATE_BELIEFS),
)


def _target(span: Any) -> Span:
    """``span`` if it is a span, else the current span."""
    return span if issubclass(type(span), Span) else trace.get_current_span()


@guarded(default=None)
def snapshot_state(
    *,
    working_memory: Any = None,
    goal_stack: Any = None,
    beliefs: Any = None,
    confidence: dict[str, float] | None = None,
    label: str | None = None,
    span: Span | None = None,
) -> str | None:
    """Record the agent's state on the current span (or ``span``) and return the snapshot's content hash.

    The hash (``agent_trace.state.hash``) and confidence scores are always recorded. Working memory, goal stack
    and beliefs are recorded with content capture on, and only when the state changed since the run's previous
    snapshot (``agent_trace.state.unchanged`` says when it did not). Any value is accepted and each field is
    serialized on its own, within the per-attribute budget (the walk stops there): a hostile value becomes a marker
    or its ``repr``, cycles are cut, and the other fields are kept. The hash reads a bounded prefix of each field
    (see `content_hash`).
    """
    target = _target(span)
    values = {"working_memory": working_memory, "goal_stack": goal_stack, "beliefs": beliefs, "confidence": confidence}
    snapshot = {k: v for k, v in values.items() if v is not None}
    digest = content_hash({k: content_hash(v) for k, v in snapshot.items()})
    run = current_run()
    previous = run.last_state_hash if run is not None else None
    unchanged = previous == digest
    attributes: dict[str, Any] = {S.STATE_HASH: digest, S.STATE_UNCHANGED: unchanged}
    if previous is not None:
        attributes[S.STATE_PREVIOUS_HASH] = previous
    label_text = text(label)
    if label_text:
        attributes[S.STATE_LABEL] = label_text
    if confidence is not None:
        attributes[S.STATE_CONFIDENCE] = safe_json_dumps(confidence)
    content: dict[str, str] = {}
    cut: list[str] = []
    if capture_content():
        for name, key in _STATE_FIELDS:
            if name in snapshot:
                content[key], was_cut = serialized(snapshot[name])
                if was_cut:
                    cut.append(key)
        if not unchanged:
            attributes.update(content)
    if run is not None:
        run.last_state_hash = digest
        run.last_state_json = {**attributes, **content}
    target.add_event(S.STATE_EVENT_NAME, attributes)
    target.set_attributes(attributes)
    if cut and not unchanged:
        mark_truncated(target, cut)
    return digest


@guarded(default=None)
def record_error(
    error: BaseException | str,
    *,
    code: str | int | None = None,
    handler: str | None = None,
    handled: bool = True,
    post_state: Any = None,
    retry_attempt: int | None = None,
    span: Span | None = None,
) -> None:
    """Record an error the agent met, and what it did about it, on the current span (or ``span``).

    Adds an ``agent_trace.error`` event (``exception.type``/``message``/``stacktrace``, code, handler, retry
    attempt, post-error state with content capture). With ``handled=False`` the span's status becomes ERROR.
    """
    target = _target(span)
    post_state_json = safe_json_dumps(post_state) if post_state is not None and capture_content() else None
    attributes = error_event_attributes(
        error,
        handled=handled,
        code=code,
        handler=handler,
        retry_attempt=retry_attempt,
        post_state_json=post_state_json,
    )
    message = safe_message(error)
    target.add_event(E.ERROR_EVENT_NAME, attributes)
    span_attributes = {k: v for k, v in attributes.items() if not k.startswith("exception.")}
    span_attributes[E.ERROR_TYPE] = attributes[E.EXCEPTION_TYPE]
    span_attributes[E.ERROR_MESSAGE] = attributes[E.EXCEPTION_MESSAGE][:1024]
    target.set_attributes(span_attributes)
    if handled is False or (handled is not True and not _truthy(handled)):
        target.set_status(Status(StatusCode.ERROR, message[:1024]))


def _truthy(value: Any) -> bool:
    try:
        return bool(value)
    except Exception:  # noqa: BLE001 - a hostile __bool__: count it as handled (the default)
        return True

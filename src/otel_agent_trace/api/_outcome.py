"""``record_outcome``: the verdict on a run, as the GenAI ``gen_ai.evaluation.result`` event.

A run can fail without raising (a wrong answer, a hallucinated value): the outcome says so, and the RCA treats a
failing evaluation result as the run's failure.

Where it goes:

- Inside a run: on the nearest ``agent_run`` span of the current context (else on the current span), as an event,
  and mirrored on that span's attributes (the last outcome wins there; the events keep them all).
- ``trace_id=`` (and ideally ``span_id=``): for evaluators that judge after the run ended. An ended span cannot
  take events, so a small ``evaluate {name}`` span is emitted in that trace, a child of ``span_id``, carrying the
  event and `EVALUATION_TARGET_SPAN_ID`, and marked `EVALUATION_DEFERRED` so that it is not taken for a step.
  It is started in an empty context: the evaluator's own run, session ids and state are not stamped on it.

Content: ``expected`` and ``actual`` are the run's data (like a step's output) and are recorded only with content
capture on. ``reason`` is the evaluator's explanation and, like an error message, is always recorded. Every text is
cut to the per-attribute budget here (nothing larger is serialized), then redacted and budgeted by the processor
like any attribute.
"""

from __future__ import annotations

import contextvars
import secrets
from typing import Any, cast

from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, Span, SpanContext, SpanKind, TraceFlags

from otel_agent_trace._internal.context import current_run
from otel_agent_trace._internal.errors import guarded
from otel_agent_trace._internal.serialize import fit_json, safe_json_dumps, truncate_text
from otel_agent_trace._internal.settings import capture_content, get_settings
from otel_agent_trace._internal.tracing import get_tracer
from otel_agent_trace.semconv import evaluation as ev

from ._values import finite, text

_MAX_LABEL_CHARS = 128


def _bounded_text(value: Any) -> str:
    """``value`` as text within the per-attribute budget; strings are cut before anything else is done to them."""
    limit = get_settings().max_attribute_bytes
    if issubclass(type(value), str):
        total, value = str.__len__(value), str.__getitem__(value, slice(0, limit))
        if total <= limit:
            return truncate_text(value, limit)
        marker = f"...[truncated {total} characters]"
        return truncate_text(value[:limit], max(0, limit - len(marker) - 4)).split("...[truncated", 1)[0] + marker
    return fit_json(safe_json_dumps(value), limit)


def _score(value: Any) -> float | None:
    if issubclass(type(value), bool) or not issubclass(type(value), (int, float)):
        return None
    return finite(value)  # None for NaN, inf, and ints too wide for a float


def _evaluation_attributes(
    success: bool,
    name: str | None,
    score: Any,
    label: str | None,
    expected: Any,
    actual: Any,
    reason: str | None,
    evaluator: str | None,
) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        ev.GEN_AI_EVALUATION_NAME: text(name, _MAX_LABEL_CHARS) or ev.EVALUATION_DEFAULT_NAME,
        ev.EVALUATION_SUCCESS: success,
    }
    value = _score(score)
    if value is not None:
        attributes[ev.GEN_AI_EVALUATION_SCORE_VALUE] = value
    default_label = ev.EvaluationScoreLabelValues.PASS if success else ev.EvaluationScoreLabelValues.FAIL
    attributes[ev.GEN_AI_EVALUATION_SCORE_LABEL] = text(label, _MAX_LABEL_CHARS) or default_label.value
    if reason is not None:
        attributes[ev.GEN_AI_EVALUATION_EXPLANATION] = _bounded_text(reason)
    evaluator_text = text(evaluator, _MAX_LABEL_CHARS)
    if evaluator_text:
        attributes[ev.EVALUATION_EVALUATOR] = evaluator_text
    if capture_content():
        if expected is not None:
            attributes[ev.EVALUATION_EXPECTED] = _bounded_text(expected)
        if actual is not None:
            attributes[ev.EVALUATION_ACTUAL] = _bounded_text(actual)
    return attributes


def _parse_id(value: int | str, digits: int) -> int:
    """A trace id (32 hex digits) or span id (16) given as an int or hex text (``0x`` allowed)."""
    if issubclass(type(value), int) and not issubclass(type(value), bool):
        number = int.__index__(cast(int, value))
    elif issubclass(type(value), str):
        number = int(str.__getitem__(cast(str, value), slice(0, 4 * digits)).strip(), 16)
    else:
        raise TypeError(f"an id is an int or hex text, not {type(value).__name__}")
    if not 0 < number < 1 << (4 * digits):
        raise ValueError(f"not a valid {digits}-hex-digit id: {number:#x}"[:200])
    return number


def _truthy(value: Any) -> bool:
    try:
        return bool(value)
    except Exception:  # noqa: BLE001 - a hostile __bool__: not a success
        return False


def _run_span() -> Span:
    """The span of the nearest agent run here, else the current span."""
    run = current_run()
    while run is not None:
        if run.span is not None:
            return run.span
        run = run.parent
    return trace.get_current_span()


def _emit_deferred(parent: SpanContext, target_span_id: int | None, attributes: dict[str, Any]) -> None:
    """Emit the ``evaluate {name}`` span under ``parent`` (in an empty context: no run or session of the caller)."""
    span_attributes = {**attributes, ev.EVALUATION_DEFERRED: True}
    if target_span_id is not None:
        span_attributes[ev.EVALUATION_TARGET_SPAN_ID] = format(target_span_id, "016x")
    name = f"{ev.EVALUATION_SPAN_NAME_PREFIX} {attributes[ev.GEN_AI_EVALUATION_NAME]}"

    def emit() -> None:
        ctx = trace.set_span_in_context(NonRecordingSpan(parent))
        span = get_tracer().start_span(name, context=ctx, kind=SpanKind.INTERNAL, attributes=span_attributes)
        try:
            span.add_event(ev.GEN_AI_EVALUATION_RESULT_EVENT, dict(span_attributes))
        finally:
            span.end()

    contextvars.Context().run(emit)


@guarded(default=None)
def record_outcome(
    success: bool,
    *,
    score: float | None = None,
    label: str | None = None,
    expected: Any = None,
    actual: Any = None,
    reason: str | None = None,
    evaluator: str | None = None,
    name: str | None = None,
    trace_id: int | str | None = None,
    span_id: int | str | None = None,
    span: Span | None = None,
) -> None:
    """Record the verdict on the current run: did it do what it should? Never raises; a no-op with no SDK.

    Emitted as a ``gen_ai.evaluation.result`` event (``gen_ai.evaluation.name``/``score.value``/``score.label``/
    ``explanation``) with ``agent_trace.evaluation.success``/``expected``/``actual``/``evaluator``. A failing
    outcome makes the run a failure for ``otel-agent-trace rca`` even when nothing raised.

    Args:
        success: Whether the run succeeded.
        score: The evaluator's score (a finite number; anything else is left out).
        label: Score label; ``"pass"``/``"fail"`` (from ``success``) when not given.
        expected: What the run should have produced (content capture only).
        actual: What it produced (content capture only).
        reason: Why it passed or failed (always recorded, like an error message; redacted and budgeted).
        evaluator: Who judged (``user``, a test, a judge model).
        name: The evaluation's name (``gen_ai.evaluation.name``), ``"outcome"`` by default.
        trace_id: Judge a run that already ended: its trace id (int or 32 hex digits).
        span_id: With ``trace_id``: the evaluated span (int or 16 hex digits), usually the run's root span.
            Without it the result evaluates the trace's root run.
        span: Record on this live span instead of the current run's.

    Example::

        with agent_run("support"):
            answer = agent.answer(question)
            record_outcome(answer == gold, expected=gold, actual=answer, evaluator="exact_match")
    """
    attributes = _evaluation_attributes(
        success is True or (success is not False and _truthy(success)),
        name,
        score,
        label,
        expected,
        actual,
        reason,
        evaluator,
    )
    if trace_id is not None:
        parsed_span = _parse_id(span_id, 16) if span_id is not None else None
        parent_id = parsed_span if parsed_span is not None else int.from_bytes(secrets.token_bytes(8), "big") | 1
        parent = SpanContext(
            _parse_id(trace_id, 32), parent_id, is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED)
        )
        _emit_deferred(parent, parsed_span, attributes)
        return
    target = span or _run_span()
    if not target.is_recording():
        context = target.get_span_context()
        if context.is_valid:  # the run already ended: record beside it, in its trace
            _emit_deferred(context, context.span_id, attributes)
        return
    target.add_event(ev.GEN_AI_EVALUATION_RESULT_EVENT, attributes)
    target.set_attributes(attributes)

"""How a run failed: the user's word, a failing evaluation result, or an exception.

A run can fail without raising: an evaluator (ours via ``record_outcome``, or any that emits the GenAI
``gen_ai.evaluation.result`` event) judged its answer wrong, or the user says so. `find_failure` applies, in order:
an explicit verdict (``failed=``), the latest failing evaluation result in the trace, an exception or ERROR status
that nobody handled (`view.failure_span`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from otel_agent_trace.model import Span
from otel_agent_trace.semconv import evaluation as ev

from .values import parse_payload
from .view import TraceView, failure_span

FAILING_LABELS = ev.FAILING_LABELS | frozenset({"false", "no", "0", "bad", "error", "rejected", "not_correct"})
"""Score labels read as a failing verdict (case-insensitive) when the result carries no ``success`` flag."""
PASSING_LABELS = frozenset({"pass", "passed", "success", "correct", "right", "true", "yes", "ok", "good"})


@dataclass(frozen=True)
class FailureInfo:
    """The run's failure: how it was established, where, and what was expected instead."""

    kind: str
    """``user`` (the caller said so), ``evaluation`` (a failing evaluation result) or ``exception``."""
    span_id: str | None
    """The failed span: the evaluated span, the span where the exception surfaced, or the run's root."""
    detail: str = ""
    expected: str | None = None
    actual: str | None = None
    evaluator: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return {
            "kind": self.kind,
            "span_id": self.span_id,
            "detail": self.detail,
            "expected": self.expected,
            "actual": self.actual,
            "evaluator": self.evaluator,
        }


def _text(value: Any) -> str | None:
    if value is None:
        return None
    parsed = parse_payload(value)
    return parsed if isinstance(parsed, str) else str(value)


def verdict_of(attrs: Any) -> bool | None:
    """``True`` for a passing evaluation result, ``False`` for a failing one, ``None`` when it says neither."""
    success = attrs.get(ev.EVALUATION_SUCCESS)
    if isinstance(success, bool):
        return success
    if isinstance(success, str) and success.lower() in ("true", "false"):
        return success.lower() == "true"
    label = str(attrs.get(ev.GEN_AI_EVALUATION_SCORE_LABEL, "")).strip().lower().replace(" ", "_")
    if label in FAILING_LABELS:
        return False
    if label in PASSING_LABELS:
        return True
    return None


def _root_run(view: TraceView) -> str | None:
    roots = [s for s in view.trace.roots if s.attributes.get(ev.EVALUATION_DEFERRED) is not True]
    chosen = min(roots or view.trace.roots, key=lambda s: (s.start_ns, s.span_id), default=None)
    return chosen.span_id if chosen else None


def _target(view: TraceView, span: Span, attrs: Any) -> str | None:
    target = attrs.get(ev.EVALUATION_TARGET_SPAN_ID) or span.attributes.get(ev.EVALUATION_TARGET_SPAN_ID)
    if target and str(target) in view.by_id:
        return str(target)
    if span.attributes.get(ev.EVALUATION_DEFERRED) is True:
        return _root_run(view)
    return span.span_id


def evaluation_failure(view: TraceView) -> FailureInfo | None:
    """The latest failing ``gen_ai.evaluation.result`` in the trace (ours or any evaluator's), if any."""
    found: list[tuple[int, int, FailureInfo]] = []
    for span in view.spans:
        for event in span.events:
            if event.name != ev.GEN_AI_EVALUATION_RESULT_EVENT or verdict_of(event.attributes) is not False:
                continue
            attrs = event.attributes
            name = str(attrs.get(ev.GEN_AI_EVALUATION_NAME, ev.EVALUATION_DEFAULT_NAME))
            parts = [f"{name} failed"]
            label, score = attrs.get(ev.GEN_AI_EVALUATION_SCORE_LABEL), attrs.get(ev.GEN_AI_EVALUATION_SCORE_VALUE)
            if label is not None or score is not None:
                parts.append(" ".join(str(x) for x in (label, score) if x is not None))
            explanation = attrs.get(ev.GEN_AI_EVALUATION_EXPLANATION)
            if explanation:
                parts.append(str(explanation))
            info = FailureInfo(
                "evaluation",
                _target(view, span, attrs),
                ": ".join(parts),
                _text(attrs.get(ev.EVALUATION_EXPECTED)),
                _text(attrs.get(ev.EVALUATION_ACTUAL)),
                str(attrs.get(ev.EVALUATION_EVALUATOR, "")),
            )
            found.append((event.time_ns, view.order[span.span_id], info))
    return max(found, key=lambda f: (f[0], f[1]))[2] if found else None


def find_failure(
    view: TraceView, *, failed: bool | None = None, expected: str | None = None, reason: str | None = None
) -> FailureInfo | None:
    """The run's failure, or ``None`` when it passed (see the module docstring for the order)."""
    if failed is False:
        return None
    evaluation = evaluation_failure(view)
    if failed:
        span_id = evaluation.span_id if evaluation else _root_run(view)
        return FailureInfo(
            "user",
            span_id,
            reason or "reported as wrong by the user",
            expected or (evaluation.expected if evaluation else None),
            evaluation.actual if evaluation else None,
            "user",
        )
    if evaluation is not None:
        if expected or reason:
            detail = f"{evaluation.detail}; {reason}" if reason else evaluation.detail
            return replace(evaluation, detail=detail, expected=expected or evaluation.expected)
        return evaluation
    span_id = failure_span(view)
    if span_id is None:
        return None
    errors = view.errors.get(span_id, [])
    unhandled = [e for e in errors if not e.handled] or errors
    detail = f"{unhandled[-1].type}: {unhandled[-1].message}" if unhandled else "the span ended with status ERROR"
    return FailureInfo("exception", span_id, detail, expected, None)

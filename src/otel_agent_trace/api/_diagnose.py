"""``diagnose()``: root-cause analysis of the current run, from inside the run (an agent's error handler).

The spans come from the span processor's in-memory buffer (`_internal.recent`), encoded as OTLP-JSON, loaded with
``otel_agent_trace.model`` and analysed by ``otel_agent_trace.rca.analyze``: the same analysis as the offline
``rca`` command, on what the run did so far (spans still open are in progress, ended now). Both are imported on
the first call only: ``import otel_agent_trace`` stays light.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from opentelemetry import trace as trace_api

from otel_agent_trace._internal.errors import log_internal_error
from otel_agent_trace._internal.recent import find_recent, sources
from otel_agent_trace.semconv import state as S

if TYPE_CHECKING:
    from otel_agent_trace.model import Span, SpanEvent, Trace
    from otel_agent_trace.rca.report import RcaReport, RootCause

logger = logging.getLogger("otel_agent_trace")

DEFAULT_MAX_SPANS: Final = 500
"""Spans analysed at most by default: the open ones and the most recent ended ones."""
MAX_EVIDENCE: Final = 6
"""Evidence lines kept per suspect."""
_STATE_KEYS: Final = (
    ("working_memory", S.STATE_WORKING_MEMORY),
    ("goal_stack", S.STATE_GOAL_STACK),
    ("beliefs", S.STATE_BELIEFS),
    ("confidence", S.STATE_CONFIDENCE),
)


@dataclass(frozen=True)
class Suspect:
    """A span the analysis blames: the root cause or one of the next candidates."""

    span_id: str
    name: str
    kind: str
    """What the span is for the RCA: ``tool``, ``llm``, ``step``, ``decision``, ``agent``..."""
    agent: str
    score: float
    """Share of the blame (all spans sum to 1)."""
    evidence: tuple[str, ...] = ()
    """The RCA's evidence lines, strongest first."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return {
            "span_id": self.span_id,
            "name": self.name,
            "kind": self.kind,
            "agent": self.agent,
            "score": round(self.score, 4),
            "evidence": list(self.evidence),
        }


@dataclass(frozen=True)
class Checkpoint:
    """A framework checkpoint to resume from (LangGraph: ``thread_id`` + ``checkpoint_id``)."""

    thread_id: str
    checkpoint_id: str
    checkpoint_ns: str = ""
    step: int | None = None
    """The superstep it closes (LangGraph metadata ``step``)."""
    next: tuple[str, ...] = ()
    """Nodes that run next from it."""

    def config(self) -> dict[str, Any]:
        """The LangGraph config that resumes from it: ``graph.invoke(None, config=checkpoint.config())``."""
        configurable = {"thread_id": self.thread_id, "checkpoint_id": self.checkpoint_id}
        if self.checkpoint_ns:
            configurable["checkpoint_ns"] = self.checkpoint_ns
        return {"configurable": configurable}

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return {
            "thread_id": self.thread_id,
            "checkpoint_id": self.checkpoint_id,
            "checkpoint_ns": self.checkpoint_ns,
            "step": self.step,
            "next": list(self.next),
        }


@dataclass(frozen=True)
class RollbackPoint:
    """The last state snapshot before the root cause: where a retry can start again."""

    span_id: str
    """The span the snapshot was recorded on."""
    span_name: str
    time_ns: int
    label: str = ""
    state_hash: str = ""
    state: Mapping[str, Any] = field(default_factory=dict)
    """``working_memory``, ``goal_stack``, ``beliefs``, ``confidence`` as recorded (content capture for the first
    three; a value cut by the budget is the recorded text)."""
    checkpoint: Checkpoint | None = None
    """With LangGraph and a checkpointer: the checkpoint of that point."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return {
            "span_id": self.span_id,
            "span_name": self.span_name,
            "time_ns": self.time_ns,
            "label": self.label,
            "state_hash": self.state_hash,
            "state": dict(self.state),
            "checkpoint": self.checkpoint.to_dict() if self.checkpoint else None,
        }


@dataclass(frozen=True)
class Diagnosis:
    """The root cause of the current run's failure, the next candidates and where to roll back to."""

    trace_id: str
    root_cause: Suspect
    candidates: tuple[Suspect, ...] = ()
    """The next most blamed spans (the root cause not repeated)."""
    failure_kind: str = ""
    """How the failure was established: ``user`` (``failed=True``), ``evaluation`` or ``exception``."""
    failure_detail: str = ""
    expected: str | None = None
    rollback: RollbackPoint | None = None
    spans_analyzed: int = 0
    spans_in_progress: int = 0
    """Spans still open when diagnosed (analysed as ending now)."""
    spans_dropped: int = 0
    """Spans of the run the buffer no longer held or left out (its bounds, ``max_spans``): the analysis saw less."""

    @property
    def span_id(self) -> str:
        """The root-cause span's id."""
        return self.root_cause.span_id

    @property
    def name(self) -> str:
        """The root-cause span's name."""
        return self.root_cause.name

    @property
    def kind(self) -> str:
        """The root-cause span's kind (``tool``, ``llm``, ``step``...)."""
        return self.root_cause.kind

    @property
    def agent(self) -> str:
        """The agent the root-cause span belongs to."""
        return self.root_cause.agent

    @property
    def score(self) -> float:
        """The root cause's share of the blame."""
        return self.root_cause.score

    @property
    def evidence(self) -> tuple[str, ...]:
        """Why the root cause is blamed."""
        return self.root_cause.evidence

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form (``json.dumps`` works on it as is)."""
        return {
            "trace_id": self.trace_id,
            "root_cause": self.root_cause.to_dict(),
            "candidates": [c.to_dict() for c in self.candidates],
            "failure": {"kind": self.failure_kind, "detail": self.failure_detail, "expected": self.expected},
            "rollback": self.rollback.to_dict() if self.rollback else None,
            "spans_analyzed": self.spans_analyzed,
            "spans_in_progress": self.spans_in_progress,
            "spans_dropped": self.spans_dropped,
        }

    def to_prompt(self, max_chars: int = 2000) -> str:
        """A plain-text account for the agent's LLM, at most ``max_chars`` characters (each value cut first)."""
        from ._diagnose_text import prompt_text

        return prompt_text(self, max(200, int(max_chars)))


def diagnose(
    *,
    failed: bool | None = None,
    expected: str | None = None,
    reason: str | None = None,
    max_spans: int = DEFAULT_MAX_SPANS,
    trace_id: str | int | None = None,
) -> Diagnosis | None:
    """Analyse the current run (the trace of the current span) and return its root cause and a rollback point.

    Call it in the agent's error handler, or after ``record_outcome(False)``: the spans come from the span
    processor's in-memory buffer (``init(diagnose_buffer=N)``), spans still open count as in progress.

    Args:
        failed: ``True`` when the run is wrong though nothing in it says so (no exception, no failing
            evaluation); ``None`` reads the trace.
        expected: What the run should have produced (guides the search for the first wrong value).
        reason: Why the run is wrong, in the caller's words.
        max_spans: Spans analysed at most (the open ones and the most recent ended ones).
        trace_id: Another trace than the current one (32 hex digits or the int).

    Returns:
        The diagnosis, or ``None`` when there is nothing to analyse (no span processor buffer, no current trace,
        the buffer does not hold it, or the run shows no failure: pass ``failed=True``). Never raises.
    """
    try:
        return _diagnose(failed, expected, reason, max_spans, trace_id)
    except Exception:  # noqa: BLE001 - our fault must not reach the agent's error handler
        log_internal_error("otel_agent_trace.diagnose")
        return None


def _trace_id(given: str | int | None) -> int | None:
    if given is None:
        ctx = trace_api.get_current_span().get_span_context()
        return ctx.trace_id if ctx.is_valid else None
    if isinstance(given, bool):
        return None
    if isinstance(given, int):
        return given if 0 < given < 2**128 else None
    try:
        value = int(str(given).strip(), 16)
    except ValueError:
        return None
    return value if 0 < value < 2**128 else None


def _diagnose(
    failed: bool | None, expected: str | None, reason: str | None, max_spans: int, given: str | int | None
) -> Diagnosis | None:
    trace_id = _trace_id(given)
    if trace_id is None or not sources():
        return None
    limit = max(1, min(int(max_spans), 100_000))
    recent = find_recent(trace_id, limit)
    if recent is None:
        return None
    from otel_agent_trace.model import group_traces, spans_from_otlp
    from otel_agent_trace.rca import analyze

    traces = group_traces(spans_from_otlp(recent.document, where="diagnose buffer"))
    if not traces:
        return None
    run = traces[0]
    verdict = None if failed is None else bool(failed)
    expected = None if expected is None else str(expected)
    reason = None if reason is None else str(reason)
    report = analyze(run, failed=verdict, expected=expected, reason=reason)
    if report.root_cause is None and verdict is None:
        raised = _raised_in_progress(run, recent.open_span_ids)
        if raised is not None:
            run = raised
            report = analyze(run, expected=expected, reason=reason)
    if report.root_cause is None:
        logger.debug("diagnose(): no failure found in trace %s (pass failed=True for a wrong answer)", run.trace_id)
        return None
    return _diagnosis(run, report, len(recent.open_span_ids & run.by_id.keys()), recent.dropped)


def _raised_in_progress(run: Trace, open_ids: frozenset[str]) -> Trace | None:
    """``run`` with the latest error raised under spans still in progress propagated to them, or ``None``.

    Offline, an ERROR span under a parent that did not fail was handled. Here the parent has not ended: the agent
    is handling the error now (that is why it asks), so the error counts as the run's failure.
    """
    from dataclasses import replace

    from otel_agent_trace.model import Trace as TraceRecord

    by_id = run.by_id
    best: tuple[int, list[str]] | None = None
    for span in run.spans:
        if not span.is_error or span.span_id in open_ids:
            continue
        chain: list[str] = []
        parent = span.parent_span_id
        while parent is not None and parent in by_id and parent in open_ids and len(chain) < 1000:
            chain.append(parent)
            parent = by_id[parent].parent_span_id
        if chain and (parent is None or parent not in by_id) and (best is None or span.end_ns > best[0]):
            best = (span.end_ns, chain)
    if best is None:
        return None
    failing = set(best[1])
    spans = tuple(replace(s, status_code="ERROR") if s.span_id in failing else s for s in run.spans)
    return TraceRecord(run.trace_id, spans)


def _suspect(candidate: RootCause) -> Suspect:
    lines = candidate.why + tuple(e.detail for e in candidate.evidence)
    evidence = tuple(dict.fromkeys(line for line in lines if line))[:MAX_EVIDENCE]
    return Suspect(candidate.span_id, candidate.name, candidate.type, candidate.agent, float(candidate.score), evidence)


def _diagnosis(run: Trace, report: RcaReport, in_progress: int, dropped: int) -> Diagnosis:
    root = report.root_cause
    assert root is not None  # checked by the caller
    failure = report.failure
    cause = run.by_id.get(root.span_id)
    return Diagnosis(
        trace_id=run.trace_id,
        root_cause=_suspect(root),
        candidates=tuple(_suspect(c) for c in report.candidates if c.span_id != root.span_id),
        failure_kind=failure.kind if failure else "",
        failure_detail=failure.detail if failure else "",
        expected=failure.expected if failure else None,
        rollback=rollback_point(run, cause.start_ns) if cause is not None else None,
        spans_analyzed=len(run.spans),
        spans_in_progress=in_progress,
        spans_dropped=dropped,
    )


def rollback_point(run: Trace, before_ns: int) -> RollbackPoint | None:
    """The last state snapshot of ``run`` recorded before ``before_ns``, with its checkpoint when there is one.

    A snapshot equal to the previous one (``agent_trace.state.unchanged``) carries no content: the state is taken
    from the latest earlier snapshot with the same hash that has it.
    """
    snapshots: list[tuple[int, Span, SpanEvent]] = [
        (event.time_ns, span, event)
        for span in run.spans
        for event in span.events
        if event.name == S.STATE_EVENT_NAME and event.time_ns < before_ns
    ]
    if not snapshots:
        return None
    snapshots.sort(key=lambda item: item[0])
    time_ns, span, event = snapshots[-1]
    attributes = event.attributes
    digest = str(attributes.get(S.STATE_HASH, ""))
    state = _state(attributes)
    if digest and not any(k in state for k in ("working_memory", "goal_stack", "beliefs")):
        for _, _, earlier in reversed(snapshots[:-1]):
            if str(earlier.attributes.get(S.STATE_HASH, "")) == digest:
                content = _state(earlier.attributes)
                if any(k in content for k in ("working_memory", "goal_stack", "beliefs")):
                    state = {**content, **state}
                    break
    checkpoints = [item for item in snapshots if _checkpoint(item[2].attributes) is not None]
    top = [item for item in checkpoints if not item[2].attributes.get(S.STATE_CHECKPOINT_NS)]
    chosen = (top or checkpoints)[-1] if checkpoints else None
    return RollbackPoint(
        span_id=span.span_id,
        span_name=span.name,
        time_ns=time_ns,
        label=str(attributes.get(S.STATE_LABEL, "")),
        state_hash=digest,
        state=state,
        checkpoint=_checkpoint(chosen[2].attributes) if chosen is not None else None,
    )


def _state(attributes: Mapping[str, Any]) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for name, key in _STATE_KEYS:
        raw = attributes.get(key)
        if raw is None:
            continue
        try:
            state[name] = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:  # cut by the budget: keep the recorded text
            state[name] = raw
    return state


def _checkpoint(attributes: Mapping[str, Any]) -> Checkpoint | None:
    checkpoint_id = attributes.get(S.STATE_CHECKPOINT_ID)
    thread_id = attributes.get(S.STATE_CHECKPOINT_THREAD_ID)
    if not checkpoint_id or thread_id is None:
        return None
    step = attributes.get(S.STATE_CHECKPOINT_STEP)
    following = attributes.get(S.STATE_CHECKPOINT_NEXT) or ()
    return Checkpoint(
        thread_id=str(thread_id),
        checkpoint_id=str(checkpoint_id),
        checkpoint_ns=str(attributes.get(S.STATE_CHECKPOINT_NS) or ""),
        step=step if isinstance(step, int) and not isinstance(step, bool) else None,
        next=tuple(str(n) for n in following) if isinstance(following, (list, tuple)) else (str(following),),
    )

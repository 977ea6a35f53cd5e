"""Write an analysis onto the spans of its trace, so any viewer shows which span is to blame.

`annotate` returns a new `Trace` (the model is frozen) whose blamed spans carry ``agent_trace.rca.*`` attributes
(`otel_agent_trace.semconv.rca`): rank, blame share, agent and its share, evidence, causal-chain role; the root
cause also ``agent_trace.rca.root_cause=true`` and an ``agent_trace.rca.verdict`` event with the verdict in one
line, and the span where the failure surfaced ``agent_trace.rca.failure=true``. Export the result
(`otel_agent_trace.model.writers`) and open it in Jaeger, or send the OTLP-JSON to a collector for Tempo/Phoenix.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from otel_agent_trace.model import Span, SpanEvent, Trace
from otel_agent_trace.semconv import rca as R

from .report import RcaReport

MAX_EVIDENCE = 5
"""Evidence lines written per span."""


def verdict_line(report: RcaReport) -> str:
    """The verdict in one line: the root cause, its agent and the strongest reason."""
    root = report.root_cause
    if root is None:
        return "no failure found" if not report.failed else "the run failed; no span could be blamed"
    why = root.evidence[0].detail if root.evidence else (root.why[0] if root.why else "")
    agent = f" (agent {root.agent})" if root.agent else ""
    return f"root cause: {root.name}{agent}, blame {root.score:.0%}" + (f": {why}" if why else "")


def annotate(trace: Trace, report: RcaReport) -> Trace:
    """``trace`` with ``report``'s verdict written onto its spans (see the module docstring)."""
    if report.trace_id != trace.trace_id:
        raise ValueError(f"the report is of trace {report.trace_id}, not {trace.trace_id}")
    extra: dict[str, dict[str, Any]] = {}
    agent_share = {a.name: a.score for a in report.agents}
    for rank, step in enumerate(report.blame.steps, 1):
        attrs = extra.setdefault(step.span_id, {})
        attrs[R.RCA_RANK] = rank
        attrs[R.RCA_BLAME] = round(step.score, 6)
        if step.agent:
            attrs[R.RCA_AGENT] = step.agent
            if step.agent in agent_share:
                attrs[R.RCA_AGENT_BLAME] = round(agent_share[step.agent], 6)
        ordered = sorted(step.evidence, key=lambda e: -e.weight)[:MAX_EVIDENCE]
        if ordered:
            attrs[R.RCA_EVIDENCE] = tuple(e.detail for e in ordered)
    for link in report.causal_chain.steps:
        extra.setdefault(link.span_id, {})[R.RCA_ROLE] = link.role
    if report.failure_span_id is not None:
        extra.setdefault(report.failure_span_id, {})[R.RCA_FAILURE] = True
    root = report.root_cause
    verdict: dict[str, str] = {}
    if root is not None:
        extra.setdefault(root.span_id, {})[R.RCA_ROOT_CAUSE] = True
        verdict[root.span_id] = verdict_line(report)
        if report.failure_span_id and report.failure_span_id != root.span_id:
            verdict[report.failure_span_id] = f"the failure surfaced here; {verdict_line(report)}"
    spans = tuple(_annotated(span, extra.get(span.span_id), verdict.get(span.span_id)) for span in trace.spans)
    return Trace(trace.trace_id, spans)


def strip_annotation(trace: Trace) -> Trace:
    """``trace`` without any ``agent_trace.rca.*`` attribute or verdict event (an earlier `annotate`'s output).

    The analysis of an annotated trace (read back from the store or an export) must not see its own verdict.
    """
    prefix = R.RCA_VERDICT_EVENT.rsplit(".", 1)[0] + "."
    if not any(k.startswith(prefix) for s in trace.spans for k in s.attributes):
        return trace
    spans = tuple(
        replace(
            span,
            attributes={k: v for k, v in span.attributes.items() if not k.startswith(prefix)},
            events=tuple(e for e in span.events if e.name != R.RCA_VERDICT_EVENT),
        )
        for span in trace.spans
    )
    return Trace(trace.trace_id, spans)


def _annotated(span: Span, attrs: dict[str, Any] | None, verdict: str | None) -> Span:
    if not attrs and verdict is None:
        return span
    events = span.events
    if verdict is not None:
        events = (*events, SpanEvent(R.RCA_VERDICT_EVENT, span.end_ns, {R.RCA_SUMMARY: verdict}))
    return replace(span, attributes={**span.attributes, **(attrs or {})}, events=events)

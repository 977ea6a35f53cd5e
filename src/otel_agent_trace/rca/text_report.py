"""The RCA report as plain text: the root cause first, then the next candidates, the agents, the verdict.

Reads whatever the report has: the candidates, agent blame and failure verdict when the analysis provides them,
else the step blame and the first error.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .report import RcaReport


def plural(count: int, word: str, plural_word: str | None = None) -> str:
    """``1 hop``, ``2 hops``, ``0 spans``.

    >>> plural(1, "hop"), plural(2, "span"), plural(3, "entry", "entries")
    ('1 hop', '2 spans', '3 entries')
    """
    return f"{count} {word if count == 1 else (plural_word or word + 's')}"


def duration_text(ns: float) -> str:
    """``1.5 ms``, ``3.67 s``, ``250 µs`` (three significant digits).

    >>> duration_text(0), duration_text(1_500_000), duration_text(3_670_000_000), duration_text(1_012_000_000_000)
    ('0', '1.5 ms', '3.67 s', '1012 s')
    """
    if ns == 0:
        return "0"
    if ns >= 100e9:
        return f"{ns / 1e9:.0f} s"
    if ns >= 1e9:
        return f"{ns / 1e9:.3g} s"
    if ns >= 1e6:
        return f"{ns / 1e6:.3g} ms"
    return f"{ns / 1e3:.3g} µs"


def evidence_lines(evidence: Iterable[Any], limit: int = 4) -> list[str]:
    """Distinct evidence details (``Evidence`` objects or plain strings), the judge's marked, at most ``limit``."""
    out: list[str] = []
    for item in evidence:
        detail = str(getattr(item, "detail", item))
        kind = getattr(item, "kind", "")
        text = f"[judge] {detail}" if kind == "judge" and not detail.startswith("LLM judge") else detail
        if text and text not in out:
            out.append(text)
        if len(out) >= limit:
            break
    return out


def candidates_of(report: RcaReport) -> list[Any]:
    """The top candidates (the analysis' ``candidates``, else the three most blamed steps)."""
    found = getattr(report, "candidates", None)
    if found:
        return list(found)
    return list(report.blame.steps[:3])


def evidence_of(candidate: Any) -> list[str]:
    """A candidate's evidence details (or its ``why``), at most four."""
    evidence = getattr(candidate, "evidence", None)
    if evidence:
        return evidence_lines(evidence)
    return [str(w) for w in getattr(candidate, "why", ())][:4]


def failure_line(report: RcaReport, *, with_kind: bool = True) -> str:
    """How the run failed: an exception, a failing evaluation, or the user's word (``with_kind``: say which)."""
    failure = getattr(report, "failure", None)
    if failure is not None:
        kind = str(getattr(failure, "kind", "") or "failure")
        parts = [kind] if with_kind else []
        detail = getattr(failure, "detail", "")
        if detail:
            parts.append(str(detail))
        if getattr(failure, "span_id", None):
            parts.append(f"in span {failure.span_id}")
        span_part = parts.pop() if parts and parts[-1].startswith("in span ") else ""
        text = ": ".join(parts) + (f" {span_part}" if span_part else "")
        for label in ("expected", "actual"):
            value = getattr(failure, label, None)
            if value:
                text += f"; {label}: {_short(str(value), 200)}"
        return text
    first = report.propagation.first_error
    if first is not None:
        prefix = "exception: " if with_kind else ""
        return f"{prefix}{first.type}: {_short(first.message, 300)} in span {first.span_id}"
    return f"failure surfaced in span {report.failure_span_id}" if report.failure_span_id else "no failure"


def baseline_line(report: RcaReport, baseline_note: str | None = None) -> str:
    """Which passing runs the analysis compared with (``baseline_note``, from the caller that chose them, wins)."""
    if baseline_note:
        return baseline_note
    runs = int(getattr(report, "baseline_runs", 0) or 0)
    return plural(runs, "passing run") if runs > 0 else "none (no passing runs were given)"


def judge_line(report: RcaReport) -> str | None:
    """Whether an LLM judge was asked and what came of it (``None`` when no judge was configured)."""
    judge = getattr(report, "judge", None)
    if judge is None:
        return None
    if getattr(judge, "used", False):
        rationale = getattr(judge, "rationale", "")
        return f"used ({judge.model}); its ranking is merged into the blame" + (f": {rationale}" if rationale else "")
    return f"not used ({judge.model}): {getattr(judge, 'note', '') or 'no verdict'}"


def verdict_of(report: RcaReport, span_id: str) -> str | None:
    """The counterfactual verdict on a candidate (``confirmed``, ``refuted``...), ``None`` when not verified."""
    verification = getattr(report, "verification", None)
    found = verification.by_id.get(span_id) if verification is not None else None
    return str(found.verdict) if found is not None else None


def verdict_tag(report: RcaReport, span_id: str) -> str:
    """``  [confirmed by replay]`` / ``  [refuted by replay]`` / ``  [replay: diverged]``, empty when not verified."""
    verdict = verdict_of(report, span_id)
    if verdict is None:
        return ""
    return f"  [{verdict} by replay]" if verdict in ("confirmed", "refuted") else f"  [replay: {verdict}]"


def verification_line(report: RcaReport) -> str | None:
    """The report's one-line account of the counterfactual replays, ``None`` when there were none."""
    verification = getattr(report, "verification", None)
    if verification is None:
        return None
    line = f"counterfactual replay, {verification.summary()}"
    if not verification.control.reproduced:
        line += f"; {verification.control.detail}"
    return line


def verification_lines(report: RcaReport) -> list[str]:
    """The verification section: the control, then one line per verified candidate with its reason."""
    verification = getattr(report, "verification", None)
    if verification is None:
        return []
    lines = [f"Counterfactual verification ({verification.summary()}):", f"  control: {verification.control.detail}"]
    for item in verification.verdicts:
        lines.append(f"  {item.verdict:<12} {item.name} ({item.span_id})")
        lines.append(f"       {_short(item.reason, 300)}")
        if item.value is not None and item.verdict != "untestable":
            lines.append(
                f"       value: {_short(item.value, 120)}" + (f" ({item.value_source})" if item.value_source else "")
            )
        if item.replay_status is not None:
            lines.append(
                f"       replay: {item.replay_status}, {item.served} served from the recording, {item.live} live"
            )
    return lines


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def agent_rows(report: RcaReport) -> list[tuple[str, float, list[str]]]:
    """(agent, score, evidence) rows: the analysis' agent blame, else the step blame summed per agent."""
    found = getattr(report, "agents", None)
    if found:
        return [
            (str(a.name) or "(unknown)", float(a.score), [_short(e, 160) for e in evidence_lines(a.evidence, 1)])
            for a in found
        ]
    return [(name, score, []) for name, score in report.blame.agents.items()]


def render_text(report: RcaReport, top: int = 5, *, baseline_note: str | None = None) -> str:
    """The report as plain text, the root-cause span (id, name, type, why) first.

    Args:
        report: the `analyze` result.
        top: blamed steps listed in the blame table.
        baseline_note: what the run was compared with, e.g. ``3 passing runs of invoke_agent shop`` (default:
            the report's ``baseline_runs``).
    """
    if report.root_cause is None:
        line = f"Trace {report.trace_id}: no failure found ({plural(report.span_count, 'span')}); nothing to blame."
        return line + "\n"
    rc = report.root_cause
    candidates = candidates_of(report)
    has_candidates = bool(getattr(report, "candidates", None))
    first = candidates[0] if has_candidates and candidates[0].span_id == rc.span_id else None
    first_evidence = evidence_of(first) if first is not None else []
    lines = [
        f"ROOT CAUSE  {rc.span_id}  {rc.name}  [{rc.type}]  agent={rc.agent or '-'}  blame={rc.score:.2f}"
        + verdict_tag(report, rc.span_id),
        *(f"  why: {reason}" for reason in (first_evidence or list(rc.why))),
        "",
        f"Failure:  {failure_line(report)}",
        f"Baseline: {baseline_line(report, baseline_note)}",
    ]
    judged = judge_line(report)
    if judged:
        lines.append(f"Judge:    {judged}")
    verified = verification_line(report)
    if verified:
        lines.append(f"Verified: {verified}")
    others = [c for c in candidates if c.span_id != rc.span_id][:2]
    if others:
        lines += ["", "Next candidates:"]
        for index, cand in enumerate(others, 2):
            agent = getattr(cand, "agent", "") or "-"
            tag = verdict_tag(report, cand.span_id)
            lines.append(
                f"  {index}. {cand.name} ({cand.span_id}) [{cand.type}] agent={agent} blame={cand.score:.2f}{tag}"
            )
            lines += [f"       why: {e}" for e in evidence_of(cand)[:3]]
    checked = verification_lines(report)
    if checked:
        lines += ["", *checked]
    agents = agent_rows(report)
    if agents:
        lines += ["", "Agents:"]
        for name, score, why in agents[:5]:
            lines.append(f"  {score:6.3f}  {name}" + (f"  ({'; '.join(why)})" if why else ""))
    lines += [
        "",
        f"Trace {report.trace_id}: {plural(report.span_count, 'span')}, {duration_text(report.duration_ns)},"
        f" failure surfaced in span {report.failure_span_id}",
        "",
        "Causal chain (trigger -> outcome):",
    ]
    for index, step in enumerate(report.causal_chain.steps, 1):
        lines.append(f"  {index}. [{step.role}] {step.name} ({step.span_id})")
        if step.reason:
            lines.append(f"       -> {step.reason}")
    lines += ["", "Traceback (failure -> deviation):"]
    for frame in report.traceback.frames:
        flags = "; ".join(a.detail for a in frame.anomalies[:2])
        lines.append(f"  {frame.relation:>20}  {frame.name} ({frame.span_id})" + (f"  !! {flags}" if flags else ""))
    lines += ["", f"Blame (top {min(top, len(report.blame.steps))} of {len(report.blame.steps)}):"]
    for blamed in report.blame.steps[:top]:
        lines.append(f"  {blamed.score:6.3f}  {blamed.name} ({blamed.span_id}) [{blamed.type}]")
    if report.blame.tools:
        lines.append("  by tool:  " + ", ".join(f"{k}={v:.2f}" for k, v in list(report.blame.tools.items())[:5]))
    prop = report.propagation
    if prop.first_error:
        reached = len(prop.reached) - 1
        lines += [
            "",
            f"First error: {prop.first_error.type}: {prop.first_error.message} in {prop.first_error.span_id};"
            f" reached {plural(reached, 'span')}" + (", up to the run's outcome" if prop.reached_outcome else ""),
        ]
    lines.append(f"Data flow: {plural(len(report.dependencies.edges), 'edge')} between steps")
    return "\n".join(lines) + "\n"

"""The RCA report as plain text: the root cause first."""

from __future__ import annotations

from .report import RcaReport


def render_text(report: RcaReport, top: int = 5) -> str:
    """The report as plain text, the root-cause span (id, name, type, why) first."""
    lines = []
    if report.root_cause is None:
        lines.append(f"Trace {report.trace_id}: no failure found ({report.span_count} spans); nothing to blame.")
        return "\n".join(lines) + "\n"
    rc = report.root_cause
    lines += [
        f"ROOT CAUSE  {rc.span_id}  {rc.name}  [{rc.type}]  agent={rc.agent or '-'}  blame={rc.score:.2f}",
        *(f"  why: {reason}" for reason in rc.why),
        "",
        f"Trace {report.trace_id}: {report.span_count} spans, {report.duration_ns / 1e9:.2f} s,"
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
    lines += ["", f"Blame (top {top} of {len(report.blame.steps)}):"]
    for blamed in report.blame.steps[:top]:
        lines.append(f"  {blamed.score:6.3f}  {blamed.name} ({blamed.span_id}) [{blamed.type}]")
    if report.blame.tools:
        lines.append("  by tool:  " + ", ".join(f"{k}={v:.2f}" for k, v in list(report.blame.tools.items())[:5]))
    lines.append("  by agent: " + ", ".join(f"{k}={v:.2f}" for k, v in list(report.blame.agents.items())[:5]))
    prop = report.propagation
    if prop.first_error:
        lines += [
            "",
            f"First error: {prop.first_error.type}: {prop.first_error.message} in {prop.first_error.span_id};"
            f" reached {len(prop.reached) - 1} spans" + (", up to the run's outcome" if prop.reached_outcome else ""),
        ]
    lines.append(f"Data flow: {len(report.dependencies.edges)} edges between steps")
    return "\n".join(lines) + "\n"

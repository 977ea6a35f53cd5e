"""`Diagnosis.to_prompt`: the diagnosis as bounded plain text an agent can give its LLM."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from ._diagnose import Diagnosis

_LINE: Final = 300
"""Characters per value in the prompt text."""


def _cut(value: Any, limit: int = _LINE) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def prompt_text(diagnosis: Diagnosis, max_chars: int) -> str:
    """`Diagnosis.to_prompt`: root cause, evidence, candidates, rollback point, at most ``max_chars``."""
    root = diagnosis.root_cause
    lines = [f"Self-diagnosis of the current run (trace {diagnosis.trace_id}, {diagnosis.spans_analyzed} spans)."]
    if diagnosis.failure_kind:
        failure = f"Failure ({diagnosis.failure_kind})"
        lines.append(f"{failure}: {_cut(diagnosis.failure_detail)}" if diagnosis.failure_detail else failure + ".")
    if diagnosis.expected:
        lines.append(f"Expected: {_cut(diagnosis.expected)}")
    lines.append(
        f"Most likely root cause: {_cut(root.name, 120)} [{root.kind}], agent {_cut(root.agent, 80)}, "
        f"blame {root.score:.2f}, span {root.span_id}."
    )
    lines.extend(f"  - {_cut(line)}" for line in root.evidence)
    if diagnosis.candidates:
        lines.append("Other candidates:")
        for candidate in diagnosis.candidates[:3]:
            why = f": {_cut(candidate.evidence[0], 160)}" if candidate.evidence else ""
            lines.append(f"  - {_cut(candidate.name, 120)} [{candidate.kind}] blame {candidate.score:.2f}{why}")
    rollback = diagnosis.rollback
    if rollback is None:
        lines.append("Rollback point: none recorded before the root cause; retry from the start of the run.")
    else:
        label = f" '{_cut(rollback.label, 60)}'" if rollback.label else ""
        lines.append(
            f"Rollback point: the state snapshot{label} on {_cut(rollback.span_name, 120)}, "
            "the last one before the root cause."
        )
        for name, value in rollback.state.items():
            lines.append(f"  {name}: {_cut(value)}")
        if rollback.checkpoint is not None:
            cp = rollback.checkpoint
            lines.append(
                f"  checkpoint: thread_id={cp.thread_id} checkpoint_id={cp.checkpoint_id}"
                + (f" next={','.join(cp.next)}" if cp.next else "")
            )
    if diagnosis.spans_dropped:
        lines.append(f"Note: {diagnosis.spans_dropped} span(s) of the run were not analysed (buffer bounds).")
    lines.append("Retry from the rollback point, avoiding what the root cause did.")
    text = "\n".join(lines)
    return text if len(text) <= max_chars else text[: max_chars - 1] + "\u2026"

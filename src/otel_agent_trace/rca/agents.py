"""Agent-level blame: each agent's share of the step blame, with the evidence of its most blamed steps."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from .blame import BlameResult, StepBlame
from .signals import Evidence

UNKNOWN_AGENT = "(unknown)"
"""Name given to spans that run in no named agent."""


@dataclass(frozen=True)
class AgentBlame:
    """The blame of one agent: the sum of its spans' scores (all agents sum to 1) and why."""

    name: str
    score: float
    evidence: tuple[Evidence, ...] = ()
    span_ids: tuple[str, ...] = ()
    """Its blamed spans, most blamed first."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return {
            "name": self.name,
            "score": round(self.score, 6),
            "evidence": [e.to_dict() for e in self.evidence],
            "span_ids": list(self.span_ids),
        }


def agent_blame(blamed: BlameResult, max_evidence: int = 4) -> tuple[AgentBlame, ...]:
    """Per-agent blame from the per-span blame, ranked (ties by name, so the order is stable)."""
    steps: dict[str, list[StepBlame]] = defaultdict(list)
    for step in blamed.steps:
        steps[step.agent or UNKNOWN_AGENT].append(step)
    total = sum(s.score for s in blamed.steps) or 1.0
    out = []
    for name, own in steps.items():
        evidence: list[Evidence] = []
        seen: set[str] = set()
        for step in own:  # already most blamed first
            for item in step.evidence:
                if item.detail not in seen and len(evidence) < max_evidence:
                    seen.add(item.detail)
                    evidence.append(item)
        score = sum(s.score for s in own) / total
        out.append(AgentBlame(name, score, tuple(evidence), tuple(s.span_id for s in own)))
    out.sort(key=lambda a: (-round(a.score, 12), a.name))
    return tuple(out)

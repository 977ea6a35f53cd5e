"""Spectrum-based fault localisation across many runs: Ochiai, Tarantula and DStar over steps, tools and arguments.

Each run is a "test": failing or passing. Its "spectrum" is the set of elements it covered: ``step:<name>``,
``tool:<tool>``, ``arg:<tool>.<key>=<value>`` (scalar arguments), ``decision:<name>=<chosen>``, ``agent:<name>`` and
``model:<model>``. An element covered mostly by failing runs is suspicious.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from otel_agent_trace.model import Trace
from otel_agent_trace.semconv import GEN_AI_TOOL_CALL_ARGUMENTS

from .outcome import find_failure
from .values import parse_payload
from .view import TraceView

FORMULAS = ("ochiai", "tarantula", "dstar")
"""The suspiciousness formulas computed for each element."""
_MAX_ARG_VALUE = 40


@dataclass(frozen=True)
class ElementScore:
    """Suspiciousness of one element. ``ef``/``ep``: failing/passing runs covering it; ``nf``/``np``: not."""

    element: str
    ef: int
    ep: int
    nf: int
    np: int
    ochiai: float
    tarantula: float
    dstar: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return {
            "element": self.element,
            "ef": self.ef,
            "ep": self.ep,
            "nf": self.nf,
            "np": self.np,
            "ochiai": round(self.ochiai, 6),
            "tarantula": round(self.tarantula, 6),
            "dstar": round(self.dstar, 6) if math.isfinite(self.dstar) else "inf",
        }


@dataclass(frozen=True)
class SpectrumResult:
    """Elements ranked by the chosen formula (``ranked_by``), most suspicious first."""

    runs: int
    failing: int
    passing: int
    ranked_by: str
    elements: tuple[ElementScore, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return {
            "runs": self.runs,
            "failing": self.failing,
            "passing": self.passing,
            "ranked_by": self.ranked_by,
            "elements": [e.to_dict() for e in self.elements],
        }


def run_failed(trace: Trace) -> bool:
    """Default verdict: a failing evaluation result, a failed root span or an unhandled error (`find_failure`)."""
    return find_failure(TraceView(trace)) is not None


def coverage(trace: Trace) -> set[str]:
    """The elements a run covered (see the module docstring)."""
    view = TraceView(trace)
    out: set[str] = set()
    for span in trace.spans:
        kind = view.kind[span.span_id]
        label = view.label[span.span_id]
        if kind == "step":
            out.add(f"step:{span.name.removeprefix('step ')}")
        elif kind == "tool":
            out.add(f"tool:{label}")
            args = parse_payload(span.attributes.get(GEN_AI_TOOL_CALL_ARGUMENTS))
            if isinstance(args, dict):
                for key, value in args.items():
                    if isinstance(value, (str, int, float, bool)) and len(str(value)) <= _MAX_ARG_VALUE:
                        out.add(f"arg:{label}.{key}={value}")
        elif kind == "decision":
            decision = view.decision(span.span_id) or {}
            out.add(f"decision:{decision.get('name') or label}={decision.get('chosen')}")
        elif kind == "agent":
            out.add(f"agent:{label}")
        elif kind == "llm":
            out.add(f"model:{label}")
    return out


def _score(element: str, ef: int, ep: int, total_f: int, total_p: int, star: int) -> ElementScore:
    nf, np_ = total_f - ef, total_p - ep
    ochiai = ef / math.sqrt(total_f * (ef + ep)) if total_f and (ef + ep) else 0.0
    fail_rate = ef / total_f if total_f else 0.0
    pass_rate = ep / total_p if total_p else 0.0
    tarantula = fail_rate / (fail_rate + pass_rate) if fail_rate + pass_rate else 0.0
    dstar = ef**star / (ep + nf) if ep + nf else (math.inf if ef else 0.0)
    return ElementScore(element, ef, ep, nf, np_, ochiai, tarantula, dstar)


def spectrum_analysis(
    traces: Iterable[Trace],
    *,
    failed: Callable[[Trace], bool] = run_failed,
    formula: str = "ochiai",
    star: int = 2,
    min_failing: int = 1,
    top: int | None = 50,
) -> SpectrumResult:
    """Rank elements by how strongly their presence goes with failing runs.

    Args:
        traces: the runs, one trace each.
        failed: the verdict of a run (default `run_failed`).
        formula: ``ochiai``, ``tarantula`` or ``dstar`` for the ranking; all three are computed.
        star: the exponent of DStar.
        min_failing: keep elements covered by at least this many failing runs.
        top: keep this many elements (``None`` for all).

    Returns:
        The ranking; ties broken by the other formulas, then by name.

    Raises:
        ValueError: for an unknown formula.
    """
    if formula not in FORMULAS:
        raise ValueError(f"unknown formula {formula!r}; expected one of {', '.join(FORMULAS)}")
    in_failing: Counter[str] = Counter()
    in_passing: Counter[str] = Counter()
    total_f = total_p = 0
    for trace in traces:
        elements = coverage(trace)
        if failed(trace):
            total_f += 1
            in_failing.update(elements)
        else:
            total_p += 1
            in_passing.update(elements)
    scores = [
        _score(e, in_failing[e], in_passing[e], total_f, total_p, star)
        for e in set(in_failing) | set(in_passing)
        if in_failing[e] >= min_failing
    ]
    others = [f for f in FORMULAS if f != formula]
    scores.sort(key=lambda s: (-getattr(s, formula), -getattr(s, others[0]), -getattr(s, others[1]), s.element))
    return SpectrumResult(total_f + total_p, total_f, total_p, formula, tuple(scores[:top] if top else scores))

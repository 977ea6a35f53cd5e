"""Per-span anomaly signals: the evidence every analysis weighs (errors, odd outputs, unsure decisions, slowness)."""

from __future__ import annotations

import itertools
import re
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from otel_agent_trace.model import Trace

from .content import claims, output_kind, text_of
from .values import leaves, suspicious_leaves
from .view import TraceView

LOW_CONFIDENCE = 0.5
"""Decisions below this confidence are flagged."""
SLOW_RATIO = 5.0
"""A span whose own time exceeds this multiple of the median of its kind is flagged as slow."""
_TIMEOUT = re.compile(r"time ?out|timed out|deadline|budget|too long", re.IGNORECASE)


@dataclass(frozen=True)
class Evidence:
    """One reason to suspect a span."""

    span_id: str
    kind: str
    """``error``, ``handled_error``, ``recovered_error``, ``suspicious_output``, ``low_confidence``, ``slow``,
    ``out_of_baseline``, ``value_in_error``, ``data_provenance``, ``same_error_type``, ``timeout_cause``,
    ``surfaced_here`` or ``propagated``."""
    detail: str
    weight: float
    values: tuple[str, ...] = ()
    """Match keys of the odd values (for ``suspicious_output``), to check whether they flowed on."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return {"span_id": self.span_id, "kind": self.kind, "detail": self.detail, "weight": round(self.weight, 4)}


def is_timeout_error(text: str) -> bool:
    """Whether an error type or message speaks of a timeout or deadline."""
    return bool(_TIMEOUT.search(text))


def self_time_ns(view: TraceView, span_id: str) -> int:
    """Duration of the span minus the union of its children's durations (approximated by their sum, clamped)."""
    span = view.by_id[span_id]
    children = view.trace.children.get(span_id, [])
    return max(0, span.duration_ns - sum(c.duration_ns for c in children))


def recovered(view: TraceView, span_id: str) -> bool:
    """Whether a failed span was retried successfully: a later sibling of the same name that did not fail."""
    span = view.by_id[span_id]
    siblings = view.trace.children.get(view.parent.get(span_id), [])
    return any(s.name == span.name and s.start_ns > span.start_ns and not s.is_error for s in siblings)


def anomalies(view: TraceView, baseline: BaselineProfile | None = None) -> dict[str, list[Evidence]]:
    """Every span's anomalies, baseline-free unless ``baseline`` is given.

    Signals: errors (unhandled, handled, or recovered by a retry), outputs with nulls, empty results, negative
    numbers, NaN or error text, decisions below `LOW_CONFIDENCE`, spans whose own time is `SLOW_RATIO` times the
    median of their kind and over a second, and with a baseline, values and durations outside what passing runs
    showed.
    """
    out: dict[str, list[Evidence]] = defaultdict(list)
    for span_id, errors in view.errors.items():
        for error in errors:
            text = f"{error.type}: {error.message}"
            if not error.handled:
                out[span_id].append(Evidence(span_id, "error", text, 1.0))
            elif recovered(view, span_id) or error.handler == "retry":
                out[span_id].append(Evidence(span_id, "recovered_error", f"{text} (retried successfully)", 0.1))
            else:
                handler = f" by {error.handler}" if error.handler else ""
                out[span_id].append(Evidence(span_id, "handled_error", f"{text} (handled{handler})", 0.7))
    for span_id, payload in view.outputs.items():
        found = suspicious_leaves(payload)
        if found:
            detail = "; ".join(text for text, _ in found[:3])
            keys = tuple(key for _, key in found if key) if all(key for _, key in found) else ()
            out[span_id].append(Evidence(span_id, "suspicious_output", detail, 0.6, keys))
    for span in view.spans:
        decision = view.decision(span.span_id) if view.kind[span.span_id] == "decision" else None
        if decision and decision["confidence"] is not None and decision["confidence"] < LOW_CONFIDENCE:
            detail = f"chose {decision['chosen']!r} with confidence {decision['confidence']:.2f}"
            out[span.span_id].append(Evidence(span.span_id, "low_confidence", detail, 1.0 - decision["confidence"]))
    by_kind: dict[str, list[int]] = defaultdict(list)
    own = {s.span_id: self_time_ns(view, s.span_id) for s in view.spans}
    for span in view.spans:
        by_kind[view.kind[span.span_id]].append(own[span.span_id])
    medians = {k: statistics.median(v) for k, v in by_kind.items() if len(v) >= 3}
    for span in view.spans:
        median = medians.get(view.kind[span.span_id])
        mine = own[span.span_id]
        if median is not None and mine > 1_000_000_000 and mine > SLOW_RATIO * max(median, 1):
            ratio = mine / max(median, 1)
            detail = f"took {mine / 1e9:.1f} s on its own, {ratio:.0f}x the median {view.kind[span.span_id]} span"
            out[span.span_id].append(Evidence(span.span_id, "slow", detail, min(1.0, ratio / 50)))
    if baseline is not None:
        for evidence in baseline.compare(view):
            out[evidence.span_id].append(evidence)
    return dict(out)


STABLE_SPREAD = 0.25
"""A numeric value counts as stable across passing runs when its range is at most this share of its magnitude."""
MIN_RANGE_RUNS = 3
"""Passing runs needed before a value that varies at all gets a range (fewer: only identical values count)."""


def baseline_weight(runs: int) -> float:
    """How much a deviation from ``runs`` passing runs is worth relative to its full weight: grows with the runs."""
    return runs / (runs + 2) if runs > 0 else 0.0


@dataclass
class BaselineProfile:
    """What passing runs looked like, per span name, for the values that were *stable* across them.

    Passing runs of other tasks differ naturally (other entities, other numbers), so only a value that every
    passing run showed, identical or within a tight band, is a reference: a numeric range is kept where the same
    step gave the value in every run and its spread is at most `STABLE_SPREAD` of its magnitude (a value that
    varies at all needs `MIN_RANGE_RUNS` runs), widened by that spread; a text value where every run gave the same
    one (or, from 10 runs, few distinct ones each seen often). Deviations weigh `baseline_weight` of their weight.
    """

    numeric: dict[tuple[str, str], tuple[float, float]]
    categorical: dict[tuple[str, str], set[str]]
    durations: dict[str, float]
    names: set[str]
    runs: int = 0
    """How many passing runs the profile was learned from."""
    kinds: dict[str, set[str]] = field(default_factory=dict)
    """Per span name, the kinds of output (`content.output_kind`) passing runs agreed on."""

    def compare(self, view: TraceView) -> list[Evidence]:
        """Evidence for spans of ``view`` whose stable values or durations fall outside the profile.

        One piece per span: many deviating values of one step are one deviation (the weight of the strongest), so
        a step with many fields never outweighs what other evidence says about it.
        """
        merged: list[Evidence] = []
        for _, group in itertools.groupby(self._each(view), key=lambda e: e.span_id):
            items = list(group)
            strongest = max(items, key=lambda e: e.weight)
            details = list(dict.fromkeys(e.detail for e in items))
            more = f" (+{len(details) - 3} more)" if len(details) > 3 else ""
            merged.append(replace(strongest, detail="; ".join(details[:3]) + more))
        return merged

    def _each(self, view: TraceView) -> list[Evidence]:
        out = []
        # a value the run was given (its task) is another task's value, not a fault
        given = {c for root in view.trace.roots for c in claims(text_of(view.inputs.get(root.span_id, "")))}
        scale = baseline_weight(self.runs)
        for span in view.spans:
            payload = view.outputs.get(span.span_id)
            if payload is not None:
                for path, leaf in leaves(payload):
                    key = (span.name, path)
                    if isinstance(leaf, (int, float)) and not isinstance(leaf, bool) and key in self.numeric:
                        low, high = self.numeric[key]
                        if not low <= leaf <= high and not given.intersection(claims(f"{leaf:g}")):
                            band = f"{low:g}" if low == high else f"[{low:g}, {high:g}]"
                            detail = f"{path} = {leaf} outside the stable value of {self.runs} passing runs: {band}"
                            out.append(Evidence(span.span_id, "out_of_baseline", detail, 0.6 * scale))
                    elif (
                        isinstance(leaf, str)
                        and key in self.categorical
                        and leaf not in self.categorical[key]
                        and not (given and given.issuperset(claims(leaf[:200]) or ("",)))
                    ):
                        detail = f"{path} = {leaf[:40]!r} never seen in {self.runs} passing runs"
                        out.append(Evidence(span.span_id, "out_of_baseline", detail, 0.4 * scale))
            seen = self.kinds.get(span.name)
            if seen and payload is not None:
                kind = output_kind(payload)
                if kind not in seen and not _same_fields(kind, seen):
                    usual = ", ".join(sorted(seen)[:3])
                    detail = f"its output is {kind!r}; the same step of passing runs always gave {usual}"
                    out.append(Evidence(span.span_id, "out_of_baseline", detail, 0.4 * scale))
            typical = self.durations.get(span.name)
            if typical and span.duration_ns > 3 * typical and span.duration_ns > 1e9:
                detail = f"took {span.duration_ns / 1e9:.1f} s, passing runs at most {typical / 1e9:.1f} s"
                out.append(Evidence(span.span_id, "out_of_baseline", detail, 0.5 * scale))
        return out


def _same_fields(kind: str, seen: set[str]) -> bool:
    """Whether an output with fields has every field the passing runs always had (an extra field is no deviation)."""
    if not kind.startswith("fields:") or not all(k.startswith("fields:") for k in seen):
        return False
    always = set.intersection(*(set(k[7:].split(",")) for k in seen))
    return always <= set(kind[7:].split(","))


def stable_range(values: Sequence[float], runs: int) -> tuple[float, float] | None:
    """The band a stable numeric value stays in, or ``None`` when it varies too much for ``runs`` runs."""
    low, high = min(values), max(values)
    if low == high:
        return (low, high) if runs >= 2 else None
    spread = high - low
    if runs < MIN_RANGE_RUNS or spread > STABLE_SPREAD * max(abs(low), abs(high)):
        return None
    margin = spread * 4 / (runs - 1)  # the range of few runs underestimates the spread: widen it, less with more runs
    return low - margin, high + margin


def _stable_texts(values: list[str], runs: int, max_categories: int) -> set[str] | None:
    distinct = set(values)
    if len(distinct) == 1 and runs >= 2:
        return distinct
    if runs >= 10 and len(distinct) <= max_categories and runs >= 4 * len(distinct):
        return distinct
    return None


def baseline_profile(passing: Sequence[Trace], max_categories: int = 8) -> BaselineProfile:
    """Learn a `BaselineProfile` from passing runs: only values every run showed, and stable across them."""
    numbers: dict[tuple[str, str], list[float]] = defaultdict(list)
    texts: dict[tuple[str, str], list[str]] = defaultdict(list)
    seen_in: dict[tuple[str, str], set[int]] = defaultdict(set)
    durations: dict[str, list[float]] = defaultdict(list)
    names: set[str] = set()
    kinds: dict[str, list[str]] = defaultdict(list)
    kind_runs: dict[str, set[int]] = defaultdict(set)
    for index, trace in enumerate(passing):
        view = TraceView(trace)
        for span in trace.spans:
            names.add(span.name)
            durations[span.name].append(float(span.duration_ns))
            if span.span_id in view.outputs:
                kinds[span.name].append(output_kind(view.outputs[span.span_id]))
                kind_runs[span.name].add(index)
            for path, leaf in leaves(view.outputs.get(span.span_id, {})):
                key = (span.name, path)
                if isinstance(leaf, (int, float)) and not isinstance(leaf, bool):
                    numbers[key].append(float(leaf))
                    seen_in[key].add(index)
                elif isinstance(leaf, str):
                    texts[key].append(leaf)
                    seen_in[key].add(index)
    runs = len(passing)
    numeric = {}
    for key, values in numbers.items():
        band = stable_range(values, runs) if len(seen_in[key]) == runs else None
        if band is not None:
            numeric[key] = band
    categorical = {}
    for key, words in texts.items():
        stable = _stable_texts(words, runs, max_categories) if len(seen_in[key]) == runs else None
        if stable is not None:
            categorical[key] = stable
    # a step's kind is a reference once every run (3 or more) gave it, and they agree on one kind (two from 10 runs)
    known = {
        n: set(k)
        for n, k in kinds.items()
        if runs >= 3 and len(kind_runs[n]) == runs and len(set(k)) <= (2 if runs >= 10 else 1)
    }
    slowest = {n: max(d) for n, d in durations.items() if runs >= MIN_RANGE_RUNS and len(d) >= runs}
    return BaselineProfile(numeric, categorical, slowest, names, runs, known)

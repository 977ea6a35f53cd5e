"""Blame from content: what the failure turns on, traced to where it was born.

The failure's decisive values go to the span that first introduced them unsupported, the failing answer's text to
the spans that first wrote it, content signals count more when the span's content reached the failure, and blame
on a step that only ran what it was given moves to whoever wrote it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable

from .arithmetic import derived_blame
from .content import claims, shingles, show_claim
from .content_signals import content_signals
from .context import AnalysisContext, gc_paused
from .misread import expected_claims, misread_by
from .provenance import Provenance

Add = Callable[[str, str, str, float], None]

FIRST_INTRODUCTION = 1.2
"""Total weight of the failure's decisive claims, shared among the spans that introduced them unsupported."""
WROTE_ANSWER = 0.3
"""Total weight of the failing answer's text, shared among the spans that first wrote it."""
FLOW_BOOST = 4.0
"""A content signal on a span whose content reached the failure counts this many times more."""
BASELINE_DEVIATION = 0.1
"""Without an exception, a deviation from passing runs counts this times its weight, `FLOW_BOOST` times more where
the span's content reached the answer (the same rule as the content signals)."""
FOLLOWS = 0.25
"""Share kept by a deviation whose content came from a span that deviated first: the first deviation is the cause."""
RAN_WHAT_IT_GOT = 0.6
"""Share of a failing step's blame moved to the spans that wrote its input, times the share they wrote."""
_MAX_SHOWN = 3


def answer_of(ctx: AnalysisContext, prov: Provenance) -> tuple[str | None, str]:
    """The span holding the run's (wrong) answer, and its text.

    The verdict's ``actual``, else the failed span's output, else the output that ended last under it (also when
    the exception was raised on the run span itself: the run ended on that answer).
    """
    outcome, failure = ctx.outcome, ctx.failure
    if failure is None:
        return None, ""
    view = ctx.view
    candidates = [failure] + [s.span_id for s in view.spans if view.is_ancestor(failure, s.span_id)]
    with_text = [s for s in candidates if prov.out_text.get(s, "").strip()]
    if outcome is not None and outcome.actual:
        wanted = set(shingles(outcome.actual)) | set(claims(outcome.actual))
        # the provenance pass already holds each output's shingles and claims (`shingles`, `claims` of its text)
        scored = [(len(wanted.intersection(prov.out_shingles[s] + prov.out_claims[s])), s) for s in with_text]
        best = max(((n, view.by_id[s].end_ns, view.order[s], s) for n, s in scored if n), default=None)
        return (best[3] if best else None), outcome.actual
    if failure in with_text:
        return failure, prov.out_text[failure]
    if outcome is None or (outcome.kind == "exception" and not view.trace.children.get(failure)):
        return None, ""  # a leaf step that raised: its error and its input are the decisive values, not an answer
    last = max(with_text, key=lambda s: (view.by_id[s].end_ns, view.order[s]), default=None)
    return last, (prov.out_text[last] if last else "")


def decisive_claims(ctx: AnalysisContext, prov: Provenance, answer: str) -> dict[str, float]:
    """The claims the failure turns on, weighted.

    The answer's claims that are not what was expected, the error's values, the failing step's arguments. Claims
    the run was given are nobody's fault and left out.
    """
    outcome = ctx.outcome
    expected = set(claims(outcome.expected)) if outcome and outcome.expected else set()
    kinds = {c[:2] for c in expected}
    out: dict[str, float] = {}
    for claim in claims(answer):
        if claim in prov.given or claim in expected or _formula(claim):
            continue
        # what contradicts the expected answer weighs most: a number where a number was expected...
        out[claim] = (1.0 if claim[:2] in kinds else 0.2) if expected else 0.6
    error = ctx.failure_error()
    if error is not None and ctx.failure is not None:
        for claim in claims(f"{error.message}"):
            if claim not in prov.given:
                out[claim] = max(out.get(claim, 0.0), 0.8)
        for claim in claims(prov.in_text.get(ctx.failure, "")):
            if claim not in prov.given:
                out.setdefault(claim, 0.3)
    return out


_FORMULA_WORDS = frozenset(
    [
        "final",
        "answer",
        "answers",
        "result",
        "results",
        "summary",
        "conclusion",
        "terminate",
        "plan",
        "step",
        "steps",
        "note",
        "output",
        "task",
    ]
)


def _restated_number(prov: Provenance, claim: str, introducer: str, decisive: dict[str, float]) -> bool:
    """A number with a unit (``n:439.1 million``) whose bare number is decisive too and was first output elsewhere.

    Writing ``439.1 million`` after a program printed ``439.1`` restates the number: its birth is the program's.
    """
    if not claim.startswith("n:") or " " not in claim:
        return False
    bare = claim.split(" ", 1)[0]
    first = prov.first_output.get(bare)
    return bare in decisive and first is not None and first != introducer


def _formula(claim: str) -> bool:
    """A capitalized answer marker (``FINAL ANSWER``), not a claim."""
    return claim.startswith("e:") and all(w in _FORMULA_WORDS for w in claim[2:].split())


def content_blame(ctx: AnalysisContext, prov: Provenance, add: Add) -> None:
    """Add the content evidence of a failed run (see the module docstring)."""
    failure = ctx.failure
    if failure is None:
        return
    answer_span, answer = answer_of(ctx, prov)
    decisive = decisive_claims(ctx, prov, answer)
    by_span: dict[str, list[tuple[str, float]]] = defaultdict(list)
    expected = expected_claims(ctx, prov)
    misread: dict[str, list[tuple[str, float, str]]] = defaultdict(list)
    for claim, weight in decisive.items():
        introducer = prov.introducer.get(claim)
        if introducer is not None and _restated_number(prov, claim, introducer, decisive):
            continue
        reader = misread_by(ctx, prov, claim, introducer, expected) if introducer and expected else None
        if reader is not None:
            misread[reader[0]].append((claim, weight, reader[1]))
        elif introducer is not None:
            for span_id, share in derived_blame(ctx.view, prov, introducer, claim):
                by_span[code_author(prov, span_id, ctx.view.parent.get(span_id))].append((claim, weight * share))
    total = sum(decisive.values()) or 1.0
    for span_id, found in sorted(by_span.items(), key=lambda kv: ctx.view.order[kv[0]]):
        shown = ", ".join(repr(show_claim(c)) for c, _ in found[:_MAX_SHOWN])
        detail = f"first stated {shown}, which the failure turns on, without support in anything it received"
        add(span_id, "first_introduction", detail, FIRST_INTRODUCTION * sum(w for _, w in found) / total)
    for span_id, found3 in sorted(misread.items(), key=lambda kv: ctx.view.order[kv[0]]):
        add(span_id, "misread", found3[0][2], FIRST_INTRODUCTION * sum(w for _, w, _ in found3) / total)
    _wrote_answer(ctx, prov, answer, add)
    upstream = prov.upstream(answer_span or failure)
    for span_id, hops in sorted(upstream.items(), key=lambda kv: ctx.view.order[kv[0]]):
        add(
            span_id,
            "provenance",
            f"its content reached the failing answer ({hops} hop{'s' if hops > 1 else ''})",
            0.01 / hops,
        )
    reach = set(upstream) | {answer_span or failure} | set(by_span)
    if ctx.outcome is not None and ctx.outcome.kind != "exception":
        _baseline_deviations(ctx, prov, reach, add)
    with gc_paused():
        signals = content_signals(ctx.view, prov)
    for span_id, evidence in sorted(signals.items(), key=lambda kv: ctx.view.order[kv[0]]):
        for item in evidence:
            if span_id in reach:
                add(span_id, item.kind, f"{item.detail}; its content reached the failure", item.weight * FLOW_BOOST)
            else:
                add(span_id, item.kind, item.detail, item.weight)


def _baseline_deviations(ctx: AnalysisContext, prov: Provenance, reach: set[str], add: Add) -> None:
    """Deviations from passing runs when no exception points anywhere: the first deviation of a chain counts.

    Each counts `BASELINE_DEVIATION` times its weight, `FLOW_BOOST` times more where the span's content reached the
    answer; a deviation whose content came from a span that deviated too only follows it (`FOLLOWS`).
    """
    deviating = {s for s, items in ctx.anomalies.items() if any(e.kind == "out_of_baseline" for e in items)}
    for span_id in sorted(deviating, key=lambda s: ctx.view.order[s]):
        follows = any(src in deviating for src, _ in prov.sources(span_id))
        factor = BASELINE_DEVIATION * (FLOW_BOOST if span_id in reach else 1.0) * (FOLLOWS if follows else 1.0)
        suffix = " (its input came from a span that deviated first)" if follows else ""
        for item in ctx.anomalies[span_id]:
            if item.kind == "out_of_baseline":
                add(span_id, item.kind, item.detail + suffix, factor * item.weight)


_CODE_LINE = re.compile(r"^\s*(?:[\w.\[\]]+\s*[-+*/]?=\s*\S|print\(|for .+:$|def |import |return )", re.MULTILINE)


def code_author(prov: Provenance, span_id: str, parent: str | None = None) -> str:
    """Who answers for a value that running code produced: the span that wrote the program the span ran.

    A span whose input is a program (a fenced block, or 3+ code lines: assignments, ``print(``, loops...) that one
    other span wrote entirely only ran it: the result's author is the program's. Otherwise the span itself. The
    writer may be the span's ``parent``: a step whose model wrote the code and ran it as its child tool records its
    output only when it ends, after the child, so provenance (in end order) cannot see it as a source.
    """
    text = prov.in_text.get(span_id, "")
    if "```" not in text and len(_CODE_LINE.findall(text[:4000])) < 3:
        return span_id
    writers = [src for src, share in prov.sources(span_id) if share >= 0.8 and src != span_id]
    if len(writers) == 1:
        return writers[0]
    if not writers and parent is not None and _wrote(prov, parent, text):
        return parent
    return span_id


def _wrote(prov: Provenance, writer: str, text: str) -> bool:
    """Whether ``writer``'s output holds at least 80% of the shingles of ``text``."""
    wanted = shingles(text[:4000])
    if not wanted:
        return False
    have = set(prov.out_shingles.get(writer, ()))
    return sum(sh in have for sh in wanted) >= 0.8 * len(wanted)


def _wrote_answer(ctx: AnalysisContext, prov: Provenance, answer: str, add: Add) -> None:
    own = [sh for sh in shingles(answer) if sh not in prov.given]
    if not own:
        return
    counts: dict[str, int] = defaultdict(int)
    for sh in own:
        writer = prov.first_shingle.get(sh)
        if writer is not None:
            counts[writer] += 1
    for span_id, count in sorted(counts.items(), key=lambda kv: (-kv[1], ctx.view.order[kv[0]])):
        share = count / len(own)
        if share >= 0.15:
            add(span_id, "wrote_answer", f"first wrote {share:.0%} of the failing answer's text", WROTE_ANSWER * share)


def ran_what_it_got(ctx: AnalysisContext, prov: Provenance, score: dict[str, float], add: Add) -> None:
    """Move blame from a failed step that ran what others wrote to the writers.

    Code run by an executor, arguments written by a model: `RAN_WHAT_IT_GOT` of the failed step's blame goes, by
    share, to the spans that wrote its input.
    """
    view = ctx.view
    failed = [s for s in score if view.by_id[s].is_error or s == ctx.failure]
    for span_id in sorted(failed, key=lambda s: view.order[s], reverse=True):
        sources = [
            (src, share)
            for src, share in prov.fed.get(span_id, ())
            if not view.is_ancestor(src, span_id) and not view.is_ancestor(span_id, src)
        ]
        if not sources or score.get(span_id, 0.0) <= 0:
            continue
        moved = score[span_id] * RAN_WHAT_IT_GOT * min(1.0, sum(share for _, share in sources))
        score[span_id] -= moved
        total = sum(share for _, share in sources)
        name = view.by_id[span_id].name
        for src, share in sources:
            detail = f"wrote {share:.0%} of the input that {name!r} ran or used when it failed"
            add(src, "wrote_failing_input", detail, moved * share / total)

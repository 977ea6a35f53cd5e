"""Misreads: the right value was in front of a step, and it stated a wrong one that sat beside it.

A retrieval, a page or a tool result often holds several values of one kind (figures of several years, prices of
several rooms). When the run's verdict says what was expected, and the output that first stated the wrong value
also stated the expected one, that output was not wrong: it held both. The fault is the first step after it that
received its content and kept the wrong value without the expected one. Blame for the wrong value moves there.

Without an expected value (a verdict with no ``expected``) nothing here applies: which of several values was meant
cannot be told from the trace alone.
"""

from __future__ import annotations

import re

from .content import claims, content_words, show_claim
from .context import AnalysisContext
from .plan_signals import name_words, task_words
from .provenance import Provenance


def expected_claims(ctx: AnalysisContext, prov: Provenance) -> list[str]:
    """The claims of the verdict's expected value that the run was not given (the task's own values are no clue)."""
    outcome = ctx.outcome
    if outcome is None or not outcome.expected:
        return []
    return [c for c in claims(outcome.expected) if c not in prov.given]


def misread_by(
    ctx: AnalysisContext, prov: Provenance, claim: str, introducer: str, expected: list[str]
) -> tuple[str, str] | None:
    """The step that misread ``claim`` out of ``introducer``'s output, with the evidence line; ``None`` if none.

    ``introducer`` first stated ``claim`` (a decisive wrong value); it counts as read wrongly when its output also
    stated an expected claim of the same kind (a number beside a number...). The misreader is the earliest later
    span whose content came (directly or through others) from ``introducer``, that stated ``claim`` and none of
    those expected claims.
    """
    same_kind = [e for e in expected if e[:2] == claim[:2]]
    if not same_kind:
        return None
    held = set(prov.out_claims.get(introducer, ()))
    right = [e for e in same_kind if e in held]
    if not right:
        return None
    view = ctx.view
    after = view.by_id[introducer].end_ns
    readers = sorted(
        (
            s
            for s, out_claims in prov.out_claims.items()
            if s != introducer and view.by_id[s].end_ns >= after and claim in out_claims
        ),
        key=lambda s: (view.by_id[s].end_ns, view.order[s]),
    )
    for reader in readers:
        if view.is_ancestor(reader, introducer):
            continue  # an enclosing span relays what its child said
        if any(e in prov.out_claims.get(reader, ()) for e in right):
            continue
        if introducer in prov.upstream(reader, max_nodes=200):
            dropper = _dropped_constraint(ctx, prov, introducer, right[0], claim)
            if dropper is not None:
                span_id, words = dropper
                detail = (
                    f"its output left out {words} from its instruction; what came back held both the expected "
                    f"{show_claim(right[0])!r} and {show_claim(claim)!r}, and the wrong one was used"
                )
                return span_id, detail
            detail = (
                f"its input held the expected {show_claim(right[0])!r}, yet it stated {show_claim(claim)!r}, "
                "which sat beside it"
            )
            return reader, detail
    return None


def _dropped_constraint(
    ctx: AnalysisContext, prov: Provenance, introducer: str, right: str, wrong: str
) -> tuple[str, str] | None:
    """The nearest span upstream of ``introducer`` that dropped the task's word telling right from wrong.

    That word is a name or number of the task on the lines holding the expected value, and not on the line most
    like them that holds the wrong value.
    A query that leaves out the year the task named brings back the figures of every year: when the lines of
    ``introducer``'s output holding the expected value name that year and the lines holding the wrong value do
    not, the omission, not the reading that followed, is the first deviation.
    """
    task = task_words(ctx.view, prov)
    if not task:
        return None
    text = prov.out_text.get(introducer, "")
    right_lines = _lines_with(text, show_claim(right).split()[0])
    wrong_lines = _lines_with(text, show_claim(wrong).split()[0])
    if not right_lines or not wrong_lines:
        return None
    right_words = set().union(*right_lines)
    confusable = max(wrong_lines, key=lambda words: len(words & right_words))  # the line the reader took instead
    telling = (right_words - confusable) & task
    if not telling:
        return None
    upstream = prov.upstream(introducer, max_nodes=200)
    for span_id, _ in sorted(upstream.items(), key=lambda kv: (kv[1], -ctx.view.order[kv[0]])):
        asked = name_words(prov.in_text.get(span_id, "")[-4000:]) & telling
        dropped = sorted(asked - set(prov.out_words.get(span_id, ())))
        if dropped and prov.out_text.get(span_id, "").strip():
            return span_id, ", ".join(repr(w) for w in dropped[:3])
    return None


def _lines_with(text: str, value: str) -> list[set[str]]:
    """The content words of each line of ``text`` that holds ``value`` as a whole number or word."""
    pattern = re.compile(rf"(?<![\w.]){re.escape(value)}(?![\w]|\.\d)")
    return [set(content_words(line)) for line in text.splitlines() if value in line and pattern.search(line)]

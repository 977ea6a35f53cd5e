"""Signals read from content, that need no exception.

Hedged or failed outputs, ignored empty results, loops, outputs that ignore their instruction.

Each is weak on its own (its weight below); `blame_content` multiplies it when the span's content reached the
failure, so no keyword match alone decides the ranking.
"""

from __future__ import annotations

import re
from collections import defaultdict

from .content import content_words
from .plan_signals import FINAL_ANSWER, PLAN_ITEM, plan_signals
from .provenance import Provenance
from .signals import Evidence
from .view import TraceView

UNCERTAINTY_WEIGHT = 0.12
"""Failure or uncertainty language in an output ("unable to", "I'll assume", "placeholder"...)."""
EMPTY_IGNORED_WEIGHT = 0.2
"""A tool or retrieval that returned nothing, after which later steps still produced new claims."""
LOOP_WEIGHT = 0.2
"""The same action with the same input three times or more: the run was stuck (on the first repeat)."""
OFF_INSTRUCTION_WEIGHT = 0.1
"""An output sharing almost no content word with the instruction it was given."""
_UNCERTAIN = re.compile(
    r"\b(?:can ?not|can't|unable to|couldn't|could not|failed to|not (?:able|found|available|accessible)|"
    r"no (?:results?|data|information|access)|(?:i|we|let's|let us) (?:will |'ll )?assume|assuming|assumed|"
    r"hypothetical(?:ly)?|placeholder|example data|dummy|mock(?:ed)? data|made[- ]up|fictional|simulated|"
    r"not sure|uncertain|i (?:believe|guess)|"
    r"don't have access|do not have access|without access|lorem ipsum)\b"
)
PLAN_SKIPPED_WEIGHT = 0.15
"""A plan of which some items no later step ever worked on (their content words never appear again)."""
PREMATURE_WEIGHT = 0.2
"""A final answer given while items of an earlier plan were never carried out."""
_EMPTY = re.compile(
    r"^\W*(?:none|null|nil|n/a|empty|no results?(?: found)?|not found|0 results|nothing found|\[\]|\{\})\W*$",
    re.IGNORECASE,
)
_LEAF_KINDS = ("tool", "llm", "retrieval", "step", "decision", "agent")


_UNCERTAIN_NEEDS = (
    "can",
    "unable",
    "could",
    "failed",
    "not ",
    "no ",
    "assum",
    "hypothetical",
    "placeholder",
    "example data",
    "dummy",
    "mock",
    "made",
    "fictional",
    "simulated",
    "uncertain",
    "believe",
    "guess",
    "access",
    "lorem",
)
"""A piece of text every `_UNCERTAIN` phrase contains one of: text with none of them is not scanned."""


def uncertainty(text: str) -> list[str]:
    """Distinct failure or uncertainty phrases in ``text`` (lower-cased, first seen first)."""
    lower = text.lower()
    for needed in _UNCERTAIN_NEEDS:  # substring tests are much cheaper than the regex's alternation at every word
        if needed in lower:
            return list(dict.fromkeys(m.group() for m in _UNCERTAIN.finditer(lower)))
    return []


def content_signals(view: TraceView, prov: Provenance) -> dict[str, list[Evidence]]:
    """Content evidence per span (see the module docstring); stable order."""
    out: dict[str, list[Evidence]] = defaultdict(list)
    ordered = [s.span_id for s in view.spans if view.kind[s.span_id] in _LEAF_KINDS]
    for span_id in ordered:
        text = prov.out_text.get(span_id, "")
        found = uncertainty(text)
        if found:
            phrases = ", ".join(repr(p) for p in found[:3])
            detail = f"its output says {phrases}"
            out[span_id].append(Evidence(span_id, "uncertain_output", detail, UNCERTAINTY_WEIGHT))
    _empty_ignored(view, prov, ordered, out)
    _loops(view, prov, ordered, out)
    _off_instruction(view, prov, ordered, out)
    _plans(prov, ordered, out)
    for span_id, evidence in plan_signals(view, prov, ordered).items():
        out[span_id].extend(evidence)
    return dict(out)


def _empty_ignored(view: TraceView, prov: Provenance, ordered: list[str], out: dict[str, list[Evidence]]) -> None:
    later_new = 0
    for span_id in reversed(ordered):
        if view.kind[span_id] in ("tool", "retrieval") and span_id in view.outputs:
            text = prov.out_text.get(span_id, "")
            if (not text.strip() or _EMPTY.match(text)) and later_new:
                detail = "returned nothing, and later steps went on to state new facts anyway"
                out[span_id].append(Evidence(span_id, "empty_result_ignored", detail, EMPTY_IGNORED_WEIGHT))
        later_new += len(prov.introduced.get(span_id, ()))


def _loops(view: TraceView, prov: Provenance, ordered: list[str], out: dict[str, list[Evidence]]) -> None:
    seen: dict[tuple[str | None, str, str], list[str]] = defaultdict(list)
    for span_id in ordered:
        text = prov.in_text.get(span_id) or prov.out_text.get(span_id)
        if not text:
            continue
        words = prov.in_words.get(span_id) if prov.in_text.get(span_id) else prov.out_words.get(span_id)
        key = (view.parent.get(span_id), view.label[span_id], " ".join(words or ())[:500])
        seen[key].append(span_id)
    for same in seen.values():
        if len(same) >= 3:
            detail = f"the same action with the same content ran {len(same)} times: the run was stuck in a loop"
            out[same[1]].append(Evidence(same[1], "loop", detail, LOOP_WEIGHT))


def _off_instruction(view: TraceView, prov: Provenance, ordered: list[str], out: dict[str, list[Evidence]]) -> None:
    for span_id in ordered:
        if view.kind[span_id] not in ("llm", "agent", "step"):
            continue
        instruction = set(prov.in_words.get(span_id, ())[-250:])
        if len(instruction) < 12:
            continue  # too short an instruction to judge (most spans): no set of the answer's words
        answer = set(prov.out_words.get(span_id, ()))
        if len(answer) >= 12:
            overlap = len(instruction & answer) / min(len(instruction), len(answer))
            if overlap < 0.05:
                detail = f"its output shares {overlap:.0%} of its words with the instruction it was given"
                out[span_id].append(Evidence(span_id, "off_instruction", detail, OFF_INSTRUCTION_WEIGHT))


def _plans(prov: Provenance, ordered: list[str], out: dict[str, list[Evidence]]) -> None:
    """Plans with items no later span worked on, and final answers given while such items remained."""
    # a plan has two items or more, each on its own line: a text of one line has none worth scanning for
    texts = {s: t for s in ordered if "\n" in (t := prov.out_text.get(s, ""))}
    found = {s: [m.group(1) for m in PLAN_ITEM.finditer(t)][:20] for s, t in texts.items()}
    with_plan = [s for s in ordered if len(found.get(s, ())) >= 2]
    if not with_plan:
        return  # no plan: nothing to check, and no need to collect the words of every span
    earliest = with_plan[0]
    later: set[str] = set()
    skipped_after: list[tuple[str, int]] = []  # (plan span, skipped items) seen so far, latest plan first
    # walk backwards: `later` holds the words of every span after the current one
    for span_id in reversed(ordered):
        items = found.get(span_id, [])
        if len(items) >= 2:
            skipped = []
            for item in items:
                words = set(content_words(item))
                if len(words) >= 2 and len(words & later) / len(words) < 0.5:
                    skipped.append(item.strip())
            if skipped:
                shown = "; ".join(repr(i[:60]) for i in skipped[:2])
                detail = f"{len(skipped)} of its {len(items)} plan items never carried out later: {shown}"
                weight = PLAN_SKIPPED_WEIGHT * min(1.0, 2 * len(skipped) / len(items))
                out[span_id].append(Evidence(span_id, "plan_skipped", detail, weight))
                skipped_after.append((span_id, len(skipped)))
        if span_id == earliest:
            break  # no plan before it: the words of earlier spans are never compared
        later.update(prov.out_words.get(span_id, ()))
        later.update(prov.in_words.get(span_id, ()))
    plans = {span_id for span_id, _ in skipped_after}
    if not plans:
        return
    # only a span after the first plan has an earlier plan (one pass, no loop over the plans per span)
    first = min(i for i, span_id in enumerate(ordered) if span_id in plans)
    for span_id in ordered[first + 1 :]:
        if span_id in plans or not FINAL_ANSWER.search(prov.out_text.get(span_id, "")):
            continue
        detail = "gave a final answer while items of an earlier plan were never carried out"
        out[span_id].append(Evidence(span_id, "premature_answer", detail, PREMATURE_WEIGHT))

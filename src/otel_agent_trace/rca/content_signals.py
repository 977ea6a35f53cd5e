"""Signals read from content, that need no exception.

Hedged or failed outputs, ignored empty results, loops, outputs that ignore their instruction.

Each is weak on its own (its weight below); `blame_content` multiplies it when the span's content reached the
failure, so no keyword match alone decides the ranking.
"""

from __future__ import annotations

import re
from collections import defaultdict

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
_EMPTY = re.compile(
    r"^\W*(?:none|null|nil|n/a|empty|no results?(?: found)?|not found|0 results|nothing found|\[\]|\{\})\W*$",
    re.IGNORECASE,
)
_LEAF_KINDS = ("tool", "llm", "retrieval", "step", "decision", "agent")


def uncertainty(text: str) -> list[str]:
    """Distinct failure or uncertainty phrases in ``text`` (lower-cased, first seen first)."""
    return list(dict.fromkeys(m.group() for m in _UNCERTAIN.finditer(text.lower())))


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
        answer = set(prov.out_words.get(span_id, ()))
        if len(instruction) >= 12 and len(answer) >= 12:
            overlap = len(instruction & answer) / min(len(instruction), len(answer))
            if overlap < 0.05:
                detail = f"its output shares {overlap:.0%} of its words with the instruction it was given"
                out[span_id].append(Evidence(span_id, "off_instruction", detail, OFF_INSTRUCTION_WEIGHT))

"""Signals about plans and goals, that need no exception.

A plan is an output listing two or more items (numbered, bulleted or ``Step n:`` lines). Three failures of
planning leave traces a reader can check without knowing the task:

- a plan that leaves out part of what the task named (a name or a number of its instruction that neither the plan
  nor anything after it mentions again): the work it dropped was never done;
- a plan that a later plan of the same agent replaces (most of its items are gone from the new one), or that a later
  output says was wrong: the run had to correct it, and what it did under it before the correction is suspect;
- a final answer given while the goal stack recorded in the last state snapshot still holds sub-goals (goals
  above the run's own, innermost last, see ``agent_trace.state.goal_stack``).

Each is weak on its own (the weights below); `blame_content` multiplies it when the span's content reached the
failure, as it does the other content signals.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from itertools import pairwise

from otel_agent_trace.semconv.state import STATE_EVENT_NAME, STATE_GOAL_STACK

from .content import claims, content_words
from .provenance import Provenance
from .signals import Evidence
from .view import TraceView

PLAN_OMITS_WEIGHT = 0.18
"""A plan that drops names or numbers of its instruction that nothing after it mentions again."""
PLAN_REVISED_WEIGHT = 0.12
"""A plan that a later plan of the same agent replaced, or that a later output called wrong."""
GOALS_PENDING_WEIGHT = 0.2
"""A final answer while the last recorded goal stack still held sub-goals."""
PLAN_ITEM = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*\u2022]|step \d{1,2}:?)\s+(.{8,300})$", re.IGNORECASE | re.MULTILINE)
"""One item of a plan: a numbered, bulleted or ``Step n:`` line."""
_REVISION = re.compile(
    r"\b(?:revised plan|new plan|updated plan|change (?:of|the) plan|replan(?:ning)?|"
    r"the (?:previous |original |initial |earlier )?plan (?:was|is) (?:wrong|incorrect|flawed|incomplete|mistaken)|"
    r"contrary to the plan|instead of following the plan)\b",
    re.IGNORECASE,
)
# ``(?:(?<=\s)|^)(\d{1,2})[.)]\s+`` led by a digit, so the engine skips to digits (same matches, half the scan)
_INLINE_NUMBER = re.compile(r"(\d(?<!\S\d)\d?)[.)]\s+")
FINAL_ANSWER = re.compile(r"\b(?:final answer|the answer is|in conclusion|terminate)\b", re.IGNORECASE)
"""Words that mark an output as the run's final answer."""
_MAX_ITEMS = 20
_MIN_REPLACED = 0.5
"""Share of a plan's items missing from the agent's next plan for the earlier one to count as replaced."""


def plan_items(text: str) -> list[str]:
    """The plan items of ``text`` (at most 20), stripped; fewer than two means ``text`` is no plan.

    Items are lines (numbered, bulleted, ``Step n:``), or numbered items run together in one paragraph
    (``1) ... 2) ...``) when they count up from 1.
    """
    head = text[:20_000]
    items = [m.group(1).strip() for m in PLAN_ITEM.finditer(head)] if "\n" in head else []
    if len(items) >= 2:
        return items[:_MAX_ITEMS]
    marks = list(_INLINE_NUMBER.finditer(head))
    numbers = [int(m.group(1)) for m in marks]
    if len(marks) < 2 or numbers[: len(numbers)] != list(range(1, len(numbers) + 1)):
        return []
    ends = [m.start() for m in marks[1:]] + [len(head)]
    inline = [head[m.end() : end].strip(" ;,\n") for m, end in zip(marks, ends, strict=True)]
    return [i for i in inline if len(i) >= 8][:_MAX_ITEMS]


def plan_signals(view: TraceView, prov: Provenance, ordered: list[str]) -> dict[str, list[Evidence]]:
    """Plan and goal evidence per span for the spans in ``ordered`` (execution order); stable order."""
    out: dict[str, list[Evidence]] = defaultdict(list)
    plans = {s: items for s in ordered if len(items := plan_items(prov.out_text.get(s, ""))) >= 2}
    if plans:
        _omissions(view, prov, ordered, plans, out)
        _revisions(view, prov, ordered, plans, out)
    _goals_pending(view, prov, ordered, out)
    return dict(out)


_SENTENCE_OPENER = re.compile(r"(?:^|[.!?:]\s+|\n\s*)([A-Z][a-z]+)\b")
_CONNECTIVES = frozenset(["and", "or", "of", "the", "de", "for", "&"])


def name_words(text: str) -> set[str]:
    """The words of the names and the bare numbers ``text`` states (``Oslo, Bergen and Trondheim``: three names)."""
    out: set[str] = set()
    openers = {m.group(1).lower() for m in _SENTENCE_OPENER.finditer(text)}
    for claim in claims(text):
        kind, body = claim[:2], claim[2:]
        if kind == "e:":
            words = body.split()
            if len(words) == 1 and words[0] in openers:
                continue  # a capital that only opens a sentence ("Give the amount...") names nothing
            # the same words as `content_words` gives the outputs compared with (``PO-6396``: ``po``, ``6396``)
            out.update(w for w in content_words(body) if w not in _CONNECTIVES and len(w) >= 3)
        elif kind == "n:" and " " not in body and len(body) >= 3:
            out.add(body)
    return out


def _omissions(
    view: TraceView, prov: Provenance, ordered: list[str], plans: dict[str, list[str]], out: dict[str, list[Evidence]]
) -> None:
    """Plans that drop a name or number their instruction gave, which nothing after them mentions again."""
    task = task_words(view, prov)
    later: set[str] = set()  # the content words of every output after the span the walk is at
    later_texts: list[str] = []
    for span_id in reversed(ordered):
        if span_id in plans:
            asked = name_words(prov.in_text.get(span_id, "")[-4000:]) & task
            candidates = asked - set(prov.out_words.get(span_id, ())) - later
            own = prov.out_text.get(span_id, "")[:20_000].lower()
            dropped = sorted(w for w in candidates if not _mentions(own, w) and not _mentioned_later(later_texts, w))
            if dropped and len(asked) >= 2:
                shown = ", ".join(repr(w) for w in dropped[:3])
                share = min(1.0, 2 * len(dropped) / len(asked))
                detail = f"its plan leaves out {shown} from its instruction, and nothing after it mentions it again"
                out[span_id].append(Evidence(span_id, "plan_omits_task", detail, PLAN_OMITS_WEIGHT * share))
        later.update(prov.out_words.get(span_id, ()))
        text = prov.out_text.get(span_id, "")
        if text:
            later_texts.append(text[:20_000].lower())


_LATER_SCAN = 1_000_000
"""Characters of later outputs searched for one word a plan seems to drop; past it the word counts as mentioned."""


def _mentioned_later(texts: list[str], word: str) -> bool:
    scanned = 0
    for text in texts:
        if _mentions(text, word):
            return True
        scanned += len(text)
        if scanned > _LATER_SCAN:
            return True  # not searched to the end: no evidence rather than a guess
    return False


def _mentions(text: str, word: str) -> bool:
    """Whether ``word`` stands in ``text`` as a token of its own (``6396`` in ``po-6396.csv``)."""
    start = text.find(word)
    while start >= 0:
        end = start + len(word)
        if (start == 0 or not text[start - 1].isalnum()) and (end == len(text) or not text[end].isalnum()):
            return True
        start = text.find(word, start + 1)
    return False


def task_words(view: TraceView, prov: Provenance) -> set[str]:
    """The names and numbers the run was given (its roots' input): a plan answers for dropping only these."""
    out: set[str] = set()
    for root in view.trace.roots:
        out |= name_words(prov.in_text.get(root.span_id, "")[:4000])
    return out


def _revisions(
    view: TraceView, prov: Provenance, ordered: list[str], plans: dict[str, list[str]], out: dict[str, list[Evidence]]
) -> None:
    """Plans replaced by the same agent's next plan, or called wrong by a later output."""
    by_agent: dict[str, list[str]] = defaultdict(list)
    for span_id in ordered:
        if span_id in plans:
            by_agent[view.agent_of.get(span_id, "")].append(span_id)
    flagged: dict[str, str] = {}
    for agent_plans in by_agent.values():
        for earlier, later in pairwise(agent_plans):
            kept = _words(plans[later])
            gone = [i for i in plans[earlier] if _share(set(content_words(i)), kept) < 0.5]
            if len(gone) / len(plans[earlier]) >= _MIN_REPLACED:
                flagged[earlier] = (
                    f"a later plan of the same agent ({view.by_id[later].name!r}) replaced {len(gone)} of its "
                    f"{len(plans[earlier])} items"
                )
    last_plan: str | None = None
    for span_id in ordered:
        if span_id in plans and span_id not in flagged:
            if last_plan is not None and _REVISION.search(prov.out_text.get(span_id, "")[:4000]):
                flagged.setdefault(last_plan, f"a later output ({view.by_id[span_id].name!r}) revised it")
            last_plan = span_id
            continue
        if last_plan is not None and span_id not in plans and _REVISION.search(prov.out_text.get(span_id, "")[:4000]):
            flagged.setdefault(last_plan, f"a later output ({view.by_id[span_id].name!r}) said the plan was wrong")
    for span_id in sorted(flagged, key=lambda s: view.order[s]):
        out[span_id].append(Evidence(span_id, "plan_revised", flagged[span_id], PLAN_REVISED_WEIGHT))


def _words(items: Iterable[str]) -> set[str]:
    return {w for item in items for w in content_words(item)}


def _share(words: set[str], pool: set[str]) -> float:
    return len(words & pool) / len(words) if words else 1.0


def _as_list(raw: object) -> list[str] | None:
    value = raw
    if isinstance(raw, str):
        try:
            value = json.loads(raw)
        except ValueError:
            return None
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return None


def _goals_pending(view: TraceView, prov: Provenance, ordered: list[str], out: dict[str, list[Evidence]]) -> None:
    """The final answer given while sub-goals were still on the last recorded goal stack.

    Only for runs whose goal stack changed at least once: a stack recorded once and never updated says nothing
    about what was still open.
    """
    stacks = [
        (e.time_ns, stack)
        for s in view.spans
        for e in s.events
        if e.name == STATE_EVENT_NAME and (stack := _as_list(e.attributes.get(STATE_GOAL_STACK))) is not None
    ]
    if len({tuple(stack) for _, stack in stacks}) < 2:
        return
    roots = {r.span_id for r in view.trace.roots}  # a root relays the answer; the span that wrote it answers
    finals = [s for s in ordered if s not in roots and FINAL_ANSWER.search(prov.out_text.get(s, "")[-4000:])]
    answered = any(prov.out_text.get(r, "").strip() for r in roots)  # without, the run gave no answer at all
    if not finals and not answered:
        return
    answer = finals[-1] if finals else _last_output(view, prov, [s for s in ordered if s not in roots])
    if answer is None:
        return
    end = view.by_id[answer].end_ns
    before = [(t, stack) for t, stack in stacks if t <= end]
    if not before:
        return
    taken, stack = max(before, key=lambda ts: ts[0])
    # a sub-goal some span worked on after the snapshot was only not popped: it is not open
    worked: set[str] = set()
    for span_id in ordered:
        span = view.by_id[span_id]
        if span_id != answer and span_id not in roots and taken <= span.start_ns <= end:
            worked.update(prov.in_words.get(span_id, ()))
            worked.update(prov.out_words.get(span_id, ()))
    worked.update(prov.in_words.get(answer, ()))
    worked.update(prov.out_words.get(answer, ()))
    pending = [g for g in stack[1:] if _open_goal(set(content_words(g)), worked)]
    if pending:
        shown = ", ".join(repr(g[:60]) for g in pending[:3])
        were = "sub-goal was" if len(pending) == 1 else f"{len(pending)} sub-goals were"
        detail = f"gave the final answer while the goal stack said {were} still open, and no step worked on it: {shown}"
        out[answer].append(Evidence(answer, "goals_pending", detail, GOALS_PENDING_WEIGHT))


_ANSWER_WORDS = frozenset(
    ["answer", "respond", "response", "reply", "report", "final", "summarize", "summary", "conclude", "deliver"]
)


def _open_goal(words: set[str], worked: set[str]) -> bool:
    """A goal of two or more content words that is not the answer itself and that no step worked on."""
    return len(words - _ANSWER_WORDS) >= 2 and _share(words, worked) < 0.5


def _last_output(view: TraceView, prov: Provenance, ordered: list[str]) -> str | None:
    with_text = [s for s in ordered if prov.out_text.get(s, "").strip() and view.kind[s] in ("llm", "agent", "step")]
    return max(with_text, key=lambda s: (view.by_id[s].end_ns, view.order[s]), default=None)

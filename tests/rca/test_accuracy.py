"""Top-1/top-3 accuracy of the blame ranking on generated runs with known injected root causes.

The analysis never sees the labels: it gets the parsed trace only; the answer key stays in `CorpusRun`.
"""

from __future__ import annotations

from collections import Counter

from otel_agent_trace.rca import blame
from otel_agent_trace.rca.corpus import CATEGORIES, CorpusRun

from .conftest import trace_of


def measure(runs: list[CorpusRun]) -> tuple[dict[str, tuple[int, int, int]], float, float]:
    top1: Counter[str] = Counter()
    top3: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for run in runs:
        result = blame(trace_of(run))
        if not run.failed:
            assert result.failure_span_id is None and not result.steps
            continue
        total[run.category] += 1
        ranked = result.top(3)
        top1[run.category] += ranked[:1] == [run.root_cause_span_id]
        top3[run.category] += run.root_cause_span_id in ranked
    table = {c: (top1[c], top3[c], total[c]) for c in CATEGORIES}
    n = sum(total.values())
    return table, sum(top1.values()) / n, sum(top3.values()) / n


def test_blame_accuracy_on_the_corpus(corpus: list[CorpusRun]) -> None:
    failing = [r for r in corpus if r.failed]
    assert len(failing) >= 20
    assert {r.category for r in failing} == set(CATEGORIES)
    table, top1, top3 = measure(corpus)
    print(f"\nblame accuracy on {len(failing)} failing runs: top-1 {top1:.0%}, top-3 {top3:.0%}")
    for category, (one, three, n) in table.items():
        print(f"  {category:<22} top-1 {one}/{n}  top-3 {three}/{n}")
    assert top1 >= 0.8
    assert top3 >= 0.9
    for category, (_, three, n) in table.items():
        assert three >= n - 1, category

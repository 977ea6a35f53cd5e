from __future__ import annotations

import pytest

from otel_agent_trace.model import Trace, group_traces, spans_from_otlp
from otel_agent_trace.rca.corpus import CATEGORIES, CorpusRun, generate_corpus, generate_run


def trace_of(run: CorpusRun) -> Trace:
    return group_traces(spans_from_otlp(run.document))[0]


@pytest.fixture(scope="session")
def corpus() -> list[CorpusRun]:
    return generate_corpus(runs_per_category=5, passing=10, seed=11)


@pytest.fixture(scope="session")
def runs_by_category() -> dict[str, CorpusRun]:
    categories = ("pass", *CATEGORIES)
    return {c: generate_run(c, seed=100 + i) for i, c in enumerate(categories)}

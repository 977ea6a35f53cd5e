"""A benchmark of the RCA written from failure descriptions, not from the analyser's signals.

Five system shapes (`_corpus.SYSTEMS`) make runs in which one agent makes one ordinary mistake; the failure
shows later (a wrong final answer judged by ``record_outcome``, or an exception where the run broke). Each run
is recorded through the manual API and the real span processor and read back with the public loader; the
generator labels the responsible agent and the decisive span when it writes the mistake. See
``docs/rca_benchmark.md``.
"""

from __future__ import annotations

from ._corpus import CATEGORIES, SHAPES, SYSTEMS, Case, CaseSpec, build_corpus, case_specs, scenario, scenarios
from ._emit import EmittedRun, Recorder, recorder, write_jsonl
from ._score import CaseResult, as_json, ranked_agents, ranked_spans, resolve_label, score_case, summarize
from ._script import FLAT, NESTED, Node, Outcome, Scenario, Script

__all__ = [
    "CATEGORIES",
    "FLAT",
    "NESTED",
    "SHAPES",
    "SYSTEMS",
    "Case",
    "CaseResult",
    "CaseSpec",
    "EmittedRun",
    "Node",
    "Outcome",
    "Recorder",
    "Scenario",
    "Script",
    "as_json",
    "build_corpus",
    "case_specs",
    "ranked_agents",
    "ranked_spans",
    "recorder",
    "resolve_label",
    "scenario",
    "scenarios",
    "score_case",
    "summarize",
    "write_jsonl",
]

"""Helpers for record/replay tests: record a program in a subprocess (as a user runs it), compare span trees."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from otel_agent_trace.model import Span, Trace, load_traces
from otel_agent_trace.semconv import replay as rp

PROGRAMS = Path(__file__).parent / "programs"
ROOT = Path(__file__).parents[2]

VOLATILE = frozenset(
    {
        "agent_trace.run.id",  # a fresh id per run
        "agent_trace.tool.latency_ms",  # wall time
        "gen_ai.response.time_to_first_chunk",  # wall time
        "agent_trace.response.time_per_output_chunk",  # wall time
    }
)
"""Attributes that differ between any two runs (ids, timings); everything else must be equal after a replay."""


def record(store: Path, program: Path, env: Mapping[str, str] | None = None) -> Trace:
    """Run ``program`` with recording on (by the environment) and the store at ``store``; return its only trace."""
    full = dict(os.environ)
    full.update(
        {
            "OTEL_AGENT_TRACE_STORE_DIR": str(store),
            "PYTHONPATH": os.pathsep.join([str(ROOT), full.get("PYTHONPATH", "")]),
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "OTEL_AGENT_TRACE_RECORD_REPLAY": "true",  # the programs that pass record_replay=True need neither
            "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true",
        }
    )
    full.update(env or {})
    result = subprocess.run(
        [sys.executable, str(program)], env=full, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    traces = load_traces(store)
    assert len(traces) == 1, [t.trace_id for t in traces]
    return traces[0]


_RANDOM_ID = re.compile(
    r"(run-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # uuid4 (LangChain ids, tool call ids)
    r'|(?<="run_id":")[0-9a-f]{32}(?=")'  # our run id, copied into derived attributes (OpenInference metadata)
    r'|(?<="llamaindex.run_id":")[A-Za-z0-9]{10}(?=")'  # LlamaIndex's random run tag, in a workflow's start state
)
STATE_HASHES = frozenset({"agent_trace.state.hash", "agent_trace.state.previous_hash"})


def without_random_ids(value: object) -> object:
    """``value`` with ids drawn at random in every run (uuid4s, run ids) replaced by ``<id>``."""
    return _RANDOM_ID.sub("<id>", value) if isinstance(value, str) else value


def _content(span: Span, ignore: frozenset[str] = frozenset()) -> tuple[object, ...]:
    attrs = tuple(sorted((k, without_random_ids(v)) for k, v in span.attributes.items() if k not in VOLATILE | ignore))
    events = tuple(
        (e.name, tuple(sorted((k, v) for k, v in e.attributes.items() if k != "exception.stacktrace")))
        for e in span.events
        if e.name != rp.REPLAY_HTTP_EVENT
    )
    return span.name, span.kind, span.status_code, attrs, events


def tree(trace: Trace, ignore: frozenset[str] = frozenset()) -> list[tuple[object, ...]]:
    """The span tree: (depth, name, kind, status, attributes, events) per span, depth first, children in order.

    Attributes in `VOLATILE` (and ``ignore``) are left out; uuid4s are replaced by ``<id>``.
    """
    return [(depth, *_content(span, ignore)) for depth, span in trace.walk()]


def concurrent_tree(trace: Trace, ignore: frozenset[str] = frozenset()) -> list[object]:
    """Like `tree`, but siblings in a canonical order: for runs whose parallel calls start in any order."""

    def node(span: Span) -> tuple[object, ...]:
        children = sorted((node(c) for c in trace.children.get(span.span_id, [])), key=repr)
        return (_content(span, ignore), tuple(children))

    return sorted((node(root) for root in trace.roots), key=repr)


def span_named(trace: Trace, name: str) -> Span:
    """The first span called ``name``."""
    return next(s for s in trace.spans if s.name == name)

"""Fixtures for record/replay tests: record a program in a subprocess (as a user would run it), load its trace."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from otel_agent_trace.model import Trace, load_traces

PROGRAMS = Path(__file__).parent / "programs"
ROOT = Path(__file__).parents[2]


def record_run(store: Path, args: list[str], env: Mapping[str, str] | None = None) -> list[Trace]:
    """Run ``python *args`` with recording on and the store at ``store``; return its traces."""
    full = dict(os.environ)
    full.update(
        {
            "OTEL_AGENT_TRACE_STORE_DIR": str(store),
            "OTEL_AGENT_TRACE_RECORD_REPLAY": "true",
            "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true",
            "PYTHONPATH": os.pathsep.join([str(ROOT), full.get("PYTHONPATH", "")]),
        }
    )
    full.update(env or {})
    result = subprocess.run([sys.executable, *args], env=full, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return load_traces(store)


@pytest.fixture
def recorder(tmp_path: Path) -> Callable[..., Trace]:
    """``recorder(args, env=...)``: record one run and return its (only) trace."""
    count = [0]

    def record(args: list[str], env: Mapping[str, str] | None = None) -> Trace:
        count[0] += 1
        traces = record_run(tmp_path / f"store{count[0]}", args, env)
        assert len(traces) == 1, [t.trace_id for t in traces]
        return traces[0]

    return record


def tree(trace: Trace, keys: tuple[str, ...] = ()) -> list[tuple[object, ...]]:
    """The span tree as (depth, name, status, *selected attributes) rows, children in start order."""
    return [(depth, s.name, s.status_code, *(s.attributes.get(k) for k in keys)) for depth, s in trace.walk()]

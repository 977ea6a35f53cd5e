"""The RCA's work grows linearly with the trace: counted in function calls, not timed.

Every Python and builtin function call of `analyze` is counted for the benchmark's two shapes (``bench/bench_rca.py``:
nested tool runs, a flat chat log) at 500 and 2,000 spans. A loop over spans inside a loop over spans (or a sort
per span) would multiply the count by about 16 between the two sizes; linear work multiplies it by about 4.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

import pytest
from bench.bench_rca import chat_log

from otel_agent_trace.model import Trace, group_traces, spans_from_otlp
from otel_agent_trace.rca import analyze
from otel_agent_trace.rca.context import gc_paused
from otel_agent_trace.rca.corpus import generate_long_run

_SHAPES: dict[str, Callable[[int], dict[str, Any]]] = {
    "nested": lambda n: generate_long_run(n, seed=1).document,
    "chat": lambda n: chat_log(n, seed=3),
}


def _calls(trace: Trace) -> int:
    count = 0

    def profile(frame: FrameType, event: str, arg: object) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        analyze(trace)
    finally:
        sys.setprofile(None)
    return count


@pytest.mark.parametrize("shape", sorted(_SHAPES))
def test_analysis_calls_grow_linearly_with_spans(shape: str) -> None:
    small, large = (group_traces(spans_from_otlp(_SHAPES[shape](n)))[0] for n in (500, 2_000))
    growth = len(large.spans) / len(small.spans)
    assert 3.9 < growth < 4.1
    calls = _calls(small), _calls(large)
    assert calls[0] > 10 * len(small.spans)  # the counter does see the analysis
    assert calls[1] / calls[0] < 1.15 * growth, calls  # linear, with room for log factors; quadratic would be ~16


def test_gc_pause_restores_the_collector() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # a caller that had disabled it keeps it disabled
    finally:
        gc.enable()
    with pytest.raises(ValueError), gc_paused():
        raise ValueError("an exception inside")
    assert gc.isenabled()


def test_analyze_leaves_the_collector_enabled() -> None:
    analyze(group_traces(spans_from_otlp(chat_log(50, seed=3)))[0])
    assert gc.isenabled()

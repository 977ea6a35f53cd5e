"""Scale benchmark of the RCA: one 10,000-span trace, and spectrum analysis over 1,000 runs.

Each case is timed twice: parsing only (``load_any``), and parsing plus the analysis, so the ratio shows what the
analysis costs on top of reading the input. Run: ``python bench/bench_rca.py``.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from otel_agent_trace.model import load_any
from otel_agent_trace.rca import analyze, spectrum_analysis
from otel_agent_trace.rca.corpus import generate_long_run, iter_spectrum_runs, write_jsonl


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        big = generate_long_run(10_000, seed=1)
        big_path = Path(tmp) / "big.json"
        big_path.write_text(json.dumps(big.document))
        parse_s, traces = best_of(3, lambda: load_any(big_path))
        total_s, report = best_of(3, lambda: analyze(load_any(big_path)[0]))
        spans = len(traces[0].spans)
        hit = report.root_cause.span_id == big.root_cause_span_id
        print(f"single trace: {spans} spans, {big_path.stat().st_size / 1e6:.1f} MB OTLP-JSON")
        print(f"  parse only        {parse_s:7.3f} s")
        print(
            f"  parse + analyze   {total_s:7.3f} s   (analysis alone {total_s - parse_s:.3f} s,"
            f" ratio {total_s / parse_s:.2f}x parse)   root cause found: {hit}"
        )

        runs_dir = Path(tmp) / "runs"
        runs_dir.mkdir()
        n = write_jsonl(
            iter_spectrum_runs(1000, seed=2, categories=("bad_decision", "timeout")), str(runs_dir / "runs.jsonl")
        )
        parse_s, traces = best_of(2, lambda: load_any(runs_dir))
        total_s, result = best_of(2, lambda: spectrum_analysis(load_any(runs_dir)))
        spans = sum(len(t.spans) for t in traces)
        print(f"spectrum: {n} runs, {spans} spans, {result.failing} failing")
        print(f"  parse only        {parse_s:7.3f} s")
        print(
            f"  parse + spectrum  {total_s:7.3f} s   (analysis alone {total_s - parse_s:.3f} s,"
            f" ratio {total_s / parse_s:.2f}x parse)   top element: {result.elements[0].element}"
        )


if __name__ == "__main__":
    main()

"""Scale benchmark of the RCA: 10,000-span traces (nested tool runs, and a flat text-heavy chat log failing by an
evaluation verdict), and spectrum analysis over 1,000 runs.

Each case is timed as parsing only (``load_any``) and parsing plus the analysis, in interleaved rounds (median and
spread), so the ratio shows what the analysis costs on top of reading the input. Run: ``python bench/bench_rca.py``.
"""

from __future__ import annotations

import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from otel_agent_trace.model import load_any
from otel_agent_trace.rca import analyze, spectrum_analysis
from otel_agent_trace.rca._otlp_builder import RunBuilder
from otel_agent_trace.rca.corpus import generate_long_run, iter_spectrum_runs, write_jsonl
from otel_agent_trace.semconv import evaluation as ev

_WORDS = [
    "price",
    "report",
    "table",
    "album",
    "count",
    "search",
    "page",
    "result",
    "city",
    "population",
    "code",
    "error",
    "file",
    "value",
    "plan",
    "answer",
    "step",
    "budget",
    "hotel",
    "flight",
    "date",
    "year",
    "total",
    "list",
    "source",
    "figure",
]


def chat_log(steps: int, seed: int) -> dict[str, Any]:
    """A flat group-chat log: one session span, ``steps`` named messages of ~60 words, a failing verdict."""
    rng = random.Random(seed)
    b = RunBuilder(rng, "session")
    root = b.agent_span("session", None, {"agent_trace.step.input": "Find the total for the report."})
    agents = ("Orchestrator", "WebSurfer", "Coder", "Executor", "Assistant")
    for i in range(steps):
        words = [rng.choice(_WORDS) for _ in range(50)]
        words += [f"{rng.randint(3, 99999)} {rng.choice(_WORDS)}", rng.choice(("Paris", "Tarnow", "Mercedes Sosa"))]
        span = b.step(f"message {i}", root, "message", "")
        b.spans[-1]["attributes"]["gen_ai.agent.name"] = agents[i % len(agents)]
        b.end_step(span, " ".join(words), 1.0)
    b.event(
        root,
        ev.GEN_AI_EVALUATION_RESULT_EVENT,
        {ev.GEN_AI_EVALUATION_NAME: "correctness", ev.GEN_AI_EVALUATION_SCORE_LABEL: "incorrect"},
    )
    b.end(root)
    return b.document()


def rounds(n: int, parse: Callable[[], Any], full: Callable[[], Any]) -> tuple[list[float], list[float], Any]:
    """``n`` interleaved rounds of (parse only, parse + analysis) timings."""
    parse_t, full_t, result = [], [], None
    for _ in range(n):
        start = time.perf_counter()
        parse()
        parse_t.append(time.perf_counter() - start)
        start = time.perf_counter()
        result = full()
        full_t.append(time.perf_counter() - start)
    return parse_t, full_t, result


def show(label: str, parse_t: list[float], full_t: list[float]) -> None:
    """Median and spread of both timings, and the median ratio."""
    p, f = statistics.median(parse_t), statistics.median(full_t)
    ratios = sorted(a / b for a, b in zip(full_t, parse_t, strict=True))
    print(f"  parse only        {p:7.3f} s  (spread {min(parse_t):.3f}-{max(parse_t):.3f})")
    print(
        f"  parse + {label:<9} {f:7.3f} s  (spread {min(full_t):.3f}-{max(full_t):.3f})   "
        f"ratio {statistics.median(ratios):.2f}x parse (range {ratios[0]:.2f}-{ratios[-1]:.2f})"
    )


def _load_and_analyze(path: Path) -> Any:
    return analyze(load_any(path)[0])


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
        traces = load_any(big_path)
        parse_t, full_t, report = rounds(5, lambda: load_any(big_path), lambda: analyze(load_any(big_path)[0]))
        hit = report.root_cause.span_id == big.root_cause_span_id
        print(f"single trace: {len(traces[0].spans)} spans, {big_path.stat().st_size / 1e6:.1f} MB OTLP-JSON")
        show("analyze", parse_t, full_t)
        print(f"  root cause found: {hit}")

        chat_path = Path(tmp) / "chat.json"
        chat_path.write_text(json.dumps(chat_log(10_000, seed=3)))
        chat = load_any(chat_path)
        parse_t, full_t, report = rounds(5, lambda: load_any(chat_path), lambda: analyze(load_any(chat_path)[0]))
        print(f"flat chat log: {len(chat[0].spans)} spans, {chat_path.stat().st_size / 1e6:.1f} MB OTLP-JSON")
        show("analyze", parse_t, full_t)

        print("linearity (median load + analyze time, and its ratio to load alone; 3 interleaved rounds):")
        for size in (2_500, 5_000, 10_000):
            cells = []
            for shape, doc in (("nested", generate_long_run(size, seed=1).document), ("chat", chat_log(size, seed=3))):
                path = Path(tmp) / f"{shape}-{size}.json"
                path.write_text(json.dumps(doc))
                parse_t, full_t, _ = rounds(3, partial(load_any, path), partial(_load_and_analyze, path))
                ratio = statistics.median(f / p for f, p in zip(full_t, parse_t, strict=True))
                cells.append(f"{shape} {statistics.median(full_t):.3f} s ({ratio:.2f}x load)")
            print(f"  {size:>6} spans: " + ", ".join(cells))

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

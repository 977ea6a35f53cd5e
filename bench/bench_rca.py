"""Scale benchmark of the RCA: 10,000-span traces (nested tool runs, and a flat text-heavy chat log failing by an
evaluation verdict), and spectrum analysis over 1,000 runs.

Each case is timed as loading the file (``load_any``) and then analysing the loaded trace (``analyze``), in
interleaved rounds (median and spread). The target ratio (issue 8) is the analysis time over the load time
(``analyze/load``, at most 3); ``(load+analyze)/load`` is shown too. The linearity table gives both per size, and
the analysis time per span, which stays flat when the analysis is linear. Run: ``python bench/bench_rca.py``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
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


def rounds(n: int, path: Path) -> tuple[list[float], list[float], Any]:
    """``n`` interleaved rounds of (load the file, analyse the loaded trace) timings."""
    load_t, analyze_t, result = [], [], None
    for _ in range(n):
        start = time.perf_counter()
        trace = load_any(path)[0]
        load_t.append(time.perf_counter() - start)
        start = time.perf_counter()
        result = analyze(trace)
        analyze_t.append(time.perf_counter() - start)
    return load_t, analyze_t, result


def ratios(load_t: list[float], analyze_t: list[float]) -> tuple[list[float], list[float]]:
    """Per round, sorted: analyze/load and (load + analyze)/load."""
    alone = sorted(a / b for a, b in zip(analyze_t, load_t, strict=True))
    total = sorted((a + b) / b for a, b in zip(analyze_t, load_t, strict=True))
    return alone, total


def show(load_t: list[float], analyze_t: list[float]) -> None:
    """Median and spread of both timings, and the median ratios."""
    lo, an = statistics.median(load_t), statistics.median(analyze_t)
    alone, total = ratios(load_t, analyze_t)
    print(f"  load              {lo:7.3f} s  (spread {min(load_t):.3f}-{max(load_t):.3f})")
    print(f"  analyze           {an:7.3f} s  (spread {min(analyze_t):.3f}-{max(analyze_t):.3f})")
    print(
        f"  analyze/load      {statistics.median(alone):7.2f}x   (range {alone[0]:.2f}-{alone[-1]:.2f});"
        f"  (load+analyze)/load {statistics.median(total):.2f}x (range {total[0]:.2f}-{total[-1]:.2f})"
    )


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def single(tmp: Path) -> None:
    """The two 10k-span shapes, 7 interleaved rounds each."""
    big = generate_long_run(10_000, seed=1)
    big_path = tmp / "big.json"
    big_path.write_text(json.dumps(big.document))
    load_t, analyze_t, report = rounds(7, big_path)
    hit = report.root_cause is not None and report.root_cause.span_id == big.root_cause_span_id
    print(f"single trace: {report.span_count} spans, {big_path.stat().st_size / 1e6:.1f} MB OTLP-JSON")
    show(load_t, analyze_t)
    print(f"  root cause found: {hit}")
    chat_path = tmp / "chat.json"
    chat_path.write_text(json.dumps(chat_log(10_000, seed=3)))
    load_t, analyze_t, report = rounds(7, chat_path)
    print(f"flat chat log: {report.span_count} spans, {chat_path.stat().st_size / 1e6:.1f} MB OTLP-JSON")
    show(load_t, analyze_t)


def linearity(tmp: Path) -> None:
    """Both shapes at 2.5k, 5k and 10k spans: the analysis time per span stays flat when it is linear."""
    print("linearity (medians of 5 interleaved rounds):")
    for size in (2_500, 5_000, 10_000):
        for shape, doc in (("nested", generate_long_run(size, seed=1).document), ("chat", chat_log(size, seed=3))):
            path = tmp / f"{shape}-{size}.json"
            path.write_text(json.dumps(doc))
            load_t, analyze_t, _ = rounds(5, path)
            alone, total = ratios(load_t, analyze_t)
            an = statistics.median(analyze_t)
            print(
                f"  {size:>6} spans {shape:<6}  load {statistics.median(load_t):.3f} s  analyze {an:.3f} s"
                f" ({an / size * 1e6:5.1f} us/span)  analyze/load {statistics.median(alone):.2f}x"
                f" ({alone[0]:.2f}-{alone[-1]:.2f})  (load+analyze)/load {statistics.median(total):.2f}x"
            )


def spectrum(tmp: Path) -> None:
    """Spectrum analysis over 1,000 runs."""
    runs_dir = tmp / "runs"
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--linearity", action="store_true", help="only the 2.5k/5k/10k table")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if not args.linearity:
            single(Path(tmp))
        linearity(Path(tmp))
        if not args.linearity:
            spectrum(Path(tmp))


if __name__ == "__main__":
    main()

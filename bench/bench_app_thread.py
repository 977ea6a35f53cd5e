"""Our added application-thread CPU per openai call, traced vs not, in one process (before/after comparisons).

``.venv-bench/bin/python bench/bench_app_thread.py [--rounds 15] [--calls 200]``

One process, ``otel_agent_trace.init()`` exactly as `_worker.py` sets it up (no-op span and metric exporters),
the in-memory transport. Each round makes ``--calls`` pairs of calls, one traced and one inside
``suppress_instrumentation()`` (our wrappers then call straight through: one context lookup), alternating which
goes first, and takes the median thread-CPU time of each kind. Reported: the median over rounds of
(traced - untraced) and its spread. Unlike the peer tables this needs no second process, so a busy machine moves
both kinds of a round alike. ``--profile`` instead prints cProfile's view of our code over traced calls only.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _worker


def _round(run: Any, calls: int, suppress: Any) -> tuple[float, float]:
    """Median thread-CPU µs of a traced call and of an untraced one, over ``calls`` interleaved pairs."""
    clock = time.thread_time_ns
    traced: list[float] = []
    untraced: list[float] = []
    for i in range(calls):
        for on in (True, False) if i % 2 == 0 else (False, True):
            if on:
                c0 = clock()
                run()
                traced.append((clock() - c0) / 1000.0)
            else:
                with suppress():
                    c0 = clock()
                    run()
                    untraced.append((clock() - c0) / 1000.0)
    return statistics.median(traced), statistics.median(untraced)


def _profile(run: Any, calls: int) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        run()
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats("otel_agent_trace|opentelemetry/(sdk|context|trace|util)", 40)
    stats.sort_stats("cumulative").print_stats("otel_agent_trace", 30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--capture", choices=("on", "off"), default="off")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    _worker.TRANSPORT["name"] = "memory"
    exporter = _worker._drop_exporter()
    provider = _worker.setup_tracing("openai", "otel-agent-trace", args.capture == "on", exporter)
    run = _worker.openai_call("http://127.0.0.1:1/v1")
    for _ in range(100):
        run()
    if args.profile:
        _profile(run, args.calls)
        return
    added: list[float] = []
    base: list[float] = []
    for _ in range(args.rounds):
        traced, untraced = _round(run, args.calls, suppress_instrumentation)
        provider.force_flush()
        added.append(traced - untraced)
        base.append(untraced)
    print(
        f"untraced call {statistics.median(base):.1f} us; ours adds {statistics.median(added):.1f} us of "
        f"app-thread CPU per call (min {min(added):.1f}, max {max(added):.1f}, {args.rounds} rounds of "
        f"{args.calls}); spans exported {exporter.count}"
    )


if __name__ == "__main__":
    main()

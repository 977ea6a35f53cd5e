"""Added time per ``openai`` sync chat completion: our full pipeline vs uninstrumented vs each peer instrumentation.

Not a test. Set up once with ``bash bench/setup_bench_env.sh`` (a venv with every peer really installed), then::

    .venv-bench/bin/python bench/bench_openai.py                 # capture off and on, 7 rounds
    .venv-bench/bin/python bench/bench_openai.py --capture off --rounds 11 --iterations 400
    .venv-bench/bin/python bench/bench_openai.py --profile otel-agent-trace   # cProfile one worker

What runs (details and caveats: docs/benchmarks.md):

- a local mock server in this process (stdlib ``ThreadingHTTPServer``, keep-alive, Nagle off) answers
  ``POST /v1/chat/completions`` with a fixed body;
- every tool runs in its own worker subprocess (the peers patch the same methods), one after the other, the order
  rotating between rounds; a worker warms up, then times each call and reports the median and its CPU per call;
- ``otel-agent-trace`` is the full pipeline as users run it: ``otel_agent_trace.init()`` with its defaults (all
  instrumentors, ``AgentSpanProcessor`` around ``BoundedBatchSpanProcessor``), only the exporter swapped for a no-op
  one; each peer (OpenInference, OpenLLMetry's instrumentor without ``traceloop-sdk``, the official
  ``openai-v2``) is its instrumentor with a ``BatchSpanProcessor`` and the same no-op exporter;
- content capture off, then on (each tool's own switch).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _driver import TRANSPORT, WORKER, add_run_options, missing_package, report, run_rounds, tool_env, versions
from _mock_llm import serving

TOOLS = ("uninstrumented", "otel-agent-trace", "openinference", "openllmetry", "openai-v2")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    add_run_options(parser, iterations=400, warmup=100, unit="calls")
    args = parser.parse_args(argv)
    TRANSPORT["name"] = args.transport
    captures = [False, True] if args.capture == "both" else [args.capture == "on"]
    with serving() as port:
        if args.profile:
            cmd = [sys.executable, str(WORKER), "--scenario", "openai", "--tool", args.profile, "--profile"]
            cmd += ["--transport", args.transport]
            cmd += ["--port", str(port), "--warmup", str(args.warmup), "--iterations", str(args.iterations)]
            cmd += ["--capture", "on" if captures[-1] else "off"]
            subprocess.run(cmd, env=tool_env(args.profile, captures[-1]), check=False)
            return
        skipped = {t: why for t in TOOLS if (why := missing_package(t, "openai")) is not None}
        tools = [t for t in TOOLS if t not in skipped]
        print(
            versions(["openai", "opentelemetry-sdk", "openinference-instrumentation-openai",
                      "opentelemetry-instrumentation-openai", "opentelemetry-instrumentation-openai-v2"])
            + f"; Python {sys.version.split()[0]}",
        )  # fmt: skip
        for capture in captures:
            series = run_rounds("openai", tools, capture, port, args.rounds, args.warmup, args.iterations)
            print()
            print(report("openai chat completion", capture, series, skipped, "call"))


if __name__ == "__main__":
    main()

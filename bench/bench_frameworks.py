"""Added time per agent-framework run: a LangGraph graph and an OpenAI Agents SDK run, ours vs the peers.

Not a test. Set up once with ``bash bench/setup_bench_env.sh``, then::

    .venv-bench/bin/python bench/bench_frameworks.py                         # both scenarios, capture off and on
    .venv-bench/bin/python bench/bench_frameworks.py --scenario langgraph --capture off --rounds 9
    .venv-bench/bin/python bench/bench_frameworks.py --scenario openai-agents --profile otel-agent-trace

Scenarios (against the local mock LLM of ``bench/_mock_llm.py``):

- ``langgraph``: ``plan -> agent -> tools_condition -> tools -> agent -> END`` (3 nodes, a conditional edge, one
  ``add`` tool call, 2 ``ChatOpenAI`` calls);
- ``openai-agents``: ``Runner.run`` of an ``Agent`` with one function tool on the Responses API (a tool call, then
  the final answer: 2 model calls). The SDK's default trace processor (uploads to OpenAI) is removed for every tool.

Tools: ``uninstrumented``; ``otel-agent-trace`` = ``init()`` with its defaults (every installed library is
instrumented: the framework and ``openai`` under it); ``otel-agent-trace[langchain]`` / ``[agents]`` =
``init(instrumentors=[the framework only])``, the same reach as the peers; ``openinference`` and ``openllmetry`` =
that project's instrumentor for the framework with a ``BatchSpanProcessor``; everyone exports to the same no-op
exporter. Method and caveats: docs/benchmarks.md.
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

TOOLS = {
    "langgraph": ("uninstrumented", "otel-agent-trace", "otel-agent-trace[langchain]", "openinference", "openllmetry"),
    "openai-agents": ("uninstrumented", "otel-agent-trace", "otel-agent-trace[agents]", "openinference", "openllmetry"),
}
PACKAGES = {
    "langgraph": ["langgraph", "langchain-core", "langchain-openai", "openinference-instrumentation-langchain",
                  "opentelemetry-instrumentation-langchain"],
    "openai-agents": ["openai-agents", "openai", "openinference-instrumentation-openai-agents",
                      "opentelemetry-instrumentation-openai-agents"],
}  # fmt: skip


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scenario", choices=("langgraph", "openai-agents", "both"), default="both")
    add_run_options(parser, iterations=150, warmup=30, unit="runs")
    args = parser.parse_args(argv)
    TRANSPORT["name"] = args.transport
    captures = [False, True] if args.capture == "both" else [args.capture == "on"]
    scenarios = ["langgraph", "openai-agents"] if args.scenario == "both" else [args.scenario]
    with serving() as port:
        for scenario in scenarios:
            if args.profile:
                cmd = [sys.executable, str(WORKER), "--scenario", scenario, "--tool", args.profile, "--profile"]
                cmd += ["--transport", args.transport]
                cmd += ["--port", str(port), "--warmup", str(args.warmup), "--iterations", str(args.iterations)]
                cmd += ["--capture", "on" if captures[-1] else "off"]
                subprocess.run(cmd, env=tool_env(args.profile, captures[-1]), check=False)
                continue
            skipped = {t: why for t in TOOLS[scenario] if (why := missing_package(t, scenario)) is not None}
            tools = [t for t in TOOLS[scenario] if t not in skipped]
            print(versions(["opentelemetry-sdk", *PACKAGES[scenario]]) + f"; Python {sys.version.split()[0]}")
            for capture in captures:
                series = run_rounds(scenario, tools, capture, port, args.rounds, args.warmup, args.iterations)
                print()
                print(report(f"{scenario} run", capture, series, skipped, "run"))
                print()


if __name__ == "__main__":
    main()

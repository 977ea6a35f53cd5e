"""The benchmark driver: one subprocess per tool per round, interleaved rounds, ratios from per-round medians.

Each round runs every tool once, one worker process after the other, the order rotating between rounds, all against
the same local mock server in this process. A worker warms up, then times many iterations and reports its median
(application thread) and its CPU time per iteration (all its threads, including the export thread). Per round, a
tool's added cost is its figure minus the uninstrumented worker's figure of the same round; the tables show the
median over rounds and the spread (min-max), so a slow moment of the machine hits every tool of that round alike.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WORKER = Path(__file__).resolve().parent / "_worker.py"
OURS_PREFIX = "otel-agent-trace"
PEERS = ("openinference", "openllmetry", "openai-v2")
PACKAGES = {
    "openinference": {
        "openai": "openinference-instrumentation-openai",
        "langgraph": "openinference-instrumentation-langchain",
        "openai-agents": "openinference-instrumentation-openai-agents",
    },
    "openllmetry": {
        "openai": "opentelemetry-instrumentation-openai",
        "langgraph": "opentelemetry-instrumentation-langchain",
        "openai-agents": "opentelemetry-instrumentation-openai-agents",
    },
    "openai-v2": {"openai": "opentelemetry-instrumentation-openai-v2"},
}


def add_run_options(parser: argparse.ArgumentParser, *, iterations: int, warmup: int, unit: str) -> None:
    """The options every pipeline bench takes: rounds, iterations, warm-up, capture, transport, profile."""
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--iterations", type=int, default=iterations, help=f"timed {unit} per worker")
    parser.add_argument("--warmup", type=int, default=warmup)
    parser.add_argument("--capture", choices=("off", "on", "both"), default="both")
    parser.add_argument(
        "--transport", choices=("server", "memory"), default="server",
        help="memory: the mock's bodies from an in-process httpx2.MockTransport (no socket, no server thread)",
    )  # fmt: skip
    parser.add_argument("--profile", metavar="TOOL", help="run one worker of TOOL under cProfile instead")


def tool_env(tool: str, capture: bool) -> dict[str, str]:
    """Environment of a worker: each tool's documented switch for content capture, nothing else."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "TRACELOOP_", "OPENINFERENCE_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if tool == "openai-v2":
        env["OTEL_SEMCONV_STABILITY_OPT_IN"] = "gen_ai_latest_experimental"  # content on the span, like the others
        env["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "SPAN_ONLY" if capture else "NO_CONTENT"
    elif tool == "openllmetry":
        env["TRACELOOP_TRACE_CONTENT"] = "true" if capture else "false"
    elif tool == "openinference":
        env["OPENINFERENCE_HIDE_INPUTS"] = "false" if capture else "true"
        env["OPENINFERENCE_HIDE_OUTPUTS"] = "false" if capture else "true"
    return env  # ours: init(capture_content=...) in the worker


def missing_package(tool: str, scenario: str) -> str | None:
    """Why ``tool`` cannot run for ``scenario`` here, or None."""
    package = PACKAGES.get(tool, {}).get(scenario)
    if tool in PACKAGES and package is None:
        return "no instrumentation for this library"
    if package is None:
        return None
    from importlib.metadata import PackageNotFoundError, version

    try:
        version(package)
    except PackageNotFoundError:
        return f"not installed (bash bench/setup_bench_env.sh, then run with .venv-bench/bin/python): {package}"
    return None


@dataclass
class Series:
    """Per-round figures of one tool."""

    wall: list[float] = field(default_factory=list)
    tcpu: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    spans: float = 0.0
    error: str | None = None


TRANSPORT = {"name": "server"}
"""How workers reach the mock: ``server`` (HTTP to this process) or ``memory`` (``--transport`` of the benches)."""


def run_worker(scenario: str, tool: str, capture: bool, port: int, warmup: int, iterations: int) -> dict[str, Any]:
    cmd = [sys.executable, str(WORKER), "--scenario", scenario, "--tool", tool, "--capture", "on" if capture else "off"]
    cmd += ["--port", str(port), "--warmup", str(warmup), "--iterations", str(iterations)]
    cmd += ["--transport", TRANSPORT["name"]]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=tool_env(tool, capture), check=False)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = proc.stderr.strip().splitlines()[-3:] or ["failed"]
        return {"error": " / ".join(tail)}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def run_rounds(
    scenario: str, tools: Sequence[str], capture: bool, port: int, rounds: int, warmup: int, iterations: int
) -> dict[str, Series]:
    series = {t: Series() for t in tools}
    for r in range(rounds):
        shift = r % len(tools)
        for tool in list(tools[shift:]) + list(tools[:shift]):
            result = run_worker(scenario, tool, capture, port, warmup, iterations)
            if "error" in result:
                series[tool].error = result["error"]
                continue
            series[tool].wall.append(result["median_us"])
            series[tool].tcpu.append(result["thread_cpu_us"])
            series[tool].cpu.append(result["cpu_us"])
            series[tool].spans = result["spans_per_iteration"]
        print(f"  {scenario} capture={'on' if capture else 'off'}: round {r + 1}/{rounds}", file=sys.stderr)
    return series


def _spread(values: Sequence[float], fmt: str = "{:.1f}") -> str:
    if not values:
        return "-"
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def _added(series: dict[str, Series], tool: str, kind: str) -> list[float]:
    """Per-round added cost of ``tool`` over the uninstrumented worker of the same round."""
    base = getattr(series["uninstrumented"], kind)
    mine = getattr(series[tool], kind)
    return [m - b for m, b in zip(mine, base, strict=False)]


def _ratio_to_best(series: dict[str, Series], ours: str, best: str, kind: str) -> list[float]:
    ratios = []
    for o, b in zip(_added(series, ours, kind), _added(series, best, kind), strict=False):
        if b > 0:
            ratios.append(o / b)
    return ratios


def report(scenario: str, capture: bool, series: dict[str, Series], skipped: dict[str, str], unit: str) -> str:
    """The markdown table of one scenario and capture mode, and the verdict against the target."""
    lines = [
        f"### {scenario}, content capture {'on' if capture else 'off'}",
        "",
        f"| tool | spans/{unit} | µs/{unit} (app thread) | added µs | x uninstrumented "
        f"| app-thread CPU µs/{unit} | added | CPU µs/{unit} (all threads) | added |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    base = series["uninstrumented"]
    for tool, s in series.items():
        if not s.wall:
            lines.append(f"| {tool} | - | - | - | - | - | - | - | - | failed: {s.error}")
            continue
        if tool == "uninstrumented":
            lines.append(
                f"| {tool} | 0 | {_spread(s.wall)} | 0 | 1.00 | {_spread(s.tcpu)} | 0 | {_spread(s.cpu)} | 0 |"
            )
            continue
        ratio = [m / b for m, b in zip(s.wall, base.wall, strict=False) if b > 0]
        lines.append(
            f"| {tool} | {s.spans:.0f} | {_spread(s.wall)} | {_spread(_added(series, tool, 'wall'))} "
            f"| {_spread(ratio, '{:.2f}')} | {_spread(s.tcpu)} | {_spread(_added(series, tool, 'tcpu'))} "
            f"| {_spread(s.cpu)} | {_spread(_added(series, tool, 'cpu'))} |"
        )
    for tool, why in skipped.items():
        lines.append(f"| {tool} | - | - | - | - | - | - | - | - | {why}")
    peers = [t for t in series if t in PEERS and series[t].wall]
    ours = [t for t in series if t.startswith(OURS_PREFIX) and series[t].wall]
    lines.append("")
    kinds = (("wall", "app-thread time"), ("tcpu", "app-thread CPU"), ("cpu", "CPU, all threads"))
    for kind, label in kinds:
        if not peers:
            break
        best = min(peers, key=lambda t: statistics.median(_added(series, t, kind)))
        for mine in ours:
            ratios = _ratio_to_best(series, mine, best, kind)
            if not ratios:
                continue
            low, mid, high = min(ratios), statistics.median(ratios), max(ratios)
            if high <= 0.5:
                verdict = "meets the <= 0.5 target in every round"
            elif low > 0.5:
                verdict = "misses the <= 0.5 target in every round"
            else:
                verdict = f"not resolved: rounds on both sides of 0.5 (median {'<=' if mid <= 0.5 else '>'} 0.5)"
            lines.append(
                f"- {label}: {mine} added / best peer ({best}) added = {_spread(ratios, '{:.2f}')} "
                f"over {len(ratios)} rounds: {verdict}"
            )
    return "\n".join(lines)


def versions(names: Sequence[str]) -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name in names:
        try:
            out.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            out.append(f"{name} (absent)")
    return ", ".join(out)

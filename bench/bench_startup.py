"""Start-up cost of zero-code: ``opentelemetry-instrument`` with our distro vs plain ``opentelemetry-instrument``.

Not a test. Run in the project's venv (every supported SDK installed: ``pip install -e '.[dev]'``)::

    .venv/bin/python bench/bench_startup.py              # 9 interleaved rounds
    .venv/bin/python bench/bench_startup.py --rounds 15 --program pass

What runs, each a fresh ``opentelemetry-instrument python -c ...`` in the same venv, the variants interleaved
(shuffled order in every round); CPU = user + system of the child, from ``resource.getrusage(RUSAGE_CHILDREN)``
around each run; the table gives the median and the spread (min-max) over the rounds, and ratios of medians:

- ``python``: no ``opentelemetry-instrument`` at all (the interpreter and the program alone);
- ``plain-bare``: ``opentelemetry-instrument`` without our distro, configurator or instrumentors
  (``OTEL_PYTHON_DISTRO``/``OTEL_PYTHON_CONFIGURATOR`` naming none, ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=*``): the
  floor, it sets up no SDK;
- ``plain-sdk``: what plain OTel does with ``opentelemetry-distro`` installed: the SDK's own configurator
  (``opentelemetry.sdk._configuration._OTelSDKConfigurator``, registered from a throw-away ``.dist-info`` on
  ``PYTHONPATH``), traces to OTLP/HTTP, metrics and logs off, no instrumentors;
- ``ours-file``: our distro and configurator with their defaults (local file store, every ``agent_*`` instrumentor
  enabled, i.e. a post-import hook each);
- ``ours-otlp``: the same, exporting to OTLP/HTTP like ``plain-sdk``.

The programs: ``pass`` and ``import openai`` (ours then patches openai on its import: the cost of the patch only).
The target (issue 11): ``ours-*`` with ``pass`` <= 1.3x ``plain-sdk``, and no SDK imported (the module counts and
the SDKs found in ``sys.modules`` are printed too).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

SDKS = (
    "openai",
    "anthropic",
    "litellm",
    "langchain_core",
    "langgraph",
    "llama_index",
    "agents",
    "mcp",
    "crewai",
    "smolagents",
    "requests",
    "httpx",
    "aiohttp",
    "urllib3",
)
PROGRAMS = {
    "pass": "pass",
    "import openai": "import openai",
}
PROBE = f"import sys; print(len(sys.modules), sorted(m for m in {SDKS!r} if m in sys.modules))"
BIN = Path(sys.executable).parent


def _sdk_configurator_path(root: Path) -> Path:
    """A dist-info registering the SDK's own configurator (what ``opentelemetry-distro`` provides) as ``sdk``."""
    info = root / "plain_sdk_configurator-0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: plain-sdk-configurator\nVersion: 0\n")
    (info / "entry_points.txt").write_text(
        "[opentelemetry_configurator]\nsdk = opentelemetry.sdk._configuration:_OTelSDKConfigurator\n"
    )
    return root


def variants(extra_path: Path, store: Path) -> dict[str, tuple[list[str], dict[str, str]]]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_") and k != "PYTHONPATH"}
    base["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9"  # nothing listens; nothing is exported anyway
    instrument = [str(BIN / "opentelemetry-instrument"), sys.executable]
    ours = {**base, "OTEL_PYTHON_DISTRO": "agent_trace", "OTEL_PYTHON_CONFIGURATOR": "agent_trace"}
    return {
        "python": ([sys.executable], base),
        "plain-bare": (
            instrument,
            {
                **base,
                "OTEL_PYTHON_DISTRO": "none",
                "OTEL_PYTHON_CONFIGURATOR": "none",
                "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "*",
            },
        ),
        "plain-sdk": (
            instrument,
            {
                **base,
                "PYTHONPATH": str(extra_path),
                "OTEL_PYTHON_DISTRO": "none",
                "OTEL_PYTHON_CONFIGURATOR": "sdk",
                "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "*",
                "OTEL_TRACES_EXPORTER": "otlp_proto_http",
                "OTEL_METRICS_EXPORTER": "none",
                "OTEL_LOGS_EXPORTER": "none",
            },
        ),
        "ours-file": (instrument, {**ours, "OTEL_AGENT_TRACE_STORE_DIR": str(store)}),
        "ours-otlp": (instrument, {**ours, "OTEL_AGENT_TRACE_EXPORTER": "otlp_http"}),
    }


def cpu_of(args: list[str], env: dict[str, str]) -> float:
    """CPU seconds (user + system) of one child run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def probe(args: list[str], env: dict[str, str], program: str) -> str:
    code = f"{program}\n{PROBE}"
    out = subprocess.run([*args, "-c", code], env=env, check=True, capture_output=True, text=True).stdout
    return out.strip().splitlines()[-1]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--program", choices=sorted(PROGRAMS), action="append", help="default: all")
    options = parser.parse_args(argv)
    rng = random.Random(options.seed)
    with tempfile.TemporaryDirectory() as tmp:
        runs = variants(_sdk_configurator_path(Path(tmp) / "path"), Path(tmp) / "store")
        for program in [PROGRAMS[name] for name in options.program or PROGRAMS]:
            print(f"\n## python -c {program!r}  ({options.rounds} interleaved rounds, CPU s per run)\n")
            for name, (args, env) in runs.items():
                print(f"{name:<11} modules, SDKs imported: {probe(args, env, program)}")
            samples: dict[str, list[float]] = {name: [] for name in runs}
            for _ in range(options.rounds):
                order = list(runs)
                rng.shuffle(order)
                for name in order:
                    args, env = runs[name]
                    samples[name].append(cpu_of([*args, "-c", program], env))
            medians = {name: statistics.median(values) for name, values in samples.items()}
            print("\n| variant | median CPU s | min-max | x plain-sdk | x plain-bare |\n|---|---|---|---|---|")
            for name, values in samples.items():
                print(
                    f"| {name} | {medians[name]:.3f} | {min(values):.3f}-{max(values):.3f} "
                    f"| {medians[name] / medians['plain-sdk']:.2f} | {medians[name] / medians['plain-bare']:.2f} |"
                )


if __name__ == "__main__":
    main()

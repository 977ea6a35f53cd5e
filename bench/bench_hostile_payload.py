"""Application-thread time of ``tool_call`` + ``snapshot_state`` + ``decision`` with a large tool result.

Not a test. Run ``python bench/bench_hostile_payload.py`` (``--rounds N``; ``--sizes 16384,5000000``).

The scenario, with content capture on, through the real ``AgentSpanProcessor`` (over a ``SimpleSpanProcessor`` and
an exporter that drops spans, so the processor's on_end work is on the timed thread too)::

    with agent_run("bench"), step("act"):
        with tool_call("fetch", arguments=payload) as t:
            t.set_result(payload)
        snapshot_state(working_memory={"last": payload})
        with decision("next") as d:
            d.choose(payload)

The payload is built once per size and shape, before timing: ``str`` (one string of N bytes) and ``rows`` (a dict
holding a list of ~100-byte row dicts, N bytes of JSON in all). Rounds are interleaved (every size and shape once
per round, in a rotating order); the table shows the median time, its spread (min-max over rounds), and the ratio
to the 16 KiB payload of the same shape.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

from otel_agent_trace import agent_run, decision, snapshot_state, step, tool_call
from otel_agent_trace._internal import settings as settings_mod
from otel_agent_trace._internal.settings import Settings
from otel_agent_trace._internal.tracing import set_default_tracer_provider
from otel_agent_trace.processor import AgentSpanProcessor

BASE = 16 * 1024


class _Drop(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def payload(shape: str, size: int) -> Any:
    if shape == "str":
        return "lorem ipsum dolor sit amet " * (size // 27 + 1)
    row = {"id": 0, "title": "a row of a tool result", "body": "x" * 50}
    return {"rows": [dict(row, id=i) for i in range(max(1, size // 100))]}


def scenario(value: Any) -> float:
    started = time.perf_counter()
    with agent_run("bench"), step("act"):
        with tool_call("fetch", arguments=value) as t:
            t.set_result(value)
        snapshot_state(working_memory={"last": value})
        with decision("next") as d:
            d.choose(value)
    return time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--sizes", default=f"{BASE},5000000,50000000")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    settings = Settings(capture_content=True)
    settings_mod.set_settings(settings)
    provider = TracerProvider()
    provider.add_span_processor(AgentSpanProcessor(SimpleSpanProcessor(_Drop()), settings=settings))
    set_default_tracer_provider(provider)
    cases = [(shape, size) for shape in ("str", "rows") for size in sizes]
    values = {case: payload(*case) for case in cases}
    for case in cases:  # warm up
        scenario(values[case])
    times: dict[tuple[str, int], list[float]] = {case: [] for case in cases}
    for r in range(args.rounds):
        order = cases[r % len(cases) :] + cases[: r % len(cases)]
        for case in order:
            times[case].append(scenario(values[case]))
    print(f"{'shape':<6} {'payload':>12} {'median ms':>10} {'min-max ms':>16} {'x 16 KiB':>9}")
    for shape, size in cases:
        samples = times[(shape, size)]
        base = statistics.median(times[(shape, sizes[0])])
        median = statistics.median(samples)
        spread = f"{min(samples) * 1e3:.2f}-{max(samples) * 1e3:.2f}"
        print(f"{shape:<6} {size:>12,} {median * 1e3:>10.2f} {spread:>16} {median / base:>9.2f}")


if __name__ == "__main__":
    main()

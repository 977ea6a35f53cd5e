"""Application-thread cost of ``AgentSpanProcessor`` vs a plain ``BatchSpanProcessor``, and where the work went.

Not a test. Run ``python bench/bench_processor.py`` (``--rounds``, ``--spans`` to change the effort).

How it measures:

- Two ``TracerProvider``\\ s in one process, same resource, same spans, each exporting to an exporter that drops
  everything: ``plain`` has an SDK ``BatchSpanProcessor``; ``ours`` has ``AgentSpanProcessor(exporter=...)`` with
  the default settings (16 KiB per attribute, 256 KiB per span, redaction on).
- Application thread: the time to start a span, set its attributes / add its events and end it (so the processor's
  ``on_start`` + ``on_end`` and everything the SDK does around them), ``--spans`` spans per timed block, divided
  per span. The batch worker stays idle while timing (fewer spans than one export batch; each block is flushed
  afterwards, untimed), so the export thread does not compete for the GIL with what is timed.
- Export thread: the time ``TransformingExporter`` spends per span (redaction, JSON fitting, whole-span budget,
  rebuild) on the spans ``ours`` handed on, before the real exporter sees them (``plain`` spends none).
- Rounds are interleaved: each round runs every case for both variants, the variant order alternating, and the
  ratio ``ours / plain`` is taken within the round. The table shows the median over rounds and the min-max spread.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from otel_agent_trace._internal.settings import Settings
from otel_agent_trace.processor import AgentSpanProcessor
from otel_agent_trace.processor._prepare import prepare

ORDINARY = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
    "gen_ai.response.id": "chatcmpl-AbCdEf0123456789",
    "gen_ai.usage.input_tokens": 812,
    "gen_ai.usage.output_tokens": 64,
    "gen_ai.request.temperature": 0.2,
    "gen_ai.request.max_tokens": 512,
    "gen_ai.response.finish_reasons": ("stop",),
    "server.address": "api.openai.com",
    "server.port": 443,
    "agent_trace.session.id": "session-42",
    "gen_ai.conversation.id": "session-42",
}
_WORDS = "the agent called the search tool and read the first result before answering the user. "


def _text(size: int) -> str:
    return (_WORDS * (size // len(_WORDS) + 1))[:size]


def _payload_case(size: int) -> Callable[[Any], None]:
    payload = _text(size)
    attributes = dict(list(ORDINARY.items())[:13])

    def run(tracer: Any) -> None:
        with tracer.start_as_current_span("execute_tool search") as span:
            span.set_attributes(attributes)
            span.set_attribute("gen_ai.tool.call.result", payload)

    return run


def _ordinary(tracer: Any) -> None:
    with tracer.start_as_current_span("chat gpt-4o-mini") as span:
        span.set_attributes(ORDINARY)


_SNAPSHOT = {"state": json.dumps({"step": 3, "memory": _text(200)})}


def _events(tracer: Any) -> None:
    with tracer.start_as_current_span("invoke_agent planner") as span:
        span.set_attributes(ORDINARY)
        for _ in range(200):
            span.add_event("agent_trace.state.snapshot", _SNAPSHOT)


CASES: dict[str, Callable[[Any], None]] = {
    "ordinary span, 14 attributes": _ordinary,
    "16 KiB attribute": _payload_case(16 * 1024),
    "50 KB attribute": _payload_case(50_000),
    "1 MB attribute": _payload_case(1_000_000),
    "10 MB attribute": _payload_case(10_000_000),
    "200 events": _events,
}


class _Drop(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


class _Capture(SpanProcessor):
    """Records what ``ours`` hands to its batch processor (to time the export-thread work on exactly that)."""

    def __init__(self, agent: AgentSpanProcessor) -> None:
        self.agent = agent
        self.spans: list[ReadableSpan] = []

    def on_end(self, span: ReadableSpan) -> None:
        self.spans.append(prepare(span, self.agent.hold, None))


def _provider(processor: SpanProcessor) -> TracerProvider:
    provider = TracerProvider(resource=Resource({"service.name": "bench"}))
    provider.add_span_processor(processor)
    return provider


def _time_block(run: Callable[[Any], None], tracer: Any, spans: int) -> float:
    gc.collect()
    start = time.perf_counter_ns()
    for _ in range(spans):
        run(tracer)
    return (time.perf_counter_ns() - start) / spans / 1000.0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table (Markdown)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--spans", type=int, default=200, help="spans per timed block (< one export batch)")
    args = parser.parse_args(argv)
    spans = min(args.spans, 500)

    plain = BatchSpanProcessor(_Drop(), max_queue_size=4096, max_export_batch_size=512, schedule_delay_millis=60_000)
    ours = AgentSpanProcessor(exporter=_Drop(), settings=Settings(), max_queue_size=4096, schedule_delay_millis=60_000)
    tracers = {"plain": _provider(plain).get_tracer("bench"), "ours": _provider(ours).get_tracer("bench")}
    flush = {"plain": plain.force_flush, "ours": ours.force_flush}
    capture = _Capture(ours)
    capture_tracer = _provider(capture).get_tracer("bench")

    app: dict[tuple[str, str], list[float]] = {}
    ratio: dict[str, list[float]] = {}
    export: dict[str, list[float]] = {}
    for round_index in range(args.rounds):
        order = ("plain", "ours") if round_index % 2 == 0 else ("ours", "plain")
        for case, run in CASES.items():
            for _ in range(2):  # warm-up
                run(tracers["plain"])
                run(tracers["ours"])
            flush["plain"]()
            flush["ours"]()
            got: dict[str, float] = {}
            for variant in order:
                got[variant] = _time_block(run, tracers[variant], spans)
                flush[variant]()
                app.setdefault((case, variant), []).append(got[variant])
            ratio.setdefault(case, []).append(got["ours"] / got["plain"])
            capture.spans.clear()
            for _ in range(20):
                run(capture_tracer)
            gc.collect()
            start = time.perf_counter_ns()
            for span in capture.spans:
                ours.transformer.export_form(span)
            export.setdefault(case, []).append((time.perf_counter_ns() - start) / len(capture.spans) / 1000.0)

    def cell(values: list[float], fmt: str) -> str:
        return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}-{max(values):{fmt}})"

    python = sys.version.split()[0]
    print(f"{args.rounds} interleaved rounds x {spans} spans; median (min-max) per span, Python {python}")
    print()
    print("| case | plain BatchSpanProcessor, µs | AgentSpanProcessor, µs | ratio ours/plain | export thread, µs |")
    print("|---|---|---|---|---|")
    for case in CASES:
        print(
            f"| {case} | {cell(app[(case, 'plain')], '.1f')} | {cell(app[(case, 'ours')], '.1f')} "
            f"| {cell(ratio[case], '.2f')}x | {cell(export[case], '.0f')} |"
        )
    base = app[("16 KiB attribute", "ours")]
    print()
    for case in ("1 MB attribute", "10 MB attribute"):
        rel = [a / b for a, b in zip(app[(case, "ours")], base, strict=True)]
        print(f"- ours, {case} / 16 KiB attribute (same round): {cell(rel, '.2f')}x")
    plain.shutdown()
    ours.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

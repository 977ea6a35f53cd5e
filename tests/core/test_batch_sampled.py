"""``BoundedBatchSpanProcessor.on_end`` queues sampled spans only (it reads the trace-flags bit directly)."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import SpanContext, TraceFlags

from otel_agent_trace.processor._batch import BoundedBatchSpanProcessor


class _Keep(SpanExporter):
    def __init__(self) -> None:
        self.names: list[str] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.names += [s.name for s in spans]
        return SpanExportResult.SUCCESS


def _span(name: str, flags: int) -> ReadableSpan:
    ctx = SpanContext(trace_id=1, span_id=2, is_remote=False, trace_flags=TraceFlags(flags))
    return ReadableSpan(name=name, context=ctx, start_time=1, end_time=2)


def test_only_sampled_spans_are_exported() -> None:
    exporter = _Keep()
    batch = BoundedBatchSpanProcessor(exporter, max_queue_size=8, max_export_batch_size=8)
    try:
        for name, flags in (("sampled", 0x01), ("not sampled", 0x00), ("sampled, random id", 0x03), ("random", 0x02)):
            batch.on_end(_span(name, flags))
        batch.on_end(ReadableSpan(name="no context"))
        assert batch.force_flush(5000)
        assert sorted(exporter.names) == ["no context", "sampled", "sampled, random id"]
        assert batch.dropped == 0
    finally:
        batch.shutdown()

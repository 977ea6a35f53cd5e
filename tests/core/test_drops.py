"""Every span that is not delivered is counted by reason, visible as a metric, on the logger and by `dropped_spans`."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap

import pytest

from otel_agent_trace import step
from otel_agent_trace._internal import drops
from otel_agent_trace.configuration import init
from otel_agent_trace.processor import AgentSpanProcessor
from tests.collector import RotelCollector, free_port


@pytest.fixture(autouse=True)
def _fresh_counts() -> None:
    drops._reset_for_tests()


def _spans(n: int, prefix: str) -> None:
    for i in range(n):
        with step(f"{prefix}{i}"):
            pass


@pytest.mark.collector
@pytest.mark.parametrize("exporter", ["otlp_grpc", "otlp_http"])
def test_collector_outage_sent_equals_exported_plus_dropped(rotel_collector: RotelCollector, exporter: str) -> None:
    endpoint = rotel_collector.grpc_endpoint if exporter == "otlp_grpc" else rotel_collector.http_endpoint
    provider = init(
        exporters=exporter,
        endpoint=endpoint,
        instrumentors="none",
        set_global=False,
        max_queue_size=512,
        export_timeout_millis=1000,
    )
    from otel_agent_trace._internal.tracing import set_default_tracer_provider

    set_default_tracer_provider(provider)
    processor = provider._active_span_processor._span_processors[0]
    assert isinstance(processor, AgentSpanProcessor)
    batch = processor.delegate

    _spans(300, "before")  # collector up
    assert provider.force_flush(5000) is True
    rotel_collector.wait_for_spans(300, timeout=10)

    rotel_collector.stop()  # outage: the port now refuses connections
    _spans(1000, "during")  # more than the queue holds: some are queue_full, the rest export_failed
    assert provider.force_flush(5000) is False
    provider.shutdown()

    counts = drops.dropped_spans()
    assert batch.exported == 300
    assert batch.exported + sum(counts.values()) == 1300
    assert counts["queue_full"] > 0 and counts["export_failed"] > 0, counts
    assert len(rotel_collector.sink.spans) == 300  # exactly what was counted as exported arrived


def test_refused_connection_every_span_counted_by_reason() -> None:
    provider = init(
        exporters="otlp_http",
        endpoint=f"http://127.0.0.1:{free_port()}",
        instrumentors="none",
        set_global=False,
        export_timeout_millis=500,
    )
    tracer = provider.get_tracer("t")
    for i in range(50):
        with tracer.start_as_current_span(f"s{i}"):
            pass
    assert provider.force_flush(5000) is False
    provider.shutdown()
    counts = drops.dropped_spans()
    assert counts["export_failed"] + counts["shutdown_timeout"] == 50 == drops.total_dropped(), counts


def test_drops_are_logged_rate_limited_and_summarised_at_shutdown(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="otel_agent_trace"):
        for _ in range(1000):
            drops.record_drop(drops.QUEUE_FULL)
        drops.record_drop(drops.EXPORT_FAILED, 7)
    periodic = [r for r in caplog.records if "since the last report" in r.getMessage()]
    assert len(periodic) == 1  # one line per LOG_INTERVAL_S, not one per drop
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="otel_agent_trace"):
        drops.log_drop_summary()
        drops.log_drop_summary()  # a second processor shutting down: no repeat
    (summary,) = caplog.records
    assert (
        summary.getMessage()
        == "otel-agent-trace dropped 1007 span(s) in this process: queue_full=1000, export_failed=7"
    )


def test_record_drop_never_raises() -> None:
    drops.record_drop("weird", "not a number")  # type: ignore[arg-type]
    drops.record_drop(drops.OVER_BUDGET, -3)
    drops.record_drop(drops.OVER_BUDGET)
    assert drops.dropped_spans()["over_budget"] == 1


def test_dropped_spans_metric_by_reason() -> None:
    script = textwrap.dedent(
        """
        import json, socket
        from opentelemetry import metrics
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from otel_agent_trace.configuration import init
        from otel_agent_trace._internal.drops import dropped_spans

        reader = InMemoryMetricReader()
        metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        provider = init(exporters="otlp_http", endpoint=f"http://127.0.0.1:{port}", instrumentors="none",
                        export_timeout_millis=300, max_queue_size=8)
        tracer = provider.get_tracer("t")
        for i in range(40):
            with tracer.start_as_current_span(f"s{i}"):
                pass
        provider.shutdown()
        points = {}
        for rm in reader.get_metrics_data().resource_metrics:
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    if metric.name == "agent_trace.spans.dropped":
                        for p in metric.data.data_points:
                            points[p.attributes["agent_trace.drop.reason"]] = p.value
        print(json.dumps({"metric": points, "api": dropped_spans()}))
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["metric"] == result["api"]
    assert sum(result["api"].values()) == 40
    assert result["metric"]["queue_full"] > 0


def test_span_ending_after_shutdown_is_counted(tmp_path) -> None:  # type: ignore[no-untyped-def]
    provider = init(exporters="file", store_dir=tmp_path, instrumentors="none", set_global=False)
    tracer = provider.get_tracer("t")
    span = tracer.start_span("late")
    provider.shutdown()
    span.end()
    assert drops.dropped_spans()["after_shutdown"] == 1


def test_span_the_transformer_withholds_is_counted_once() -> None:
    """A span the export-side transform drops is counted as over_budget only, never also as exported."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from otel_agent_trace.processor._batch import BoundedBatchSpanProcessor
    from otel_agent_trace.processor._export import TransformingExporter
    from otel_agent_trace.processor._transform import SpanTransformer

    class _Unsalvageable(SpanTransformer):
        def transform(self, span):  # type: ignore[no-untyped-def]
            raise RuntimeError("ours")

        def scrub(self, span):  # type: ignore[no-untyped-def]
            raise RuntimeError("ours too")

    sink = InMemorySpanExporter()
    transformer = _Unsalvageable(max_attribute_bytes=1024, max_span_bytes=4096)
    batch = BoundedBatchSpanProcessor(TransformingExporter(sink, transformer), schedule_delay_millis=10)
    provider = TracerProvider()
    provider.add_span_processor(batch)
    tracer = provider.get_tracer("t")
    for i in range(5):
        with tracer.start_as_current_span(f"s{i}"):
            pass
    assert provider.force_flush(5000) is True
    provider.shutdown()
    assert sink.get_finished_spans() == ()
    assert batch.exported == 0
    assert batch.dropped == 5
    counts = drops.dropped_spans()
    assert counts["over_budget"] == 5
    assert sum(counts.values()) == 5

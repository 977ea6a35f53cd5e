"""``init()`` and metrics: the file store's metrics file, the switches, a user's meter provider, bounded shutdown."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider

from otel_agent_trace.configuration import init
from otel_agent_trace.configuration._metrics import build_metric_exporters, metric_exporter_names
from otel_agent_trace.model.loaders import load_traces
from otel_agent_trace.processor._batch import ShutdownClock
from otel_agent_trace.processor._metrics import GenAIMetricsSpanProcessor

CHAT = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.usage.input_tokens": 7,
    "gen_ai.usage.output_tokens": 3,
}


def _init(tmp_path: Path, **kwargs: Any) -> TracerProvider:
    return init(
        "metrics-app", store_dir=tmp_path / "store", set_global=False, instrumentors="none", diagnose_buffer=0, **kwargs
    )


def _call(provider: TracerProvider) -> None:
    tracer = provider.get_tracer("test")
    agent = {"gen_ai.operation.name": "invoke_agent"}
    with (
        tracer.start_as_current_span("invoke_agent fx", attributes=agent),
        tracer.start_as_current_span("chat x", attributes=CHAT),
    ):
        pass


def _recorders(provider: TracerProvider) -> list[GenAIMetricsSpanProcessor]:
    processors = provider._active_span_processor._span_processors
    return [p for p in processors if isinstance(p, GenAIMetricsSpanProcessor)]


def _metric_names(request: ExportMetricsServiceRequest) -> set[str]:
    return {m.name for rm in request.resource_metrics for sm in rm.scope_metrics for m in sm.metrics}


def test_file_store_writes_otlp_json_metrics_beside_the_traces(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    provider = _init(tmp_path)
    _call(provider)
    provider.shutdown()  # flushes the spans and the metrics
    store = tmp_path / "store"
    (metrics_file,) = store.glob("metrics-*.ndjson")
    assert list(store.glob("traces-*.jsonl"))
    lines = metrics_file.read_text().splitlines()
    request = json_format.ParseDict(json.loads(lines[-1]), ExportMetricsServiceRequest())
    assert {"gen_ai.client.token.usage", "gen_ai.client.operation.duration", "gen_ai.invoke_agent.duration"} <= (
        _metric_names(request)
    )
    resource = {kv.key: kv.value.string_value for kv in request.resource_metrics[0].resource.attributes}
    assert resource["service.name"] == "metrics-app"
    (usage,) = [
        m
        for sm in request.resource_metrics[0].scope_metrics
        for m in sm.metrics
        if m.name == "gen_ai.client.token.usage"
    ]
    assert usage.unit == "{token}"
    assert sorted(p.sum for p in usage.histogram.data_points) == [3, 7]
    assert list(usage.histogram.data_points[0].explicit_bounds)[:3] == [1, 4, 16]
    with caplog.at_level(logging.WARNING, logger="otel_agent_trace"):
        (trace,) = load_traces(store)  # the trace readers do not trip over the metrics file
    assert len(trace.spans) == 2
    assert not [r for r in caplog.records if "bad line" in r.getMessage()]


def test_metrics_false_records_nothing(tmp_path: Path) -> None:
    provider = _init(tmp_path, metrics=False)
    assert _recorders(provider) == []
    _call(provider)
    provider.shutdown()
    assert not list((tmp_path / "store").glob("metrics-*"))


def test_otel_metrics_exporter_none_records_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "none")
    provider = _init(tmp_path)
    assert _recorders(provider) == []
    _call(provider)
    provider.shutdown()
    assert not list((tmp_path / "store").glob("metrics-*"))


def test_otel_metrics_exporter_picks_the_metric_exporters(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    assert metric_exporter_names(["file", "otlp"]) == ["file", "otlp"]  # unset: the trace exporters
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "console,prometheus")
    with caplog.at_level(logging.WARNING, logger="otel_agent_trace"):
        assert metric_exporter_names(["file"]) == ["console"]
    assert "'prometheus' is not a metric exporter" in caplog.text
    exporters = build_metric_exporters(["console", "otlp_http"], endpoint="http://127.0.0.1:4318")
    assert [type(e).__name__ for e in exporters] == ["ConsoleMetricExporter", "OTLPMetricExporter"]
    assert exporters[1]._endpoint == "http://127.0.0.1:4318/v1/metrics"  # type: ignore[attr-defined]


def test_a_given_meter_provider_is_recorded_into_and_left_alone(tmp_path: Path) -> None:
    reader = InMemoryMetricReader()
    mine = MeterProvider(metric_readers=[reader])
    provider = _init(tmp_path, meter_provider=mine)
    (recorder,) = _recorders(provider)
    assert recorder.owned is None  # not ours to shut down
    _call(provider)
    provider.shutdown()
    data = reader.get_metrics_data()
    assert data is not None
    names = {m.name for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics}
    assert "gen_ai.client.token.usage" in names
    assert not list((tmp_path / "store").glob("metrics-*"))
    mine.shutdown()


def test_shutdown_of_metrics_takes_at_most_a_quarter_of_the_shared_budget(tmp_path: Path) -> None:
    provider = _init(tmp_path, shutdown_timeout_millis=2000)
    (recorder,) = _recorders(provider)
    assert recorder.shutdown_millis == 500
    trace_clocks = {
        p.delegate.clock for p in provider._active_span_processor._span_processors if hasattr(p, "delegate")
    }
    assert trace_clocks == {recorder.clock}  # one deadline for traces and metrics
    provider.shutdown()

    seen: list[float] = []

    class Recording(MeterProvider):
        def shutdown(self, timeout_millis: float = 30_000) -> None:
            seen.append(timeout_millis)
            super().shutdown(timeout_millis=timeout_millis)

    clock = ShutdownClock(300)
    owned = Recording()
    processor = GenAIMetricsSpanProcessor(owned, owned=owned, shutdown_millis=1000, clock=clock)
    processor.shutdown()
    processor.shutdown()  # once only
    assert len(seen) == 1 and 0 <= seen[0] <= 300


def test_global_sdk_meter_provider_is_used() -> None:
    script = textwrap.dedent(
        """
        import json, tempfile
        from opentelemetry import metrics
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from otel_agent_trace.configuration import init

        reader = InMemoryMetricReader()
        metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
        provider = init(store_dir=tempfile.mkdtemp(), instrumentors="none")
        with provider.get_tracer("t").start_as_current_span("chat m", attributes={"gen_ai.operation.name": "chat"}):
            pass
        provider.force_flush()
        names = sorted({m.name for rm in reader.get_metrics_data().resource_metrics
                        for sm in rm.scope_metrics for m in sm.metrics})
        print(json.dumps(names))
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120)
    assert "gen_ai.client.operation.duration" in json.loads(out.stdout.strip().splitlines()[-1])


def test_opentelemetry_instrument_writes_metrics_through_our_distro(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text(
        textwrap.dedent(
            """
            from otel_agent_trace import agent_run, tool_call
            with agent_run("cli-agent"):
                with tool_call("lookup"):
                    pass
            """
        )
    )
    env = {
        **os.environ,
        "OTEL_PYTHON_DISTRO": "agent_trace",
        "OTEL_PYTHON_CONFIGURATOR": "agent_trace",
        "OTEL_AGENT_TRACE_STORE_DIR": str(tmp_path / "store"),
        "OTEL_SERVICE_NAME": "instrumented-app",
    }
    env.pop("OTEL_METRICS_EXPORTER", None)
    instrument = Path(sys.executable).parent / "opentelemetry-instrument"
    result = subprocess.run(
        [str(instrument), sys.executable, str(app)], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    (metrics_file,) = (tmp_path / "store").glob("metrics-*.ndjson")  # written at exit
    request = json_format.ParseDict(
        json.loads(metrics_file.read_text().splitlines()[-1]), ExportMetricsServiceRequest()
    )
    assert {"gen_ai.invoke_agent.duration", "gen_ai.execute_tool.duration"} <= _metric_names(request)
    resource = {kv.key: kv.value.string_value for kv in request.resource_metrics[0].resource.attributes}
    assert resource["service.name"] == "instrumented-app"


def test_force_flush_of_metrics_is_bounded_even_when_the_exporter_hangs() -> None:
    import threading
    import time

    release = threading.Event()

    class Hanging(MeterProvider):
        def force_flush(self, timeout_millis: float = 30_000) -> bool:
            release.wait(10)  # an OTLP exporter against a collector that accepts and never answers
            return True

    owned = Hanging()
    processor = GenAIMetricsSpanProcessor(owned, owned=owned, shutdown_millis=300, clock=ShutdownClock(1200))
    try:
        started = time.monotonic()
        assert processor.force_flush(30_000) is False  # not flushed in time: said so, not waited for
        assert time.monotonic() - started < 5  # the 300 ms share, with the margin test_exit.py allows
    finally:
        release.set()
        processor.shutdown()

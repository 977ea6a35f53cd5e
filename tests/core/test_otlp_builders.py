"""The span, metric and log exporter builders share one OTLP builder: endpoints, protocol variables, errors.

The endpoint an OTLP exporter posts to (``_endpoint``) and gRPC's ``_insecure`` are read from the built exporters
of opentelemetry-exporter-otlp; the exporters themselves are exercised against real collectors elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from otel_agent_trace._internal.settings import ConfigurationError
from otel_agent_trace.configuration._metrics import build_metric_exporters
from otel_agent_trace.exporters import build_exporters
from otel_agent_trace.exporters.logs import build_log_exporters

Builder = Callable[..., list[Any]]
BUILDERS: dict[str, Builder] = {
    "traces": build_exporters,
    "metrics": build_metric_exporters,
    "logs": build_log_exporters,
}


@pytest.fixture(autouse=True)
def _no_otlp_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for signal in ("", "TRACES_", "METRICS_", "LOGS_"):
        monkeypatch.delenv(f"OTEL_EXPORTER_OTLP_{signal}PROTOCOL", raising=False)


@pytest.mark.parametrize(
    ("signal", "endpoint", "posted_to"),
    [
        ("traces", "http://h:4318", "http://h:4318/v1/traces"),
        ("traces", "http://h:4318/v1/traces/", "http://h:4318/v1/traces"),
        ("metrics", "http://h:4318/", "http://h:4318/v1/metrics"),
        ("metrics", "http://h:4318/v1/metrics", "http://h:4318/v1/metrics"),
        ("metrics", "http://h:4318/v1/traces", "http://h:4318/v1/traces/v1/metrics"),
        ("logs", "http://h:4318", "http://h:4318/v1/logs"),
        ("logs", "http://h:4318/v1/logs", "http://h:4318/v1/logs"),
        ("logs", "http://h:4318/v1/traces/", "http://h:4318/v1/logs"),
    ],
)
def test_http_endpoint_gets_the_signal_path(signal: str, endpoint: str, posted_to: str) -> None:
    (exporter,) = BUILDERS[signal](["otlp_http"], endpoint=endpoint)
    assert type(exporter).__module__.startswith("opentelemetry.exporter.otlp.proto.http.")
    assert exporter._endpoint == posted_to


@pytest.mark.parametrize("signal", list(BUILDERS))
@pytest.mark.parametrize(("endpoint", "insecure"), [("http://h:4317", True), ("https://h:4317", False)])
def test_grpc_endpoint_is_passed_on_and_plain_http_is_insecure(signal: str, endpoint: str, insecure: bool) -> None:
    (exporter,) = BUILDERS[signal](["otlp_grpc"], endpoint=endpoint, headers={"k": "v"}, timeout=3)
    assert type(exporter).__module__.startswith("opentelemetry.exporter.otlp.proto.grpc.")
    assert exporter._endpoint == "h:4317"
    assert exporter._insecure is insecure
    assert exporter._headers == (("k", "v"),)
    assert exporter._timeout == 3


@pytest.mark.parametrize(
    ("signal", "variable"),
    [("traces", "TRACES"), ("metrics", "METRICS"), ("logs", "LOGS"), ("logs", "TRACES")],  # logs: own, then spans'
)
def test_otlp_protocol_comes_from_the_signal_variable_then_the_general_one(
    signal: str, variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = BUILDERS[signal]
    assert "proto.http." in type(build(["otlp"])[0]).__module__  # no variable: HTTP
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    assert "proto.grpc." in type(build(["otlp"])[0]).__module__
    monkeypatch.setenv(f"OTEL_EXPORTER_OTLP_{variable}_PROTOCOL", "http/protobuf")
    assert "proto.http." in type(build(["otlp"])[0]).__module__
    assert "proto.grpc." in type(build(["otlp"], protocol="grpc")[0]).__module__  # the argument wins
    monkeypatch.setenv(f"OTEL_EXPORTER_OTLP_{variable}_PROTOCOL", "carrier-pigeon")
    with pytest.raises(ConfigurationError, match="OTLP protocol 'carrier-pigeon' is not supported"):
        build(["otlp"])


def test_logs_protocol_variable_wins_over_the_spans_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "http/protobuf")
    assert "proto.http." in type(BUILDERS["logs"](["otlp"])[0]).__module__
    assert "proto.grpc." in type(BUILDERS["traces"](["otlp"])[0]).__module__


def test_only_the_span_builder_rejects_unknown_names_and_schemeless_endpoints() -> None:
    with pytest.raises(ConfigurationError, match="unknown exporter 'zipkin'"):
        build_exporters(["console", "zipkin"])
    with pytest.raises(ConfigurationError, match="must start with http:// or https://"):
        build_exporters(["otlp_http"], endpoint="h:4318")
    for build, console in (
        (build_metric_exporters, "ConsoleMetricExporter"),
        (build_log_exporters, "ConsoleLogRecordExporter"),
    ):
        assert [type(e).__name__ for e in build(["zipkin", "console", "none"])] == [console]
        (grpc,) = build(["otlp_grpc"], endpoint="h:4317")
        assert grpc._endpoint == "h:4317"
    assert build_exporters(["none"]) == []


@pytest.mark.parametrize("signal", list(BUILDERS))
def test_file_exporter_writes_into_the_store_dir(signal: str, tmp_path: Any) -> None:
    (exporter,) = BUILDERS[signal](["file"], store_dir=tmp_path)
    assert exporter.directory == tmp_path

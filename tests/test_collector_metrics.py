"""GenAI metrics end to end: real openai calls -> init()'s MeterProvider -> OTLP (gRPC and HTTP) -> rotel-agent ->
an OTLP/HTTP metrics sink in this process, decoded with opentelemetry-proto."""

from __future__ import annotations

import gzip
import http.server
import tempfile
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)

from otel_agent_trace.configuration import init
from otel_agent_trace.instrumentation.openai import OpenAIInstrumentor
from tests.instrumentation.openai.mock_server import MockOpenAIServer, running_server

from .collector import RotelCollector, attributes_to_dict, find_rotel_binary

pytestmark = pytest.mark.collector

MESSAGES = [{"role": "user", "content": "Say hello"}]


class _Handler(http.server.BaseHTTPRequestHandler):
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        encoding = self.headers.get("Content-Encoding", "").strip().lower()
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        if self.path.split("?", 1)[0] == "/v1/metrics":
            request = ExportMetricsServiceRequest()
            request.ParseFromString(body)
            self.server.sink.add(request)
            reply = ExportMetricsServiceResponse().SerializeToString()
        else:
            reply = b""  # traces and logs: accepted and dropped
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    sink: MetricsSink


class MetricsSink:
    """OTLP/HTTP metrics receiver on 127.0.0.1 (what rotel-agent forwards to)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.requests: list[ExportMetricsServiceRequest] = []
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.sink = self
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.extra_failure_info: Any = None
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def add(self, request: ExportMetricsServiceRequest) -> None:
        with self._cond:
            self.requests.append(request)
            self._cond.notify_all()

    def points(self) -> dict[str, list[tuple[dict[str, Any], int, float]]]:
        """The latest (cumulative) count and sum per metric and attribute set."""
        latest: dict[tuple[str, str], tuple[dict[str, Any], int, float]] = {}
        with self._cond:
            requests = list(self.requests)
        for request in requests:
            for rm in request.resource_metrics:
                for sm in rm.scope_metrics:
                    for metric in sm.metrics:
                        for p in metric.histogram.data_points:
                            attrs = attributes_to_dict(p.attributes)
                            latest[(metric.name, repr(sorted(attrs.items())))] = (attrs, p.count, p.sum)
        out: dict[str, list[tuple[dict[str, Any], int, float]]] = {}
        for (name, _), point in latest.items():
            out.setdefault(name, []).append(point)
        return out

    def wait_for(self, names: set[str], timeout: float = 15.0) -> dict[str, list[tuple[dict[str, Any], int, float]]]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not names <= set(self.points()) and time.monotonic() < deadline:
                self._cond.wait(0.1)
        points = self.points()
        if not names <= set(points):
            info = self.extra_failure_info() if callable(self.extra_failure_info) else ""
            pytest.fail(f"metrics {sorted(names - set(points))} did not reach the sink; got {sorted(points)}\n{info}")
        return points

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def llm() -> Iterator[MockOpenAIServer]:
    with running_server() as srv:
        yield srv


@pytest.fixture
def collector() -> Iterator[RotelCollector]:
    binary = find_rotel_binary()
    if binary is None or not binary.exists():
        pytest.skip("rotel-agent binary not found; install the dev extra (`pip install rotel`)")
    sink = MetricsSink()
    try:
        with tempfile.TemporaryDirectory(prefix="rotel-") as tmp:
            collector = RotelCollector(binary, sink, Path(tmp))  # type: ignore[arg-type]
            with collector:
                yield collector
    finally:
        sink.close()


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_metrics_of_openai_calls_reach_the_collector(
    protocol: str, collector: RotelCollector, llm: MockOpenAIServer, tmp_path: Path
) -> None:
    endpoint = collector.grpc_endpoint if protocol == "grpc" else collector.http_endpoint
    provider = init(
        "metrics-e2e",
        exporters="otlp",
        protocol=protocol,
        endpoint=endpoint,
        set_global=False,
        instrumentors="none",
        diagnose_buffer=0,
    )
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        with openai.OpenAI(api_key="sk-test", base_url=llm.base_url, max_retries=0) as client:
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # type: ignore[arg-type]
            stream = client.chat.completions.create(
                model="gpt-4o-mini",
                messages=MESSAGES,  # type: ignore[arg-type]
                stream=True,
                stream_options={"include_usage": True},
            )
            for _ in stream:
                pass
            with pytest.raises(openai.InternalServerError):
                client.chat.completions.create(model="error-500", messages=MESSAGES)  # type: ignore[arg-type]
        provider.force_flush()
    finally:
        instrumentor.uninstrument()
    sink: MetricsSink = collector.sink  # type: ignore[assignment]
    points = sink.wait_for(
        {
            "gen_ai.client.token.usage",
            "gen_ai.client.operation.duration",
            "gen_ai.client.operation.time_to_first_chunk",
            "gen_ai.client.operation.time_per_output_chunk",
        }
    )
    provider.shutdown()
    durations = points["gen_ai.client.operation.duration"]
    ok = [(attrs, count) for attrs, count, _ in durations if attrs["gen_ai.request.model"] == "gpt-4o-mini"]
    assert sum(count for _, count in ok) == 2  # the plain call and the stream
    for attrs, _ in ok:
        assert attrs["gen_ai.provider.name"] == "openai"
        assert attrs["gen_ai.operation.name"] == "chat"
        assert attrs["server.address"] == "127.0.0.1"
        assert "error.type" not in attrs
    (failed,) = [attrs for attrs, _, _ in durations if attrs["gen_ai.request.model"] == "error-500"]
    assert failed["error.type"] == "openai.InternalServerError"
    usage = points["gen_ai.client.token.usage"]
    for kind in ("input", "output"):
        assert sum(count for attrs, count, _ in usage if attrs["gen_ai.token.type"] == kind) == 2
    assert sum(total for attrs, _, total in usage if attrs["gen_ai.token.type"] == "output") >= 24  # stream: 24
    assert [count for _, count, _ in points["gen_ai.client.operation.time_to_first_chunk"]] == [1]
    assert [count for _, count, _ in points["gen_ai.client.operation.time_per_output_chunk"]] == [1]

"""The logs signal around the content modes: budget and faults of the event, the collector path, the distro, an
existing LoggerProvider, and log correlation of the application's ``logging`` records."""

from __future__ import annotations

import http.server
import json
import logging
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_agent_trace import init
from otel_agent_trace._internal.settings import ContentMode, Settings, set_settings
from otel_agent_trace.configuration._logs import disable_log_correlation
from otel_agent_trace.instrumentation.openai import OpenAIInstrumentor
from otel_agent_trace.processor import AgentSpanProcessor, _content_events
from otel_agent_trace.processor._content_events import event_logger_provider, use_logger_provider
from otel_agent_trace.semconv import gen_ai
from tests.collector import RotelCollector, any_value_to_python, find_rotel_binary
from tests.instrumentation.openai.mock_server import running_server

EVENT = gen_ai.GEN_AI_CLIENT_INFERENCE_OPERATION_DETAILS
SECRET = "sk-proj-Zq3xK9vLm2Np7Rt5Wy8Bc4Df6Gh1Jk0MnPqRsTuVwXyZ12"


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    yield
    use_logger_provider(None)
    set_settings(None)
    disable_log_correlation()


class Direct:
    """An `AgentSpanProcessor` with in-memory span and log exporters (no init())."""

    def __init__(self, mode: ContentMode, **settings: Any) -> None:
        self.logs = InMemoryLogRecordExporter()
        self.logger_provider = LoggerProvider()
        self.logger_provider.add_log_record_processor(SimpleLogRecordProcessor(self.logs))
        use_logger_provider(self.logger_provider)
        self.spans = InMemorySpanExporter()
        self.provider = TracerProvider()
        self.provider.add_span_processor(
            AgentSpanProcessor(
                exporter=self.spans, settings=Settings(capture_content=True, content_mode=mode, **settings)
            )
        )

    def chat(self, messages: str, **attributes: Any) -> None:
        with self.provider.get_tracer("test").start_as_current_span("chat m") as span:
            span.set_attribute(gen_ai.GEN_AI_OPERATION_NAME, "chat")
            span.set_attribute(gen_ai.GEN_AI_INPUT_MESSAGES, messages)
            for key, value in attributes.items():
                span.set_attribute(key, value)
        self.provider.force_flush()

    def events(self) -> list[dict[str, Any]]:
        return [dict(r.log_record.attributes or {}) for r in self.logs.get_finished_logs()]


def _messages(text: str) -> str:
    return json.dumps([{"role": "user", "parts": [{"type": "text", "content": text}]}])


def test_event_only_content_is_budgeted_like_span_content() -> None:
    direct = Direct(ContentMode.EVENT_ONLY, max_attribute_bytes=1024)
    direct.chat(_messages("word " * 20_000))
    (event,) = direct.events()
    content = event[gen_ai.GEN_AI_INPUT_MESSAGES]
    size = len(json.dumps(content)) if not isinstance(content, str) else len(content.encode())
    assert size <= 1024 + 64
    assert any(gen_ai.GEN_AI_INPUT_MESSAGES in entry for entry in event["agent_trace.truncated"])
    (span,) = direct.spans.get_finished_spans()
    assert gen_ai.GEN_AI_INPUT_MESSAGES not in (span.attributes or {})


def test_a_redaction_fault_scrubs_the_event_content(monkeypatch: pytest.MonkeyPatch) -> None:
    from otel_agent_trace._internal.redact import Redactor

    def broken(self: Redactor, key: str, value: Any) -> Any:
        raise RuntimeError("redactor bug")

    monkeypatch.setattr(Redactor, "redact_attribute", broken)
    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)  # internal errors are swallowed, as in production
    direct = Direct(ContentMode.EVENT_ONLY)
    direct.chat(_messages(f"key {SECRET}"))
    for record in direct.logs.get_finished_logs():
        assert SECRET not in json.dumps(dict(record.log_record.attributes or {}), default=str)
    assert SECRET not in json.dumps([dict(s.attributes or {}) for s in direct.spans.get_finished_spans()])


def test_a_failing_logs_signal_never_costs_the_span(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken(LoggerProvider):
        def get_logger(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("logs pipeline down")

    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
    direct = Direct(ContentMode.SPAN_AND_EVENT)
    use_logger_provider(Broken())
    direct.chat(_messages("hello"))
    (span,) = direct.spans.get_finished_spans()
    assert "hello" in str(span.attributes[gen_ai.GEN_AI_INPUT_MESSAGES])


def test_not_inference_spans_get_no_event() -> None:
    direct = Direct(ContentMode.SPAN_AND_EVENT)
    with direct.provider.get_tracer("t").start_as_current_span("execute_tool x") as span:
        span.set_attribute(gen_ai.GEN_AI_OPERATION_NAME, "execute_tool")
        span.set_attribute(gen_ai.GEN_AI_TOOL_CALL_ARGUMENTS, '{"a": 1}')
    direct.provider.force_flush()
    assert direct.events() == []
    (tool,) = direct.spans.get_finished_spans()
    assert tool.attributes[gen_ai.GEN_AI_TOOL_CALL_ARGUMENTS] == '{"a": 1}'  # agent-level content stays on spans


@pytest.mark.parametrize("mode", [ContentMode.EVENT_ONLY, ContentMode.SPAN_AND_EVENT])
def test_hostile_values_neither_fail_nor_leak(mode: ContentMode, caplog: pytest.LogCaptureFixture) -> None:
    direct = Direct(mode)
    with caplog.at_level(logging.WARNING, logger="otel_agent_trace"):
        with direct.provider.get_tracer("t").start_as_current_span("odd") as span:
            span.set_attribute(gen_ai.GEN_AI_OPERATION_NAME, ["chat"])  # a list where a string belongs
            span.set_attribute(gen_ai.GEN_AI_INPUT_MESSAGES, "x")
        direct.chat("not json at all " + SECRET)  # content that is not JSON
        direct.chat(
            _messages("fine"), **{gen_ai.GEN_AI_OUTPUT_MESSAGES: ("a", SECRET), gen_ai.GEN_AI_TOOL_DEFINITIONS: 7}
        )
    assert "internal error" not in caplog.text
    events = direct.events()
    assert len(events) == 2  # the two chat spans, not the one with a list as its operation
    assert events[0][gen_ai.GEN_AI_INPUT_MESSAGES].startswith("not json at all [REDACTED")  # kept as text
    assert SECRET not in json.dumps(events, default=str)
    assert events[1][gen_ai.GEN_AI_TOOL_DEFINITIONS] == 7


def test_nested_inference_spans_one_event_for_the_innermost() -> None:
    direct = Direct(ContentMode.SPAN_AND_EVENT)
    tracer = direct.provider.get_tracer("t")
    with tracer.start_as_current_span("chat outer") as outer:
        outer.set_attribute(gen_ai.GEN_AI_OPERATION_NAME, "chat")
        with tracer.start_as_current_span("chain middle"), tracer.start_as_current_span("chat inner") as inner:
            inner.set_attribute(gen_ai.GEN_AI_OPERATION_NAME, "chat")
    with tracer.start_as_current_span("chat alone") as alone:
        alone.set_attribute(gen_ai.GEN_AI_OPERATION_NAME, "chat")
    direct.provider.force_flush()
    emitted = [r.log_record.span_id for r in direct.logs.get_finished_logs()]
    assert emitted == [inner.get_span_context().span_id, alone.get_span_context().span_id]


def test_two_exporters_emit_one_event(tmp_path: Path) -> None:
    direct = Direct(ContentMode.EVENT_ONLY)
    second = InMemorySpanExporter()
    direct.provider.add_span_processor(
        AgentSpanProcessor(
            exporter=second, settings=Settings(capture_content=True, content_mode=ContentMode.EVENT_ONLY)
        )
    )
    direct.chat(_messages("once"))
    assert len(direct.events()) == 1
    assert len(second.get_finished_spans()) == 1
    assert len(_content_events._emitted._seen) <= _content_events._MAX_REMEMBERED


# -- the collector path: OTLP logs through the real rotel collector -------------------------------------------------


class _Sink(http.server.ThreadingHTTPServer):
    """OTLP/HTTP receiver for rotel's exporter: keeps log records, accepts (and drops) other signals."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SinkHandler)
        self.records: list[tuple[dict[str, Any], Any]] = []
        self.cond = threading.Condition()
        self.endpoint = f"http://127.0.0.1:{self.server_address[1]}"
        self.extra_failure_info: Any = None

    def wait(self, n: int, timeout: float = 15.0) -> list[tuple[dict[str, Any], Any]]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.records) < n and time.monotonic() < deadline:
                self.cond.wait(0.1)
            return list(self.records)


class _SinkHandler(http.server.BaseHTTPRequestHandler):
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"
    server: _Sink

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path.startswith("/v1/logs"):
            if self.headers.get("Content-Encoding") == "gzip":
                import gzip

                body = gzip.decompress(body)
            request = ExportLogsServiceRequest()
            request.ParseFromString(body)
            with self.server.cond:
                for rl in request.resource_logs:
                    for sl in rl.scope_logs:
                        for record in sl.log_records:
                            attributes = {kv.key: any_value_to_python(kv.value) for kv in record.attributes}
                            self.server.records.append((attributes, record))
                self.server.cond.notify_all()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
def test_events_reach_the_collector(tmp_path: Path, protocol: str) -> None:
    binary = find_rotel_binary()
    if binary is None:
        pytest.skip("rotel-agent binary not found")
    sink = _Sink()
    threading.Thread(target=sink.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        with RotelCollector(binary, sink, tmp_path) as collector, running_server() as server:  # type: ignore[arg-type]
            endpoint = collector.grpc_endpoint if protocol == "grpc" else collector.http_endpoint
            provider = init(
                "collector-app",
                set_global=False,
                exporters="otlp,file",
                endpoint=endpoint,
                protocol=protocol,
                store_dir=tmp_path / "store",
                instrumentors="none",
                content_mode="EVENT_ONLY",
            )
            inst = OpenAIInstrumentor()
            inst.instrument(tracer_provider=provider)
            try:
                with openai.OpenAI(api_key="sk-test", base_url=server.base_url, max_retries=0) as client:
                    client.chat.completions.create(
                        model="gpt-4o-mini", messages=[{"role": "user", "content": f"my key {SECRET}"}]
                    )
                provider.force_flush()
                event_logger_provider().force_flush()  # type: ignore[attr-defined]
                records = sink.wait(1)
            finally:
                inst.uninstrument()
                provider.shutdown()
                event_logger_provider().shutdown()  # type: ignore[attr-defined]
            assert len(records) == 1, collector.diagnostics()
            attributes, record = records[0]
            assert record.event_name == EVENT
            assert attributes[gen_ai.GEN_AI_REQUEST_MODEL] == "gpt-4o-mini"
            assert len(record.trace_id) == 16 and len(record.span_id) == 8
            assert "[REDACTED" in json.dumps(attributes[gen_ai.GEN_AI_INPUT_MESSAGES], default=str)
            assert SECRET not in str(attributes)
            # the same event went to the file store too, once (two span processors, one event)
            stored = [line for p in (tmp_path / "store").glob("logs-*.ndjson") for line in p.read_text().splitlines()]
            assert len(stored) == 1
            assert record.span_id.hex() in stored[0]
    finally:
        sink.shutdown()
        sink.server_close()


# -- the distro and an existing LoggerProvider (one process each: the global providers are set once) ----------------

APP = """
import logging, openai, sys
from otel_agent_trace import agent_run
logging.basicConfig(level=logging.INFO, format="%(otelTraceID)s %(otelSpanID)s %(otelServiceName)s %(message)s")
with agent_run("zero-code"):
    openai.OpenAI(api_key="sk-test", base_url=sys.argv[1], max_retries=0).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}])
    logging.getLogger("app").info("inside")
logging.getLogger("app").info("outside")
"""


def _instrumented(tmp_path: Path, base_url: str, **env: str) -> subprocess.CompletedProcess[str]:
    app = tmp_path / "app.py"
    app.write_text(APP)
    full = {
        **os.environ,
        "OTEL_PYTHON_DISTRO": "agent_trace",
        "OTEL_PYTHON_CONFIGURATOR": "agent_trace",
        "OTEL_AGENT_TRACE_STORE_DIR": str(tmp_path / "store"),
        "OTEL_SERVICE_NAME": "zero-code-app",
        **env,
    }
    full.pop("PYTEST_CURRENT_TEST", None)
    bindir = Path(sys.executable).parent
    return subprocess.run(
        [str(bindir / "opentelemetry-instrument"), sys.executable, str(app), base_url],
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_distro_event_only_writes_events_and_correlates_logs(tmp_path: Path) -> None:
    with running_server() as server:
        result = _instrumented(
            tmp_path, server.base_url, OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="EVENT_ONLY"
        )
    assert result.returncode == 0, result.stderr
    store = tmp_path / "store"
    logs = "".join(p.read_text() for p in store.glob("logs-*.ndjson"))
    assert EVENT in logs and "hello" in logs
    traces = "".join(p.read_text() for p in store.glob("traces-*.jsonl"))
    assert "gen_ai.input.messages" not in traces and "hello" not in traces
    inside, outside = [line for line in result.stderr.splitlines() if line.endswith(("inside", "outside"))]
    trace_id, span_id, service, _ = inside.split(" ")
    assert len(trace_id) == 32 and trace_id != "0" * 32 and len(span_id) == 16
    assert service == "zero-code-app"
    assert trace_id in traces and span_id in traces
    assert outside.startswith("0 0 zero-code-app")


def test_distro_unknown_mode_warns_and_runs_without_content(tmp_path: Path) -> None:
    with running_server() as server:
        result = _instrumented(tmp_path, server.base_url, OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="EVENTS")
    assert result.returncode == 0, result.stderr
    assert "'EVENTS' is not a content mode" in result.stderr
    assert "no content is captured (NO_CONTENT)" in result.stderr
    store = tmp_path / "store"
    traces = "".join(p.read_text() for p in store.glob("traces-*.jsonl"))
    assert "chat gpt-4o-mini" in traces and "hello" not in traces  # traced, without content
    assert not list(store.glob("logs-*.ndjson"))


def test_existing_sdk_logger_provider_receives_the_events(tmp_path: Path) -> None:
    code = textwrap.dedent(
        """
        import sys, openai
        from opentelemetry._logs import set_logger_provider
        from opentelemetry.sdk._logs import LoggerProvider
        from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
        mine = InMemoryLogRecordExporter()
        provider = LoggerProvider()
        provider.add_log_record_processor(SimpleLogRecordProcessor(mine))
        set_logger_provider(provider)
        import otel_agent_trace
        tp = otel_agent_trace.init("mine", store_dir=sys.argv[2], instrumentors="openai", content_mode="SPAN_AND_EVENT")
        openai.OpenAI(api_key="sk-test", base_url=sys.argv[1], max_retries=0).chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}])
        tp.force_flush()
        print([r.log_record.event_name for r in mine.get_finished_logs()])
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    with running_server() as server:
        result = subprocess.run(
            [sys.executable, "-c", code, server.base_url, str(tmp_path / "store")],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"[{EVENT!r}]"
    assert not list((tmp_path / "store").glob("logs-*.ndjson"))  # nothing of ours added to the user's provider


# -- log correlation in this process -------------------------------------------------------------------------------


def test_log_correlation_ids_and_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    provider = init("corr-app", set_global=False, exporters="none", instrumentors="none")
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    log = logging.getLogger("test.correlation")
    log.addHandler(handler := Keep())
    log.setLevel(logging.INFO)
    try:
        with provider.get_tracer("t").start_as_current_span("work") as span:
            log.info("inside")
        log.info("outside")
        disable_log_correlation()
        monkeypatch.setenv("OTEL_AGENT_TRACE_LOG_CORRELATION", "false")
        init("corr-app", set_global=False, exporters="none", instrumentors="none")
        log.info("switched off")
    finally:
        log.removeHandler(handler)
    inside, outside, off = records
    context = span.get_span_context()
    assert inside.otelTraceID == format(context.trace_id, "032x")  # type: ignore[attr-defined]
    assert inside.otelSpanID == format(context.span_id, "016x")  # type: ignore[attr-defined]
    assert inside.otelTraceSampled is True  # type: ignore[attr-defined]
    assert inside.otelServiceName == "corr-app"  # type: ignore[attr-defined]
    assert (outside.otelTraceID, outside.otelSpanID) == ("0", "0")  # type: ignore[attr-defined]
    assert not hasattr(off, "otelTraceID")


def test_log_correlation_survives_a_hostile_current_span(monkeypatch: pytest.MonkeyPatch) -> None:
    from otel_agent_trace.configuration import _logs

    init("corr-app", set_global=False, exporters="none", instrumentors="none", log_correlation=True)

    def hostile() -> Any:
        raise RuntimeError("context broken")

    monkeypatch.setattr(_logs, "get_current_span", hostile)
    record = logging.getLogger("test.hostile").makeRecord("n", logging.INFO, "f", 1, "msg", (), None)
    assert record.getMessage() == "msg"


# -- bounded exit and flush with the events going to a collector that never answers --------------------------------

_EXIT_SCRIPT = textwrap.dedent(
    """
    import sys
    from opentelemetry import trace
    from otel_agent_trace.configuration import init

    provider = init("exit-events", exporters=sys.argv[1], endpoint=sys.argv[2], instrumentors="none",
                    content_mode="SPAN_AND_EVENT", shutdown_timeout_millis=1000)
    tracer = provider.get_tracer("t")
    for i in range(50):
        with tracer.start_as_current_span(f"chat m{i}") as span:
            span.set_attribute("gen_ai.operation.name", "chat")
            span.set_attribute("gen_ai.input.messages", '[{"role": "user", "parts": []}]')
    print("FLUSHED", provider.force_flush(30000), flush=True)
    """
)


def test_exit_and_flush_bounded_with_events_to_a_hung_collector() -> None:
    exporter = "otlp_http"  # the gRPC log exporter is bounded by the same processor (and runs in the collector test)
    from tests.core.test_exit import HungCollector, _startup_seconds

    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    env["OTEL_METRICS_EXPORTER"] = "none"  # the metrics' own flush bound is tests/core/test_metrics*'s concern
    with HungCollector() as collector:
        started = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-c", _EXIT_SCRIPT, exporter, collector.endpoint],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            check=False,
        )
        elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    assert "FLUSHED False" in proc.stdout, proc.stdout + proc.stderr
    # flush (1 s budget per processor, as the span processors: spans + logs) + exit (1 s budget shared by all)
    # + start-up, with the same margin as tests/core/test_exit.py
    assert elapsed <= _startup_seconds() + 3.0 + 1.5, elapsed


def test_logger_provider_argument_and_otel_logs_exporter_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    mine = InMemoryLogRecordExporter()
    given = LoggerProvider()
    given.add_log_record_processor(SimpleLogRecordProcessor(mine))
    provider = init(
        set_global=False,
        store_dir=tmp_path / "a",
        instrumentors="none",
        content_mode="EVENT_ONLY",
        logger_provider=given,
    )
    with provider.get_tracer("t").start_as_current_span("chat m") as span:
        span.set_attribute(gen_ai.GEN_AI_OPERATION_NAME, "chat")
    provider.force_flush()
    assert [r.log_record.event_name for r in mine.get_finished_logs()] == [EVENT]
    assert not list((tmp_path / "a").glob("logs-*"))  # nothing of ours added to the given provider
    provider.shutdown()

    monkeypatch.setenv("OTEL_LOGS_EXPORTER", "none")
    with caplog.at_level(logging.WARNING, logger="otel_agent_trace"):
        provider = init(set_global=False, store_dir=tmp_path / "b", instrumentors="none", content_mode="EVENT_ONLY")
    assert "OTEL_LOGS_EXPORTER=none" in caplog.text
    with provider.get_tracer("t").start_as_current_span("chat m") as span:
        span.set_attribute(gen_ai.GEN_AI_OPERATION_NAME, "chat")
    provider.shutdown()
    assert list((tmp_path / "b").glob("traces-*")) and not list((tmp_path / "b").glob("logs-*"))

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from otel_agent_trace import agent_run, agent_session, snapshot_state, step, tool_call
from otel_agent_trace._internal import settings as settings_mod
from otel_agent_trace._internal.settings import ConfigurationError
from otel_agent_trace._internal.tracing import set_default_tracer_provider
from otel_agent_trace.cli import main
from otel_agent_trace.configuration import init
from otel_agent_trace.exporters import FileSpanExporter
from otel_agent_trace.model import load_traces
from otel_agent_trace.processor import AgentSpanProcessor
from otel_agent_trace.semconv import agent as A
from tests.collector import RotelCollector


@pytest.fixture(autouse=True)
def _reset():
    yield
    set_default_tracer_provider(None)
    settings_mod.set_settings(None)


def _run_agent() -> None:
    with agent_session("s-42", user_id="alice"), agent_run("shop", agent_id="shop-1"):
        with step("plan"):
            snapshot_state(working_memory={"cart": []}, goal_stack=["buy milk"])
        with tool_call("price", call_id="c1") as call:
            call.set_result({"price": 3})


def test_file_store_writes_collector_format_and_loads_back(tmp_path):
    provider = init("shop-agent", exporters="file", store_dir=tmp_path, instrumentors="none", set_global=False)
    _run_agent()
    provider.shutdown()
    files = list(tmp_path.glob("traces-*.jsonl"))
    assert len(files) == 1
    line = json.loads(files[0].read_text().splitlines()[0])
    span0 = line["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    assert len(span0["traceId"]) == 32
    assert int(span0["traceId"], 16)
    assert len(span0["spanId"]) == 16
    assert isinstance(span0["startTimeUnixNano"], str)  # 64-bit ints are strings in OTLP-JSON
    resource = {a["key"]: a["value"] for a in line["resourceSpans"][0]["resource"]["attributes"]}
    assert resource["service.name"] == {"stringValue": "shop-agent"}
    (trace,) = load_traces(tmp_path)
    names = sorted(s.name for s in trace.spans)
    assert names == ["execute_tool price", "invoke_agent shop", "step plan"]
    for span in trace.spans:
        assert span.attributes[A.SESSION_ID] == "s-42"
        assert span.attributes[A.USER_ID] == "alice"
    root = trace.roots[0]
    assert [c.name for c in trace.children[root.span_id]] == ["step plan", "execute_tool price"]


def test_cli_show_lists_and_prints_tree(tmp_path, capsys):
    provider = init(exporters="file", store_dir=tmp_path, instrumentors="none", set_global=False)
    _run_agent()
    with pytest.raises(ValueError, match="boom"), agent_run("broken"), step("explode"):
        raise ValueError("boom")
    provider.shutdown()
    assert main(["show", "--source", str(tmp_path)]) == 0
    listing = capsys.readouterr().out
    traces = load_traces(tmp_path)
    assert len(traces) == 2
    for t in traces:
        assert t.trace_id in listing
    assert "ERROR" in listing
    assert "invoke_agent shop" in listing
    broken = next(t for t in traces if t.has_error)
    assert main(["show", broken.trace_id[:8], "--source", str(tmp_path)]) == 0
    tree = capsys.readouterr().out.splitlines()
    assert tree[1].startswith("✗ invoke_agent broken")
    assert tree[2].startswith("    ! ValueError: boom") or tree[3].startswith("  ✗ step explode")
    assert any(line.startswith("  ✗ step explode") for line in tree)
    assert main(["show", "ffffffffff", "--source", str(tmp_path)]) == 2
    assert "not found" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    assert main(["show", "--source", str(bad)]) == 2
    assert "bad.jsonl:1: not JSON" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"exporters": "jaeger-thrift"}, "unknown exporter 'jaeger-thrift'"),
        ({"exporters": "otlp", "protocol": "smoke-signals"}, "OTLP protocol 'smoke-signals'"),
        ({"exporters": "otlp", "endpoint": "localhost:4317"}, "must start with http"),
        ({"max_attribute_bytes": -1}, "max_attribute_bytes=-1 must be a positive integer"),
        ({"redact_patterns": ["(unclosed"]}, "invalid regular expression '(unclosed'"),
        ({"instrumentors": ["no-such-lib"]}, "unknown instrumentor(s) agent_no-such-lib"),
    ],
)
def test_invalid_config_gives_clear_error(kwargs, message):
    with pytest.raises(ConfigurationError) as info:
        init(set_global=False, **{"instrumentors": "none", **kwargs})
    assert message in str(info.value)


def test_invalid_env_gives_clear_error(monkeypatch):
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "maybe")
    with pytest.raises(ConfigurationError, match="OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT='maybe'"):
        init(set_global=False, exporters="none", instrumentors="none")


def test_capture_content_env_and_explicit_override(monkeypatch, tmp_path):
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    init(set_global=False, exporters="none", instrumentors="none")
    assert settings_mod.get_settings().capture_content is True
    init(set_global=False, exporters="none", instrumentors="none", capture_content=False)
    assert settings_mod.get_settings().capture_content is False


def test_export_through_real_collector_grpc_and_http(rotel_collector: RotelCollector):
    for exporter, endpoint in (
        ("otlp_grpc", rotel_collector.grpc_endpoint),
        ("otlp_http", rotel_collector.http_endpoint),
    ):
        provider = init(
            f"svc-{exporter}",
            exporters=exporter,
            endpoint=endpoint,
            instrumentors="none",
            set_global=False,
            capture_content=True,
        )
        with agent_session("sess-c"), agent_run("collector-agent"), tool_call("t", call_id="x") as call:
            call.set_result({"token": "sk-ant-abcdefghijklmnopqrstuvwxyz", "value": 7})
        provider.shutdown()
    received = rotel_collector.wait_for_spans(4, timeout=20)
    by_service: dict[str, list] = {}
    for r in received:
        by_service.setdefault(r.resource_attributes["service.name"], []).append(r)
    assert set(by_service) == {"svc-otlp_grpc", "svc-otlp_http"}
    for spans in by_service.values():
        names = {s.name for s in spans}
        assert names == {"invoke_agent collector-agent", "execute_tool t"}
        tool = next(s for s in spans if s.name == "execute_tool t")
        root = next(s for s in spans if s.name != "execute_tool t")
        assert tool.span.parent_span_id == root.span.span_id
        assert tool.attributes[A.SESSION_ID] == "sess-c"
        result = json.loads(tool.attributes["gen_ai.tool.call.result"])
        assert result == {"token": "[REDACTED]", "value": 7}


def test_collector_down_app_unaffected_memory_bounded_and_every_span_counted():
    import socket

    from otel_agent_trace._internal import drops

    drops._reset_for_tests()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here after close: connections are refused
    provider = init(
        exporters="otlp_http",
        endpoint=f"http://127.0.0.1:{port}",
        instrumentors="none",
        set_global=False,
        max_queue_size=64,
    )
    processor = provider._active_span_processor._span_processors[0]
    assert isinstance(processor, AgentSpanProcessor)
    batch = processor.delegate
    high_water = 0
    for i in range(3000):
        with agent_run(f"r{i % 3}"), step("s"):
            pass
        high_water = max(high_water, len(batch._queue))
    assert high_water <= 64
    assert provider.force_flush(timeout_millis=500) is False  # the export failed (or is still failing)
    provider.shutdown()
    counts = drops.dropped_spans()
    assert batch.exported == 0
    assert sum(counts.values()) == batch.dropped == 6000  # 3000 runs x (run span + step span), all counted
    assert counts["queue_full"] > 0


def test_exporter_failure_is_reported_not_raised(tmp_path):
    target = tmp_path / "file-not-dir"
    target.write_text("x")
    exporter = FileSpanExporter(target)  # a file where a directory should be
    provider = TracerProvider()
    provider.add_span_processor(AgentSpanProcessor(SimpleSpanProcessor(exporter)))
    with provider.get_tracer("t").start_as_current_span("s"):
        pass
    assert exporter.export([]).name == "SUCCESS"


def test_opentelemetry_instrument_uses_our_distro(tmp_path):
    app = tmp_path / "app.py"
    app.write_text(
        textwrap.dedent(
            """
            import requests  # noqa: F401  (instrumentors load even when unused)
            from otel_agent_trace import agent_run, step
            with agent_run("cli-agent"):
                with step("only"):
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
        "OTEL_AGENT_TRACE_ENVIRONMENT": "ci",
    }
    bindir = Path(sys.executable).parent
    result = subprocess.run(
        [str(bindir / "opentelemetry-instrument"), sys.executable, str(app)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (trace,) = load_traces(tmp_path / "store")
    assert sorted(s.name for s in trace.spans) == ["invoke_agent cli-agent", "step only"]
    assert all(s.resource["service.name"] == "instrumented-app" for s in trace.spans)
    assert all(s.attributes[A.ENVIRONMENT] == "ci" for s in trace.spans)


def test_import_does_not_load_sdk():
    code = "import sys, otel_agent_trace; print(any(m.startswith('opentelemetry.sdk') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_semconv_table_in_docs_is_current():
    from otel_agent_trace.cli._semconv_table import markdown

    reference = (Path(__file__).parents[2] / "docs" / "semconv.md").read_text()
    assert markdown() in reference


def test_cli_semconv_prints_table(capsys):
    assert main(["semconv"]) == 0
    out = capsys.readouterr().out
    assert "| `agent_trace.step.index` |" in out
    assert "| `gen_ai.tool.call.id` |" in out


def test_console_exporter_builds():
    from otel_agent_trace.exporters import build_exporters

    (exporter,) = build_exporters(["console"])
    assert type(exporter).__name__ == "ConsoleSpanExporter"
    assert io is not None

"""``otel-agent-trace doctor`` in a real subprocess: configuration sources, reachability, store health, exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from otel_agent_trace.rca.corpus import generate_run
from tests.collector import OtlpSink, free_port


def _doctor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_AGENT_TRACE_", "OTEL_EXPORTER_"))}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "otel_agent_trace.cli", "doctor", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
    )


def _store(tmp_path: Path, bad: bool = False) -> Path:
    store = tmp_path / "store"
    store.mkdir()
    lines = [json.dumps(generate_run("pass", seed=s).document) for s in range(3)]
    if bad:
        lines.insert(1, lines[0][:100])  # a torn line, as a crash mid-write leaves
    (store / "traces-2026-01-01.jsonl").write_text("\n".join(lines) + "\n")
    return store


def test_healthy_setup_exits_0_and_says_where_each_value_comes_from(otlp_sink: OtlpSink, tmp_path: Path) -> None:
    store = _store(tmp_path)
    result = _doctor(
        "--store-dir",
        str(store),
        env={"OTEL_AGENT_TRACE_EXPORTER": "file,otlp_http", "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_sink.endpoint},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "file,otlp_http" in out and "[env OTEL_AGENT_TRACE_EXPORTER]" in out
    assert f"{store}" in out and "[argument]" in out
    assert "shutdown_timeout_ms    4000" in out and "[default]" in out
    assert f"127.0.0.1:{otlp_sink.port}: reachable" in out
    assert "exists, writable" in out and "files: 1, good lines: 3, bad lines: 0" in out
    assert out.rstrip().endswith("healthy")


def test_problems_exit_1_and_name_them(tmp_path: Path) -> None:
    store = _store(tmp_path, bad=True)
    port = free_port()  # nothing listens
    result = _doctor(
        "--store-dir",
        str(store),
        "--exporter",
        "file,otlp_grpc",
        "--endpoint",
        f"http://127.0.0.1:{port}",
        env={"OTEL_AGENT_TRACE_SHUTDOWN_TIMEOUT": "soon"},
    )
    assert result.returncode == 1
    out = result.stdout
    assert f"otlp_grpc 127.0.0.1:{port}: UNREACHABLE" in out
    assert "OTEL_AGENT_TRACE_SHUTDOWN_TIMEOUT='soon' is not an integer" in out
    assert "good lines: 3, bad lines: 1" in out
    assert f"{store / 'traces-2026-01-01.jsonl'}:2: not JSON" in out
    assert "2 problem(s)" in out
    assert "Traceback" not in result.stderr


def test_unwritable_store_is_a_problem(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    result = _doctor("--store-dir", str(not_a_dir), "--exporter", "file")
    assert result.returncode == 1
    assert "NOT WRITABLE" in result.stdout and "is not a directory" in result.stdout


def test_content_mode_is_shown_as_a_mode_and_a_bad_one_is_a_problem(tmp_path: Path) -> None:
    store = _store(tmp_path)
    variable = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
    good = _doctor("--store-dir", str(store), "--exporter", "file", env={variable: "event_only"})
    assert good.returncode == 0, good.stdout + good.stderr
    assert "EVENT_ONLY" in good.stdout and f"[env {variable}]" in good.stdout
    assert "log_correlation" in good.stdout
    bad = _doctor("--store-dir", str(store), "--exporter", "file", env={variable: "bogus"})
    assert bad.returncode == 1
    assert "'bogus' is not a content mode" in bad.stdout

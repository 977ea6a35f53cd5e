from __future__ import annotations

import argparse
import inspect
import json
from pathlib import Path
from typing import Any, ClassVar

import pytest

from otel_agent_trace.cli import _rca
from otel_agent_trace.model import Trace
from otel_agent_trace.rca import analyze
from otel_agent_trace.rca.corpus import generate_corpus, generate_run, iter_spectrum_runs, write_jsonl

from ._formats import to_jaeger


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="otel-agent-trace")
    _rca.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["rca", *argv])
    return int(args.func(args))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store")
    write_jsonl(generate_corpus(runs_per_category=1, passing=2, seed=3), str(path / "traces.jsonl"))
    return path


def test_text_report_names_the_root_cause_first(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = generate_run("bad_decision", seed=9)
    write_jsonl([run], str(store / "one.jsonl"))
    assert run_cli([run.trace_id[:10], "--source", str(store)]) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert first.startswith("ROOT CAUSE") and run.root_cause_span_id in first
    assert "decision choose_shipping" in first and "[decision]" in first
    assert "why:" in out.splitlines()[1]


def test_json_and_html(store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = generate_run("timeout", seed=1)
    write_jsonl([run], str(store / "timeout.jsonl"))
    assert run_cli([run.trace_id, "--source", str(store), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["root_cause"]["span_id"] == run.root_cause_span_id
    out = tmp_path / "report.html"
    assert run_cli([run.trace_id, "--source", str(store), "--format", "html", "-o", str(out)]) == 0
    assert "class='bar root'" in out.read_text()


def test_default_source_is_the_store_env(
    store: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OTEL_AGENT_TRACE_STORE_DIR", str(store))
    run = generate_run("subagent_failure", seed=2)
    write_jsonl([run], str(store / "sub.jsonl"))
    assert run_cli([run.trace_id]) == 0
    assert run.root_cause_span_id in capsys.readouterr().out.splitlines()[0]


def test_single_trace_file_needs_no_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = generate_run("swallowed_exception", seed=4)
    path = tmp_path / "jaeger.json"
    path.write_text(json.dumps(to_jaeger(run.document)))
    assert run_cli(["--source", str(path)]) == 0
    assert run.root_cause_span_id in capsys.readouterr().out.splitlines()[0]


def test_errors_exit_2_with_a_message(store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["--source", str(store)]) == 2
    assert "name one with TRACE_ID" in capsys.readouterr().err
    assert run_cli(["deadbeefdead", "--source", str(store)]) == 2
    assert "not found" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"resourceSpans": []}\n{oops\n')
    assert run_cli(["abc", "--source", str(bad)]) == 2  # the torn line is skipped and said so; abc is not there
    err = capsys.readouterr().err
    assert "skipped 1 bad line" in err and "bad.jsonl:2" in err and "trace abc not found" in err
    bad.write_text("{oops\n")
    assert run_cli(["abc", "--source", str(bad)]) == 2
    assert "bad.jsonl:1: not JSON" in capsys.readouterr().err


def test_spectrum(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = iter_spectrum_runs(120, seed=5, failing_share=0.3, categories=("bad_decision",))
    write_jsonl(runs, str(tmp_path / "runs.jsonl"))
    assert run_cli(["--spectrum", "--source", str(tmp_path), "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "Spectrum analysis over 120 runs" in out
    assert "decision:choose_shipping=drone" in "\n".join(out.splitlines()[2:4])
    assert run_cli(["--spectrum", "--source", str(tmp_path), "--format", "json", "--formula", "dstar"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ranked_by"] == "dstar" and data["elements"][0]["element"].endswith("=drone")
    assert run_cli(["--spectrum", "--source", str(tmp_path), "--format", "html"]) == 2


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A real demo store (3 passing runs, 1 failing) written by the demo agent through the SDK and file exporter."""
    pytest.importorskip("openai")
    from otel_agent_trace.demo import run_demo

    result = run_demo(tmp_path_factory.mktemp("demo"))
    assert result.report.root_cause is not None
    return result.store_dir, result.trace.trace_id, result.report.root_cause.name


def test_cli_and_demo_agree_on_the_demo_store(demo_store, capsys: pytest.CaptureFixture[str]) -> None:
    store, trace_id, demo_answer = demo_store
    assert demo_answer == "execute_tool get_exchange_rate"
    outputs = []
    for _ in range(3):  # every answer is stable across runs
        assert run_cli([trace_id[:12], "--source", str(store)]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1] == outputs[2]
    first = outputs[0].splitlines()[0]
    assert first.startswith("ROOT CAUSE") and demo_answer in first
    assert "Baseline: 3 passing runs of invoke_agent hotel-booker (service hotel-booker-demo)" in outputs[0]


def test_no_baseline_turns_it_off_and_json_says_which(demo_store, capsys: pytest.CaptureFixture[str]) -> None:
    store, trace_id, _ = demo_store
    assert run_cli([trace_id, "--source", str(store), "--no-baseline"]) == 0
    assert "Baseline: off (--no-baseline)" in capsys.readouterr().out
    assert run_cli([trace_id, "--source", str(store), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["baseline_runs"] == 3 and data["baseline"].startswith("3 passing runs of invoke_agent hotel-booker")
    assert run_cli([trace_id, "--source", str(store), "--baseline-runs", "2"]) == 0
    assert "Baseline: 2 passing runs of invoke_agent hotel-booker" in capsys.readouterr().out
    assert run_cli([trace_id, "--source", str(store), "--baseline-runs", "1"]) == 0
    assert "none: only 1 passing run of invoke_agent hotel-booker" in capsys.readouterr().out


def test_baseline_only_from_the_same_agent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from otel_agent_trace.cli._baseline import agent_key, passing_runs
    from otel_agent_trace.model import load_traces

    write_jsonl(generate_corpus(runs_per_category=1, passing=4, seed=3), str(tmp_path / "a.jsonl"))
    traces = load_traces(tmp_path)
    failing = next(t for t in traces if t.has_error)
    passing = passing_runs(failing, traces)
    assert len(passing) == 4 and all(agent_key(t) == agent_key(failing) for t in passing)
    assert [t.trace_id for t in passing] == [t.trace_id for t in passing_runs(failing, list(reversed(traces)))]
    assert passing_runs(failing, traces, limit=2) == passing[-2:]
    from dataclasses import replace

    other = [Trace(t.trace_id, tuple(replace(s, resource={"service.name": "other"}) for s in t.spans)) for t in passing]
    assert passing_runs(failing, other) == []


_TAKES = set(inspect.signature(analyze).parameters)
needs_failed = pytest.mark.skipif(not {"failed", "expected", "reason"} <= _TAKES, reason="analyze() takes no failed=")
needs_judge = pytest.mark.skipif("judge" not in _TAKES, reason="analyze() takes no judge= yet")


@needs_failed
def test_failed_marks_a_run_that_raised_nothing(demo_store, capsys: pytest.CaptureFixture[str]) -> None:
    store, _, _ = demo_store
    from otel_agent_trace.model import load_traces

    passing = next(t for t in load_traces(store) if not t.has_error)
    assert run_cli([passing.trace_id, "--source", str(store)]) == 0
    assert "no failure found" in capsys.readouterr().out
    assert (
        run_cli([passing.trace_id, "--source", str(store), "--failed", "--reason", "wrong hotel", "--expected", "X"])
        == 0
    )
    out = capsys.readouterr().out
    assert out.startswith("ROOT CAUSE")
    assert "wrong hotel" in out


@needs_judge
def test_judge_from_the_cli_is_marked_and_a_dead_judge_is_a_note(
    demo_store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from http.server import ThreadingHTTPServer

    from tests.instrumentation._servers import serving
    from tests.rca.test_judge import ChatServer

    store, trace_id, _ = demo_store
    monkeypatch.setenv("OTEL_AGENT_TRACE_JUDGE_API_KEY", "k")

    class Handler(ChatServer):
        requests: ClassVar[list[dict[str, Any]]] = []
        headers_seen: ClassVar[list[dict[str, str]]] = []
        reply: ClassVar[Any] = '{"ranking": ["C2"], "rationale": "the conversion is where it went wrong"}'

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with serving(server):
        url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        assert run_cli([trace_id, "--source", str(store), "--judge-model", "jm", "--judge-base-url", url]) == 0
    out = capsys.readouterr().out
    assert len(Handler.requests) == 1
    assert "Judge:    used (jm)" in out and "the conversion is where it went wrong" in out
    assert run_cli([trace_id, "--source", str(store), "--judge-model", "jm", "--judge-base-url", url]) == 0
    out = capsys.readouterr().out  # the server is gone: the report comes without the judge, and says so
    assert out.startswith("ROOT CAUSE") and "Judge:    not used (jm)" in out


def test_same_answer_in_separate_processes_with_different_hash_seeds(demo_store) -> None:
    import os
    import subprocess
    import sys

    store, trace_id, _ = demo_store
    outputs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        command = [sys.executable, "-m", "otel_agent_trace.cli", "rca", trace_id, "--source", str(store)]
        done = subprocess.run([*command, "--format", "json"], capture_output=True, text=True, env=env, check=True)
        outputs.add(done.stdout)
    assert len(outputs) == 1

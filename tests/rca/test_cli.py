from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from otel_agent_trace.cli import _rca
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
    assert "rootcause" in out.read_text()


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
    assert run_cli(["abc", "--source", str(bad)]) == 2
    assert "bad.jsonl:2: not JSON" in capsys.readouterr().err


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

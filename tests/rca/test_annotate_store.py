"""``rca --annotate FILE`` and ``--annotate-store`` on a real demo store (written by the SDK and our file exporter).

The store's own file is never rewritten (its bytes are compared); the annotated copy sits next to it, our readers
prefer it, and a second analysis of the annotated store gives the same report as the first.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from otel_agent_trace.cli import main
from otel_agent_trace.demo import run_demo
from otel_agent_trace.model import load_any
from otel_agent_trace.model.loaders import ANNOTATION_SUFFIX
from otel_agent_trace.semconv import rca as R


@pytest.fixture
def store(tmp_path: Path) -> tuple[Path, str]:
    result = run_demo(tmp_path / "store")
    return result.store_dir, result.trace.trace_id


def _digests(store: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in store.iterdir() if p.is_file()}


def test_annotate_store_writes_a_new_file_and_readers_prefer_it(
    store: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory, trace_id = store
    before = _digests(directory)
    (original,) = (name for name in before if name.endswith(".jsonl"))  # the traces file (metrics may sit beside)
    assert main(["rca", trace_id, "--source", str(directory), "--format", "json"]) == 0
    first = json.loads(capsys.readouterr().out)
    out = tmp_path / "run.jaeger.json"
    argv = ["rca", trace_id, "--source", str(directory), "--format", "json", "--annotate", str(out)]
    assert main([*argv, "--annotate-store"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == first  # the report itself is unchanged by the options
    annotation = directory / f"{original.split('.')[0]}.{trace_id}{ANNOTATION_SUFFIX}"
    assert str(annotation) in captured.err and str(out) in captured.err
    after = _digests(directory)
    assert {k: v for k, v in after.items() if k in before} == before  # the original files are untouched
    assert set(after) - set(before) == {annotation.name}  # and no temporary file is left behind

    traces = load_any(directory)
    assert len(traces) == 4  # the copy replaces the run's spans, it adds no run
    failing = next(t for t in traces if t.trace_id == trace_id)
    marked = [s for s in failing.spans if s.attributes.get(R.RCA_ROOT_CAUSE) is True]
    assert [s.span_id for s in marked] == [first["root_cause"]["span_id"]]
    assert any(e.name == R.RCA_VERDICT_EVENT for e in marked[0].events)
    (exported,) = load_any(out)  # the --annotate FILE is the same annotated run, as Jaeger JSON
    assert {s.span_id: dict(s.attributes).get(R.RCA_RANK) for s in exported.spans} == {
        s.span_id: dict(s.attributes).get(R.RCA_RANK) for s in failing.spans
    }

    assert main(["rca", trace_id, "--source", str(directory), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == first  # the analysis does not read its own verdict
    assert main([*argv, "--annotate-store"]) == 0  # annotating again replaces the copy whole
    capsys.readouterr()
    assert _digests(directory) == after
    assert main(["export", "--source", str(directory), "--annotate", "-o", str(tmp_path / "all.json")]) == 0
    data = json.loads((tmp_path / "all.json").read_text(encoding="utf-8"))["data"]
    tags = [t for entry in data for s in entry["spans"] for t in s["tags"] if t["key"] == R.RCA_ROOT_CAUSE]
    assert len(data) == 4 and len(tags) == 1  # one root cause, not one per copy


def test_annotation_errors_exit_2_and_a_url_is_no_store(
    store: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    from otel_agent_trace.model import TraceFormatError
    from otel_agent_trace.model.writers import write_annotated

    directory, trace_id = store
    trace = next(t for t in load_any(directory) if t.trace_id == trace_id)
    with pytest.raises(TraceFormatError, match="only a local store"):
        write_annotated(trace, "http://jaeger:16686")
    empty = directory.parent / "empty"
    empty.mkdir()
    with pytest.raises(TraceFormatError, match="no stored file holds"):
        write_annotated(trace, empty)
    path = directory / "run.jaeger.json"
    assert main(["export", trace_id, "--source", str(directory), "-o", str(path)]) == 0
    capsys.readouterr()
    assert main(["rca", trace_id, "--source", str(path), "--annotate", str(directory / "no" / "x.json")]) == 2
    assert "cannot write" in capsys.readouterr().err

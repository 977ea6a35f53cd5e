"""Export (``model.writers``, ``otel-agent-trace export``), the RCA annotation and the Jaeger v2 reader.

Round trips go through our own readers; the demo store shows the annotated root cause and the errors as a Jaeger
user would see them (``error=true`` tags, the verdict event, one trace per run, services from the resource).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from otel_agent_trace.cli import main
from otel_agent_trace.demo import run_demo
from otel_agent_trace.model import Trace, detect_format, group_traces, load_any, spans_from_otlp
from otel_agent_trace.model.writers import to_jaeger_json, to_otlp_json
from otel_agent_trace.rca import analyze
from otel_agent_trace.rca.annotate import annotate, verdict_line
from otel_agent_trace.rca.corpus import generate_run
from otel_agent_trace.semconv import rca as R


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("demo_store")
    run_demo(str(store))
    return store


def _corpus_trace() -> Trace:
    return group_traces(spans_from_otlp(generate_run("bad_decision", seed=5).document))[0]


def test_otlp_json_round_trips_exactly() -> None:
    trace = _corpus_trace()
    (back,) = group_traces(spans_from_otlp(to_otlp_json([trace])))
    assert back == trace


def test_jaeger_json_round_trips_through_our_reader(tmp_path: Path) -> None:
    trace = _corpus_trace()
    document = to_jaeger_json([trace])
    assert detect_format(document) == "jaeger"
    path = tmp_path / "t.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    (back,) = load_any(path)
    assert back.trace_id == trace.trace_id
    by_id = back.by_id
    for span in trace.spans:
        got = by_id[span.span_id]
        assert (got.name, got.parent_span_id, got.status_code, got.kind) == (
            span.name,
            span.parent_span_id,
            span.status_code,
            span.kind,
        )
        assert got.start_ns == span.start_ns // 1000 * 1000  # Jaeger keeps microseconds
        assert [e.name for e in got.events] == [e.name for e in span.events]
        assert got.resource == span.resource and got.scope == span.scope
        scalars = {k: v for k, v in span.attributes.items() if not isinstance(v, tuple)}
        assert {k: got.attributes[k] for k in scalars} == scalars
        for key, value in span.attributes.items():
            if isinstance(value, tuple):  # Jaeger tags are scalars: lists travel as their JSON text
                assert json.loads(got.attributes[key]) == list(value)


def test_jaeger_v2_api_v3_answer_is_read() -> None:
    trace = _corpus_trace()
    document = {"result": to_otlp_json([trace])}
    assert detect_format(document) == "jaeger_v3"
    (back,) = group_traces(spans_from_otlp(document["result"]))
    assert back == trace


def test_annotate_marks_the_root_cause_and_keeps_everything_else(demo_store: Path) -> None:
    traces = load_any(demo_store)
    failing = next(t for t in traces if t.has_error)
    report = analyze(failing)
    annotated = annotate(failing, report)
    assert report.root_cause is not None
    marked = [s for s in annotated.spans if s.attributes.get(R.RCA_ROOT_CAUSE) is True]
    assert [s.name for s in marked] == ["execute_tool get_exchange_rate"]
    root = marked[0]
    assert root.attributes[R.RCA_RANK] == 1
    assert 0 < root.attributes[R.RCA_BLAME] <= 1
    assert root.attributes[R.RCA_AGENT] == "hotel-booker"
    assert any("1.73" in line for line in root.attributes[R.RCA_EVIDENCE])
    assert [e.attributes[R.RCA_SUMMARY] for e in root.events if e.name == R.RCA_VERDICT_EVENT] == [verdict_line(report)]
    failure = annotated.by_id[report.failure_span_id or ""]
    assert failure.attributes[R.RCA_FAILURE] is True
    shares = [s.attributes[R.RCA_BLAME] for s in annotated.spans if R.RCA_BLAME in s.attributes]
    assert abs(sum(shares) - 1) < 1e-3
    original = failing.by_id
    for span in annotated.spans:  # only agent_trace.rca.* added; nothing else changed
        before = original[span.span_id]
        assert {k: v for k, v in span.attributes.items() if not k.startswith("agent_trace.rca.")} == dict(
            before.attributes
        )
        assert span.events[: len(before.events)] == before.events
    with pytest.raises(ValueError, match="not"):
        annotate(traces[0] if traces[0].trace_id != failing.trace_id else traces[1], report)


def test_cli_export_annotated_jaeger_file_of_the_demo(
    demo_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo.jaeger.json"
    assert main(["export", "--source", str(demo_store), "--annotate", "-o", str(out)]) == 0
    assert "wrote 4 traces" in capsys.readouterr().err
    document = json.loads(out.read_text(encoding="utf-8"))
    assert len(document["data"]) == 4  # one entry per run, not one merged trace
    failing = [t for t in document["data"] if any(_tags(s).get("error") is True for s in t["spans"])]
    assert len(failing) == 1
    spans = {s["operationName"]: _tags(s) for s in failing[0]["spans"]}
    assert spans["execute_tool get_exchange_rate"][R.RCA_ROOT_CAUSE] is True
    assert spans["step compose_answer"]["error"] is True
    assert spans["step compose_answer"]["otel.status_code"] == "ERROR"
    services = {p["serviceName"] for t in document["data"] for p in t["processes"].values()}
    assert services and "shop-agent" not in services  # from the resource, not a constant
    passing = [t for t in document["data"] if t is not failing[0]]
    assert not any(R.RCA_RANK in _tags(s) for t in passing for s in t["spans"])  # passing runs left as they are


def test_cli_export_otlp_of_one_trace_and_errors(
    demo_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = load_any(demo_store)[0]
    assert main(["export", trace.trace_id[:12], "--source", str(demo_store), "--format", "otlp"]) == 0
    document = json.loads(capsys.readouterr().out)
    (back,) = group_traces(spans_from_otlp(document))
    assert back == trace
    assert main(["export", "ffffffffffff", "--source", str(demo_store)]) == 2
    assert "export:" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["export", "--source", str(empty)]) == 2


def _tags(span: dict[str, object]) -> dict[str, object]:
    return {t["key"]: t["value"] for t in span["tags"]}  # type: ignore[attr-defined]

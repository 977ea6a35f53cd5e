from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from otel_agent_trace.model import TraceFormatError, detect_format, load_any
from otel_agent_trace.rca import analyze
from otel_agent_trace.rca.corpus import generate_run

from ._formats import to_jaeger, to_tempo
from .conftest import trace_of


@pytest.fixture(scope="module")
def run():  # type: ignore[no-untyped-def]
    return generate_run("bad_decision", seed=5)


def _write(tmp_path: Path, name: str, doc: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_local_store_directory_of_jsonl(tmp_path: Path) -> None:
    runs = [generate_run("pass", seed=s) for s in range(3)]
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.jsonl").write_text("\n".join(json.dumps(r.document) for r in runs) + "\n")
    traces = load_any(tmp_path)
    assert sorted(t.trace_id for t in traces) == sorted(r.trace_id for r in runs)
    assert load_any(tmp_path, trace_id=runs[1].trace_id[:8])[0].trace_id == runs[1].trace_id


@pytest.mark.parametrize("fmt", ["otlp", "jaeger", "tempo", "tempo_v2"])
def test_every_format_gives_the_same_trace_and_root_cause(tmp_path: Path, run, fmt: str) -> None:  # type: ignore[no-untyped-def]
    doc = {
        "otlp": run.document,
        "jaeger": to_jaeger(run.document),
        "tempo": to_tempo(run.document),
        "tempo_v2": to_tempo(run.document, v2=True),
    }[fmt]
    assert detect_format(doc) == fmt.removesuffix("_v2")
    (trace,) = load_any(_write(tmp_path, "t.json", doc))
    expected = trace_of(run)
    assert trace.trace_id == run.trace_id
    assert {s.span_id for s in trace.spans} == {s.span_id for s in expected.spans}
    assert [s.span_id for s in trace.spans if s.is_error] == [s.span_id for s in expected.spans if s.is_error]
    by_id = trace.by_id
    for span in expected.spans:
        got = by_id[span.span_id]
        assert got.parent_span_id == span.parent_span_id
        assert got.name == span.name
        assert abs(got.start_ns - span.start_ns) < 1000
        assert [e.name for e in got.events] == [e.name for e in span.events]
    report = analyze(trace)
    assert report.root_cause is not None
    assert report.root_cause.span_id == run.root_cause_span_id


def test_openinference_spans_are_mapped(tmp_path: Path) -> None:
    def span(span_id: str, parent: str | None, name: str, attrs: dict[str, str], error: bool = False) -> dict:
        out = {
            "traceId": "ab" * 16,
            "spanId": span_id,
            "name": name,
            "kind": 1,
            "startTimeUnixNano": str(int(span_id, 16) * 1000),
            "endTimeUnixNano": str(int(span_id, 16) * 1000 + 500),
            "attributes": [{"key": k, "value": {"stringValue": v}} for k, v in attrs.items()],
        }
        if parent:
            out["parentSpanId"] = parent
        if error:
            out["status"] = {"code": 2, "message": "ValueError: price -7 is negative"}
        return out

    spans = [
        span("0000000000000001", None, "agent", {"openinference.span.kind": "AGENT"}, error=True),
        span(
            "0000000000000002",
            "0000000000000001",
            "get_price",
            {
                "openinference.span.kind": "TOOL",
                "tool.name": "get_price",
                "input.value": '{"sku": "A-1"}',
                "output.value": '{"price": -7}',
            },
        ),
        span(
            "0000000000000003",
            "0000000000000001",
            "ChatOpenAI",
            {
                "openinference.span.kind": "LLM",
                "llm.model_name": "gpt-4o",
                "llm.input_messages.0.message.role": "user",
                "llm.input_messages.0.message.content": "price is -7",
                "llm.output_messages.0.message.content": "checkout -7",
            },
            error=True,
        ),
    ]
    doc = {"resourceSpans": [{"resource": {}, "scopeSpans": [{"scope": {"name": "openinference"}, "spans": spans}]}]}
    (trace,) = load_any(_write(tmp_path, "oi.json", doc))
    tool = trace.by_id["0000000000000002"]
    assert tool.attributes["gen_ai.operation.name"] == "execute_tool"
    assert tool.attributes["gen_ai.tool.name"] == "get_price"
    assert json.loads(tool.attributes["gen_ai.tool.call.result"]) == {"price": -7}
    llm = trace.by_id["0000000000000003"]
    assert llm.attributes["gen_ai.request.model"] == "gpt-4o"
    assert json.loads(llm.attributes["gen_ai.input.messages"])[0]["content"] == "price is -7"
    assert trace.by_id["0000000000000001"].attributes["gen_ai.operation.name"] == "invoke_agent"
    report = analyze(trace)
    assert report.root_cause is not None and report.root_cause.span_id == "0000000000000002"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        ('{"foo": 1}', "found keys: foo"),
        ("[1, 2]", "expected a JSON object"),
        ('{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "x"}]}]}]}', "malformed span 'x'"),
        ('{"resourceSpans": [7]}', r"resourceSpans\[0\] must be an object"),
        ('{"data": [{"spans": [{"spanID": "1"}]}]}', "lacks traceID, startTime"),
        ('{"data": [{"spans": [{"traceID": "1", "spanID": "2", "startTime": "soon"}]}]}', "must be integers"),
        ('{"batches": 3}', "not a trace"),
    ],
)
def test_malformed_input_names_the_problem(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(TraceFormatError, match=message) as info:
        load_any(path)
    assert str(path) in str(info.value)


def test_missing_and_binary_sources(tmp_path: Path) -> None:
    with pytest.raises(TraceFormatError, match="no such file"):
        load_any(tmp_path / "missing")
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(TraceFormatError, match="not UTF-8"):
        load_any(tmp_path / "bin.json")
    with pytest.raises(TraceFormatError, match="not found"):
        load_any(_write(tmp_path, "ok.json", generate_run("pass", seed=1).document), trace_id="ffffffff")


class _Handler(http.server.BaseHTTPRequestHandler):
    disable_nagle_algorithm = True
    routes: ClassVar[dict[str, bytes]] = {}

    def do_GET(self) -> None:
        body = self.routes.get(self.path)
        if body is None:
            self.send_error(404, "trace not found")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server(run) -> Iterator[str]:  # type: ignore[no-untyped-def]
    _Handler.routes = {
        f"/jaeger/api/traces/{run.trace_id}": json.dumps(to_jaeger(run.document)).encode(),
        f"/tempo/api/traces/{run.trace_id}": json.dumps(to_tempo(run.document)).encode(),
        "/garbage/api/traces/x": b"<html>oops</html>",
    }
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("backend", ["jaeger", "tempo"])
def test_url_sources(server: str, run, backend: str) -> None:  # type: ignore[no-untyped-def]
    (trace,) = load_any(f"{server}/{backend}/api/traces/{run.trace_id}")
    assert trace.trace_id == run.trace_id
    assert len(trace.spans) == len(trace_of(run).spans)


def test_url_errors(server: str) -> None:
    with pytest.raises(TraceFormatError, match="HTTP 404"):
        load_any(f"{server}/jaeger/api/traces/0000")
    with pytest.raises(TraceFormatError, match="not JSON"):
        load_any(f"{server}/garbage/api/traces/x")
    with pytest.raises(TraceFormatError, match="cannot fetch"):
        load_any("http://127.0.0.1:9/api/traces/1", timeout=2)


def test_cli_reads_a_jaeger_base_url(server: str, run, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    from .test_cli import run_cli

    assert run_cli([run.trace_id, "--source", f"{server}/jaeger"]) == 0
    assert run.root_cause_span_id in capsys.readouterr().out.splitlines()[0]
    assert run_cli([run.trace_id, "--source", f"{server}/tempo/api/traces/{{trace_id}}", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["root_cause"]["span_id"] == run.root_cause_span_id

"""One set of readers for `show`, `rca` and `export`: every file format, live Jaeger/Tempo servers, span links.

The live servers are stdlib HTTP servers on loopback that answer like the real APIs: Jaeger v2 serves
``/api/v3/traces/{id}`` (``{"result": <OTLP-JSON>}``, hex ids, numeric kinds, as Jaeger's own GetTrace snapshot) and
its UI's ``/api/traces/{id}``; Jaeger v1 only ``/api/traces/{id}``; Tempo ``/api/v2/traces/{id}`` (``{"trace": ...}``
with base64 ids and enum names) and ``/api/traces/{id}`` (``batches``). Unknown paths answer 404, as theirs do.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from otel_agent_trace.cli import main
from otel_agent_trace.model import TraceFormatError, group_traces, load_any, spans_from_otlp, trace_urls
from otel_agent_trace.model.writers import to_jaeger_json, to_otlp_json
from otel_agent_trace.rca.corpus import generate_run

from ._formats import to_tempo

FORMATS = ("otlp", "jaeger", "jaeger_v3", "tempo", "tempo_v2", "openinference")


@pytest.fixture(scope="module")
def run():  # type: ignore[no-untyped-def]
    return generate_run("bad_decision", seed=5)


def _openinference(document: dict[str, Any]) -> dict[str, Any]:
    """The run as an OpenInference instrumentor writes it: only ``openinference.span.kind`` and its own keys."""
    out: dict[str, Any] = json.loads(json.dumps(document))
    for rs in out["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for span in ss["spans"]:
                attrs = {a["key"]: a["value"] for a in span.get("attributes", [])}
                op = attrs.get("gen_ai.operation.name", {}).get("stringValue", "")
                kind = {"execute_tool": "TOOL", "chat": "LLM", "invoke_agent": "AGENT"}.get(op, "CHAIN")
                keep = [a for a in span.get("attributes", []) if not a["key"].startswith(("gen_ai.", "agent_trace."))]
                keep.append({"key": "openinference.span.kind", "value": {"stringValue": kind}})
                span["attributes"] = keep
    return out


def document_in(fmt: str, otlp: dict[str, Any]) -> dict[str, Any]:
    """The same spans as each backend or tool answers them."""
    if fmt == "jaeger":
        return to_jaeger_json(group_traces(spans_from_otlp(otlp)))
    if fmt == "jaeger_v3":
        return {"result": otlp}
    if fmt == "tempo":
        return to_tempo(otlp)
    if fmt == "tempo_v2":
        return to_tempo(otlp, v2=True)
    if fmt == "openinference":
        return _openinference(otlp)
    return otlp


@pytest.mark.parametrize("fmt", FORMATS)
def test_show_and_rca_read_every_format(  # type: ignore[no-untyped-def]
    tmp_path: Path, run, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / f"{fmt}.json"
    path.write_text(json.dumps(document_in(fmt, run.document)), encoding="utf-8")
    assert main(["show", "--source", str(path)]) == 0
    listing = capsys.readouterr().out
    assert run.trace_id in listing and "ERROR" in listing
    assert main(["show", run.trace_id[:10], "--source", str(path)]) == 0
    tree = capsys.readouterr().out
    assert tree.startswith(f"trace {run.trace_id}") and "✗" in tree
    assert main(["rca", run.trace_id, "--source", str(path), "--format", "json", "--no-baseline"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["trace_id"] == run.trace_id and report["root_cause"] is not None
    if fmt != "openinference":  # our own attributes travel in every backend format: the same verdict
        assert report["root_cause"]["span_id"] == run.root_cause_span_id


def _sdk_trace_with_links() -> tuple[dict[str, Any], str, str]:
    """OTLP-JSON written by the real SDK and our encoder: a run whose root and a child link to another trace."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import Link, SpanKind

    from otel_agent_trace.exporters.otlp_json import spans_to_otlp_json

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("links-test")
    with tracer.start_as_current_span("producer", kind=SpanKind.PRODUCER) as producer:
        origin = producer.get_span_context()
    with (
        tracer.start_as_current_span("consumer", kind=SpanKind.CONSUMER, links=[Link(origin, {"n": 1})]),
        tracer.start_as_current_span(
            "child", kind=SpanKind.CLIENT, links=[Link(origin, {"opentracing.ref_type": "child_of"})]
        ) as child,
    ):
        child.add_event("retry", {"attempt": 2})
    provider.shutdown()
    return spans_to_otlp_json(exporter.get_finished_spans()), f"{origin.trace_id:032x}", f"{origin.span_id:016x}"


def test_links_kinds_and_events_survive_otlp_and_jaeger(tmp_path: Path) -> None:
    document, origin_trace, origin_span = _sdk_trace_with_links()
    path = tmp_path / "links.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    producer_run, consumer_run = load_any(path)
    consumer = next(s for s in consumer_run.spans if s.name == "consumer")
    child = next(s for s in consumer_run.spans if s.name == "child")
    assert [(lk.trace_id, lk.span_id, dict(lk.attributes)) for lk in consumer.links] == [
        (origin_trace, origin_span, {"n": 1})
    ]
    assert (consumer.kind, child.kind, producer_run.spans[0].kind) == ("CONSUMER", "CLIENT", "PRODUCER")

    (otlp_back,) = group_traces(spans_from_otlp(to_otlp_json([consumer_run])))
    assert otlp_back == consumer_run  # OTLP keeps links whole

    jaeger = to_jaeger_json([consumer_run])
    spans = {s["operationName"]: s for s in jaeger["data"][0]["spans"]}
    assert spans["consumer"]["references"] == [
        {"refType": "FOLLOWS_FROM", "traceID": origin_trace, "spanID": origin_span}
    ]
    assert spans["child"]["references"] == [
        {"refType": "CHILD_OF", "traceID": consumer_run.trace_id, "spanID": consumer.span_id},
        {"refType": "CHILD_OF", "traceID": origin_trace, "spanID": origin_span},
    ]
    assert {"key": "span.kind", "type": "string", "value": "consumer"} in spans["consumer"]["tags"]
    assert spans["child"]["logs"][0]["fields"][:2] == [
        {"key": "event", "type": "string", "value": "retry"},
        {"key": "attempt", "type": "int64", "value": 2},
    ]
    assert jaeger["data"][0]["processes"]["p1"]["serviceName"] == consumer.resource["service.name"]
    path.write_text(json.dumps(jaeger), encoding="utf-8")
    (back,) = load_any(path)
    got = back.by_id
    assert got[child.span_id].parent_span_id == consumer.span_id  # the parent is not mistaken for a link
    assert [(lk.trace_id, lk.span_id, lk.attributes["opentracing.ref_type"]) for lk in got[child.span_id].links] == [
        (origin_trace, origin_span, "child_of")
    ]
    assert [(lk.trace_id, lk.span_id) for lk in got[consumer.span_id].links] == [(origin_trace, origin_span)]
    assert got[consumer.span_id].links[0].attributes == {"opentracing.ref_type": "follows_from"}


class _Backend(http.server.BaseHTTPRequestHandler):
    """Answers like Jaeger v2, Jaeger v1 and Tempo under /jaeger2, /jaeger1 and /tempo (see the module doc).

    /jaeger1 answers its /api/v3 path with a UI page (status 200, not a trace), which must be skipped too.
    """

    disable_nagle_algorithm = True
    routes: ClassVar[dict[str, bytes]] = {}
    seen: ClassVar[list[str]] = []
    hold: ClassVar[threading.Event] = threading.Event()

    def do_GET(self) -> None:
        self.seen.append(self.path)
        if self.path.startswith("/slow/"):
            self.hold.wait(10)
        body = self.routes.get(self.path)
        if body is None:
            self.send_error(404, "404 page not found")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def backends(run) -> Iterator[str]:  # type: ignore[no-untyped-def]
    tid = run.trace_id
    jaeger_v1 = json.dumps(to_jaeger_json(group_traces(spans_from_otlp(run.document)))).encode()
    _Backend.routes = {
        f"/jaeger2/api/v3/traces/{tid}": json.dumps({"result": run.document}).encode(),
        f"/jaeger2/api/traces/{tid}": jaeger_v1,
        f"/jaeger1/api/traces/{tid}": jaeger_v1,
        f"/jaeger1/api/v3/traces/{tid}": b"<!doctype html><title>Jaeger UI</title>",  # a UI page, not a trace
        f"/tempo/api/v2/traces/{tid}": json.dumps(to_tempo(run.document, v2=True)).encode(),
        f"/tempo/api/traces/{tid}": json.dumps(to_tempo(run.document)).encode(),
    }
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Backend)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    _Backend.hold.set()
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize(
    ("backend", "answered_by"),
    [("jaeger2", "/api/v3/traces/"), ("jaeger1", "/api/traces/"), ("tempo", "/api/v2/traces/")],
)
def test_show_rca_export_fetch_by_trace_id_from_a_server_url(  # type: ignore[no-untyped-def]
    backends: str, run, backend: str, answered_by: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = f"{backends}/{backend}"
    _Backend.seen.clear()
    assert main(["show", run.trace_id, "--source", base]) == 0
    assert capsys.readouterr().out.startswith(f"trace {run.trace_id}")
    assert _Backend.seen[-1] == f"/{backend}{answered_by}{run.trace_id}"  # tried in order, stopped at the first
    assert main(["rca", run.trace_id, "--source", base + "/", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["root_cause"]["span_id"] == run.root_cause_span_id
    out = tmp_path / "run.jaeger.json"
    assert main(["export", run.trace_id, "--source", base, "--annotate", "-o", str(out)]) == 0
    (exported,) = load_any(out)
    marked = [s.span_id for s in exported.spans if s.attributes.get("agent_trace.rca.root_cause") is True]
    assert marked == [run.root_cause_span_id]


def test_server_url_errors_are_clear_and_bounded(backends: str, run, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    assert main(["show", "--source", f"{backends}/jaeger2"]) == 2  # a server cannot be listed
    assert "name the trace id" in capsys.readouterr().err
    missing = "ab" * 16
    with pytest.raises(TraceFormatError) as info:
        load_any(f"{backends}/jaeger1", trace_id=missing)
    message = str(info.value)
    assert f"trace {missing} not found" in message
    assert message.count("HTTP 404") == 3  # every endpoint tried, each answer named
    with pytest.raises(TraceFormatError, match="needs the full trace id"):
        load_any(f"{backends}/jaeger1", trace_id="abcdef12")
    _Backend.seen.clear()
    with pytest.raises(TraceFormatError, match="cannot fetch"):
        load_any(f"{backends}/slow", trace_id=run.trace_id, timeout=0.3)
    assert len(_Backend.seen) == 1  # a server that does not answer in time is not asked again
    with pytest.raises(TraceFormatError, match="cannot fetch"):
        load_any("http://127.0.0.1:9", trace_id=run.trace_id, timeout=2)


def test_trace_urls() -> None:
    assert trace_urls("http://jaeger:16686/", "abc") == [
        "http://jaeger:16686/api/v3/traces/abc",
        "http://jaeger:16686/api/v2/traces/abc",
        "http://jaeger:16686/api/traces/abc",
    ]
    assert trace_urls("http://t:3200/api/v2/traces/{trace_id}?start=1", "abc") == [
        "http://t:3200/api/v2/traces/abc?start=1"
    ]
    assert trace_urls("http://t:3200/api/traces/abc", "abc") == ["http://t:3200/api/traces/abc"]


def test_jaeger_v3_answer_in_the_shape_jaeger_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Jaeger v2's gateway marshals with jsonpb: empty ``parentSpanId`` on roots, empty resource and scope objects,
    numeric kind and status code, 64-bit times as strings (its GetTrace snapshot has this shape)."""
    trace_id, root, child = "00000000000000960000000000000a0b", "00000000000000b4", "00000000000000b5"
    spans = [
        {"traceId": trace_id, "spanId": root, "parentSpanId": "", "name": "GET /book", "kind": 2,
         "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000000900000000", "status": {"code": 2}},
        {"traceId": trace_id, "spanId": child, "parentSpanId": root, "name": "SELECT", "kind": 3,
         "startTimeUnixNano": "1700000000100000000", "endTimeUnixNano": "1700000000200000000", "status": {}},
    ]  # fmt: skip
    path = tmp_path / "v3.json"
    path.write_text(json.dumps({"result": {"resourceSpans": [{"resource": {}, "scopeSpans": [
        {"scope": {}, "spans": spans}]}]}}), encoding="utf-8")  # fmt: skip
    (trace,) = load_any(path)
    assert [(s.name, s.kind, s.parent_span_id, s.status_code) for s in trace.spans] == [
        ("GET /book", "SERVER", None, "ERROR"),
        ("SELECT", "CLIENT", root, "UNSET"),
    ]
    assert main(["show", trace_id, "--source", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("✗ GET /book")


_SPAN = {"traceId": "ab" * 16, "spanId": "cd" * 8, "name": "s", "startTimeUnixNano": "1", "endTimeUnixNano": "2"}
_JAEGER_SPAN = {"traceID": "ab" * 16, "spanID": "cd" * 8, "operationName": "s", "startTime": 1, "duration": 1}


@pytest.mark.parametrize(
    "document",
    [
        {"resourceSpans": [{"scopeSpans": [{"spans": [{**_SPAN, "links": 5}]}]}]},
        {"resourceSpans": [{"scopeSpans": [{"spans": [{**_SPAN, "links": [5]}]}]}]},
        {"resourceSpans": [{"scopeSpans": [{"spans": [{**_SPAN, "links": [{"spanId": "ef" * 8}]}]}]}]},
        {"resourceSpans": [{"scopeSpans": [{"spans": [{**_SPAN, "links": [{**_SPAN, "attributes": 3}]}]}]}]},
        {"data": [{"spans": [{**_JAEGER_SPAN, "references": 5}]}]},
    ],
    ids=["links-not-a-list", "link-not-an-object", "link-without-trace-id", "link-attributes-not-a-list", "refs"],
)
def test_malformed_links_are_a_format_error(tmp_path: Path, document: dict[str, Any]) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(TraceFormatError, match=str(path)):
        load_any(path)


def test_odd_jaeger_references_are_kept_as_links(tmp_path: Path) -> None:
    refs = [
        {"refType": "FOLLOWS_FROM", "traceID": "ab" * 16, "spanID": "01" * 8},  # same trace, not the parent
        {"refType": "CHILD_OF", "traceID": "ef" * 16, "spanID": "02" * 8},  # another trace: a link, not the parent
        {"refType": "CHILD_OF", "spanID": "03" * 8},  # no trace id: this trace, the parent
        {"spanID": ""},  # nothing to link to: skipped
        "junk",
    ]
    path = tmp_path / "j.json"
    path.write_text(json.dumps({"data": [{"spans": [{**_JAEGER_SPAN, "references": refs}]}]}), encoding="utf-8")
    ((span,),) = (t.spans for t in load_any(path))
    assert span.parent_span_id == "03" * 8
    assert [(lk.trace_id, lk.span_id, lk.attributes["opentracing.ref_type"]) for lk in span.links] == [
        ("ab" * 16, "01" * 8, "follows_from"),
        ("ef" * 16, "02" * 8, "child_of"),
    ]


def test_a_64_bit_jaeger_trace_id_and_spectrum_of_a_server(  # type: ignore[no-untyped-def]
    backends: str, run, capsys: pytest.CaptureFixture[str]
) -> None:
    short = "00f067aa0ba902b7"
    span = {**_JAEGER_SPAN, "traceID": short, "spanID": "0102030405060708"}
    document = {"data": [{"traceID": short, "spans": [span]}]}
    _Backend.routes[f"/jaeger1/api/traces/{short}"] = json.dumps(document).encode()
    (trace,) = load_any(f"{backends}/jaeger1", trace_id=short)
    assert trace.trace_id == short.rjust(32, "0")
    assert main(["show", short, "--source", f"{backends}/jaeger1"]) == 0
    assert capsys.readouterr().out.startswith(f"trace {trace.trace_id}")
    assert main(["rca", "--spectrum", "--source", f"{backends}/jaeger2"]) == 2
    assert "cannot be listed" in capsys.readouterr().err


def test_openinference_copies_we_derived_are_not_mapped_back(tmp_path: Path) -> None:
    def span(span_id: str, attrs: dict[str, Any]) -> dict[str, Any]:
        values = [
            {"key": k, "value": {"boolValue": v} if isinstance(v, bool) else {"stringValue": v}}
            for k, v in attrs.items()
        ]
        return {**_SPAN, "spanId": span_id, "name": f"s{span_id[-1]}", "attributes": values}

    derived = {"openinference.span.kind": "TOOL", "input.value": "{}", "agent_trace.openinference.derived": True}
    ours = span("00000000000000a1", derived)
    theirs = span("00000000000000a2", {"openinference.span.kind": "TOOL", "input.value": "{}"})
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [ours, theirs]}]}]}), encoding="utf-8")
    (trace,) = load_any(path)
    assert "gen_ai.tool.call.arguments" not in trace.by_id["00000000000000a1"].attributes
    assert trace.by_id["00000000000000a2"].attributes["gen_ai.tool.call.arguments"] == "{}"
    path.write_text(json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [ours]}]}]}), encoding="utf-8")
    (only_ours,) = load_any(path)
    assert dict(only_ours.spans[0].attributes).keys() == {
        "openinference.span.kind",
        "input.value",
        "agent_trace.openinference.derived",
    }

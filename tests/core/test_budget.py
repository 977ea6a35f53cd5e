"""The payload budget: whole span (attributes + events + links) and fit_json, as properties over random input."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.trace import Link, SpanContext, Status, StatusCode

from otel_agent_trace._internal.serialize import MIN_FIT_JSON_BYTES, fit_json, truncate_text
from otel_agent_trace.processor._budget import MIN_SPAN_BYTES, span_bytes
from otel_agent_trace.processor._prepare import prepare
from otel_agent_trace.processor._transform import SCRUBBED, SpanTransformer
from otel_agent_trace.semconv import agent as A

_CTX = SpanContext(trace_id=1, span_id=2, is_remote=False)
_RESOURCE = Resource({"service.name": "svc"})

texts = st.text(max_size=3000) | st.text(alphabet='ab{}"[]:,é\n😀', min_size=2000, max_size=20000)
json_docs = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=300),
    lambda children: st.lists(children, max_size=30) | st.dictionaries(st.text(max_size=20), children, max_size=30),
    max_leaves=200,
).map(lambda v: json.dumps(v, ensure_ascii=False))
values = (
    texts
    | json_docs
    | st.integers(-(10**9), 10**9)
    | st.booleans()
    | st.tuples(st.text(max_size=500), st.text(max_size=500))
    | st.lists(st.integers(), max_size=300).map(tuple)
)
attribute_maps = st.dictionaries(st.text(min_size=1, max_size=40), values, max_size=25)


def _span(name: str, attributes: dict, events: list, links: list, status: str | None) -> ReadableSpan:
    return ReadableSpan(
        name=name,
        context=_CTX,
        resource=_RESOURCE,
        attributes=attributes,
        events=tuple(Event(n, a, timestamp=1) for n, a in events),
        links=tuple(Link(SpanContext(trace_id=1, span_id=3 + i, is_remote=False), a) for i, a in enumerate(links)),
        status=Status(StatusCode.ERROR, status) if status else Status(StatusCode.UNSET),
        start_time=1,
        end_time=2,
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    name=st.text(max_size=2000),
    attributes=attribute_maps,
    events=st.lists(st.tuples(st.sampled_from(["exception", "snapshot", "e"]), attribute_maps), max_size=40),
    links=st.lists(attribute_maps, max_size=5),
    status=st.none() | st.text(max_size=3000),
    max_span=st.integers(1, 40_000),
    max_attribute=st.integers(1, 20_000),
)
def test_whole_span_within_budget_for_any_span(name, attributes, events, links, status, max_span, max_attribute):
    transformer = SpanTransformer(max_attribute_bytes=max_attribute, max_span_bytes=max_span)
    span = _span(name, attributes, events, links, status)
    hold = transformer.budget.max_attribute_bytes + 4096
    out = transformer.export_form(prepare(span, hold, None))
    assert out is not None
    assert span_bytes(out) <= max(max_span, MIN_SPAN_BYTES)
    cut = span_bytes(span) > transformer.budget.max_span_bytes
    if cut and A.REDACTED not in out.attributes:  # (redaction alone may have brought it within budget)
        assert out.attributes[A.TRUNCATED]
    assert SCRUBBED not in out.name  # no internal fault on any input
    dropped = len(span.events) - len(out.events)
    if dropped:
        assert out.dropped_events == dropped
        assert any(entry.startswith("events: ") for entry in out.attributes[A.TRUNCATED])


def test_small_budget_is_met_and_says_what_it_cut():
    transformer = SpanTransformer(max_attribute_bytes=16384, max_span_bytes=4096)
    span = _span("s", {f"a{i}": "x" * 200 for i in range(100)}, [], [], None)
    out = transformer.export_form(span)
    assert out is not None
    assert span_bytes(out) <= 4096
    assert len(out.attributes[A.TRUNCATED]) >= 1


def test_many_large_events_are_cut_evenly_while_each_keeps_a_useful_size():
    transformer = SpanTransformer(max_attribute_bytes=16384, max_span_bytes=256 * 1024)
    events = [("snapshot", {"state": json.dumps({"i": i, "data": "v" * 8000})}) for i in range(200)]
    out = transformer.export_form(_span("step", {}, events, [], None))
    assert out is not None
    assert span_bytes(out) <= 256 * 1024
    assert len(out.events) == 200  # about 1.3 KB each: all kept, each cut, still valid JSON
    assert [json.loads(e.attributes["state"])["i"] for e in out.events] == list(range(200))
    assert "events[0].state" in out.attributes[A.TRUNCATED]


def test_many_large_events_keep_the_latest_readable_and_count_the_rest():
    transformer = SpanTransformer(max_attribute_bytes=16384, max_span_bytes=64 * 1024)
    events = [("snapshot", {"state": json.dumps({"i": i, "data": "v" * 8000})}) for i in range(200)]
    events.append(("exception", {"exception.message": "boom"}))
    out = transformer.export_form(_span("step", {}, events, [], None))
    assert out is not None
    assert span_bytes(out) <= 64 * 1024
    kept = [e for e in out.events if e.name == "snapshot"]
    assert kept and json.loads(kept[-1].attributes["state"])["i"] == 199  # latest kept, whole
    assert out.events[-1].name == "exception"
    assert out.dropped_events == 201 - len(out.events)
    assert f"events: {out.dropped_events} of 201 dropped" in out.attributes[A.TRUNCATED]


@settings(max_examples=300, deadline=None)
@given(doc=json_docs | st.text(max_size=500), limit=st.integers(-5, 3000))
def test_fit_json_is_valid_json_within_max_of_budget_and_minimum(doc, limit):
    out = fit_json(doc, limit)
    if out is doc:
        assert len(doc.encode("utf-8", "surrogatepass")) <= limit
        return
    json.loads(out)
    assert len(out.encode("utf-8")) <= max(limit, MIN_FIT_JSON_BYTES)


def test_fit_json_below_the_minimum_returns_the_marker():
    assert fit_json(json.dumps({"a": "x" * 100}), 17) == '{"_truncated":true}'


def test_fit_json_of_a_document_cut_earlier_is_an_envelope_with_the_original_size():
    out = json.loads(fit_json('{"a": "xxxxxxxx', 200, original_bytes=1_000_000))
    assert out["_truncated"] is True
    assert out["original_bytes"] == 1_000_000
    assert out["preview"].startswith('{"a"')


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=3000), limit=st.integers(0, 4000))
def test_truncate_text_within_budget(text, limit):
    out = truncate_text(text, limit)
    assert len(out.encode("utf-8")) <= limit or (out is text and len(text.encode()) <= limit)
    if out is not text:
        assert len(out.encode("utf-8")) <= limit


def test_truncate_text_of_a_huge_text_encodes_only_the_budget():
    text = "é" * 5_000_000  # non-ASCII: the exact byte size is not computed, the marker gives characters
    out = truncate_text(text, 1000)
    assert out.endswith("[truncated 5000000 chars]")
    assert len(out.encode()) <= 1000


def test_api_cuts_and_budget_cuts_are_listed_together() -> None:
    """A cut the manual API made before export stays listed when the processor's budget cuts something too."""
    transformer = SpanTransformer(max_attribute_bytes=1024, max_span_bytes=256 * 1024)
    span = _span(
        "step",
        {A.TRUNCATED: ("gen_ai.tool.call.result",), "gen_ai.tool.call.result": "cut by the API", "big": "x" * 5000},
        [],
        [],
        None,
    )
    out = transformer.transform(span)
    listed = out.attributes[A.TRUNCATED]
    assert listed[0] == "gen_ai.tool.call.result"
    assert "big" in listed
    assert len(str(out.attributes["big"]).encode()) <= 1024

"""Fuzzing the loaders: whatever is wrong with a trace file, only `TraceFormatError` comes out, naming where.

Valid OTLP-JSON, local-store JSON lines, Jaeger, Tempo (v1 and v2) and OpenInference documents are mutated
(keys deleted, values replaced by other types, wrong nesting, truncated, bytes inserted); each mutant is written to
a file and loaded with `load_any` (and `load_traces` for OTLP), then analysed when it still loads.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otel_agent_trace.model import Trace, TraceFormatError, load_any, load_traces
from otel_agent_trace.rca import analyze
from otel_agent_trace.rca.corpus import generate_run

from ._formats import to_jaeger, to_tempo

_RUN = generate_run("bad_decision", seed=3)


def _openinference(doc: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    for rs in out["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for span in ss["spans"]:
                span["attributes"] = [
                    *span.get("attributes", []),
                    {"key": "openinference.span.kind", "value": {"stringValue": "TOOL"}},
                    {"key": "input.value", "value": {"stringValue": '{"q": 1}'}},
                    {"key": "llm.input_messages.0.message.role", "value": {"stringValue": "user"}},
                ]
    return out


_DOCUMENTS: dict[str, Any] = {
    "otlp": _RUN.document,
    "jaeger": to_jaeger(_RUN.document),
    "tempo": to_tempo(_RUN.document),
    "tempo_v2": to_tempo(_RUN.document, v2=True),
    "openinference": _openinference(_RUN.document),
}
_ODD_VALUES: st.SearchStrategy[Any] = st.sampled_from(
    [None, 0, -1, 2**70, 1.5, float("inf"), "", "x", "ÿ", True, [], [1, "a"], {}, {"k": None}, [[[]]], {"a": {"b": 1}}]
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node[:3]):
            out += _paths(value, (*prefix, index))
    return out


_PATHS = {name: _paths(doc) for name, doc in _DOCUMENTS.items()}


def _parent(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        doc = doc[key]
    return doc


@st.composite
def mutants(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(_DOCUMENTS)))
    doc = copy.deepcopy(_DOCUMENTS[name])
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_PATHS[name]))
        if not path:
            continue
        try:
            parent = _parent(doc, path)
            key = path[-1]
            action = draw(st.sampled_from(["delete", "replace", "nest", "wrap_list"]))
            if action == "delete":
                del parent[key]
            elif action == "replace":
                parent[key] = copy.deepcopy(draw(_ODD_VALUES))  # later mutations must not edit the shared constant
            elif action == "nest":
                parent[key] = {"value": parent[key]}
            else:
                parent[key] = [parent[key]]
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path
    data = json.dumps(doc, allow_nan=True).encode()
    if draw(st.booleans()):
        lines = draw(st.integers(1, 3))
        data = b"\n".join([data] * lines)  # the local store: one document per line
    byte_action = draw(st.sampled_from(["none", "none", "truncate", "insert"]))
    if byte_action == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    elif byte_action == "insert":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at:]
    return name, data


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutant=mutants())
def test_malformed_input_raises_only_trace_format_error(tmp_path: Path, mutant: tuple[str, bytes]) -> None:
    name, data = mutant
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(data)
    loaders: list[Callable[[Path], list[Trace]]] = [load_any]
    if name in ("otlp", "openinference"):
        loaders.append(load_traces)
    for load in loaders:
        error = ""
        try:
            traces = load(path)
        except TraceFormatError as exc:
            error, traces = str(exc), []
        assert not error or str(path) in error
        for trace in traces:
            analyze(trace)


def test_deep_nesting_and_huge_numbers_are_format_errors(tmp_path: Path) -> None:
    deep_value = b'{"arrayValue": {"values": [' * 500 + b'{"stringValue": "x"}' + b"]}}" * 500
    span = b'{"traceId": "%s", "spanId": "%s", "name": "s", "attributes": [{"key": "k", "value": %s}]}' % (
        b"a" * 32,
        b"b" * 16,
        deep_value,
    )
    cases = {
        "nested.json": b"[" * 100000 + b"]" * 100000,
        "deepvalue.json": b'{"resourceSpans": [{"scopeSpans": [{"spans": [' + span + b"]}]}]}",
        "bigint.json": b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "a", "spanId": "b", '
        b'"startTimeUnixNano": ' + b"9" * 5000 + b"}]}]}]}",
        "inf.json": b'{"data": [{"spans": [{"traceID": "1", "spanID": "2", "startTime": Infinity}]}]}',
        "latin1.jsonl": b'{"resourceSpans": []}\n{"resourceSpans": [{"resource": {"attributes": "\xe9"}}]}\n',
    }
    for file, content in cases.items():
        path = tmp_path / file
        path.write_bytes(content)
        if file == "latin1.jsonl":  # line 1 is a valid (empty) document: line 2 is skipped
            assert load_any(path) == []
            continue
        with pytest.raises(TraceFormatError) as info:
            load_any(path)
        assert file in str(info.value)


def test_fuzz_mutants_are_really_malformed() -> None:
    """Guard against a generator that produces only valid documents: most mutants must fail to load."""
    failures = 0
    examples: list[tuple[str, bytes]] = []

    @settings(max_examples=100, deadline=None, database=None)
    @given(mutant=mutants())
    def collect(mutant: tuple[str, bytes]) -> None:
        examples.append(mutant)

    collect()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for i, (_, data) in enumerate(examples):
            path = Path(tmp) / f"{i}.json"
            path.write_bytes(data)
            try:
                load_any(path)
            except TraceFormatError:
                failures += 1
    assert failures >= len(examples) // 5, (failures, len(examples))

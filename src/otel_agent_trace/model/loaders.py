"""Loading traces from OTLP-JSON: the local store, a collector file-exporter file, or one JSON document."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ._records import AttributeValue, Span, SpanEvent, Trace

_STATUS = {
    0: "UNSET",
    1: "OK",
    2: "ERROR",
    "STATUS_CODE_UNSET": "UNSET",
    "STATUS_CODE_OK": "OK",
    "STATUS_CODE_ERROR": "ERROR",
}
_KIND = {0: "UNSPECIFIED", 1: "INTERNAL", 2: "SERVER", 3: "CLIENT", 4: "PRODUCER", 5: "CONSUMER"}


class TraceFormatError(ValueError):
    """Input that is not a trace in a format we read; the message says where and what is wrong."""


def decode_any_value(value: Mapping[str, Any]) -> AttributeValue:
    """Decode an OTLP-JSON ``AnyValue``."""
    if "stringValue" in value:
        return value["stringValue"]
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "intValue" in value:
        return int(value["intValue"])
    if "doubleValue" in value:
        return float(value["doubleValue"])
    if "arrayValue" in value:
        return tuple(decode_any_value(v) for v in value["arrayValue"].get("values", []))
    if "kvlistValue" in value:
        return {kv["key"]: decode_any_value(kv.get("value", {})) for kv in value["kvlistValue"].get("values", [])}
    if "bytesValue" in value:
        return base64.b64decode(value["bytesValue"]).hex()
    return None


def decode_attributes(items: Iterable[Mapping[str, Any]] | None) -> dict[str, AttributeValue]:
    """Decode an OTLP-JSON ``KeyValue`` list into a dict."""
    return {kv["key"]: decode_any_value(kv.get("value") or {}) for kv in items or ()}


def _hex_id(raw: str | None) -> str:
    """OTLP-JSON ids are hex; tolerate the base64 that plain protobuf JSON would give."""
    if not raw:
        return ""
    if all(c in "0123456789abcdefABCDEF" for c in raw) and len(raw) in (16, 32):
        return raw.lower()
    try:
        return base64.b64decode(raw).hex()
    except ValueError:
        return raw


def spans_from_otlp(document: Mapping[str, Any], where: str = "<input>") -> Iterator[Span]:
    """Spans of one OTLP-JSON ``ExportTraceServiceRequest``/``TracesData`` document."""
    resource_spans = document.get("resourceSpans")
    if not isinstance(resource_spans, list):
        raise TraceFormatError(f"{where}: not OTLP-JSON (no 'resourceSpans' list at the top level)")
    for r_index, rs in enumerate(resource_spans):
        if not isinstance(rs, Mapping):
            raise TraceFormatError(f"{where}: resourceSpans[{r_index}] must be an object, got {type(rs).__name__}")
        try:
            resource = decode_attributes((rs.get("resource") or {}).get("attributes"))
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise TraceFormatError(f"{where}: resourceSpans[{r_index}].resource is malformed: {exc!r}") from None
        scope_spans = rs.get("scopeSpans") or rs.get("instrumentationLibrarySpans") or []
        if not isinstance(scope_spans, list):
            raise TraceFormatError(f"{where}: resourceSpans[{r_index}].scopeSpans must be a list")
        for ss in scope_spans:
            if not isinstance(ss, Mapping) or not isinstance(ss.get("spans") or [], list):
                raise TraceFormatError(f"{where}: resourceSpans[{r_index}]: a scopeSpans entry needs a 'spans' list")
            scope = str((ss.get("scope") or ss.get("instrumentationLibrary") or {}).get("name", ""))
            for raw in ss.get("spans") or []:
                if not isinstance(raw, Mapping):
                    raise TraceFormatError(f"{where}: a span must be an object, got {type(raw).__name__}")
                yield _span(raw, resource, scope, where)


def _span(raw: Mapping[str, Any], resource: dict[str, AttributeValue], scope: str, where: str) -> Span:
    try:
        status = raw.get("status") or {}
        return Span(
            trace_id=_hex_id(raw["traceId"]),
            span_id=_hex_id(raw["spanId"]),
            parent_span_id=_hex_id(raw.get("parentSpanId")) or None,
            name=str(raw.get("name", "")),
            start_ns=int(raw.get("startTimeUnixNano", 0)),
            end_ns=int(raw.get("endTimeUnixNano", 0)),
            kind=_KIND.get(raw.get("kind", 1), str(raw.get("kind", "INTERNAL")).replace("SPAN_KIND_", "")),
            status_code=_STATUS.get(status.get("code", 0), "UNSET"),
            status_message=status.get("message", ""),
            attributes=decode_attributes(raw.get("attributes")),
            events=tuple(
                SpanEvent(e.get("name", ""), int(e.get("timeUnixNano", 0)), decode_attributes(e.get("attributes")))
                for e in raw.get("events") or []
            ),
            resource=resource,
            scope=scope,
        )
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise TraceFormatError(f"{where}: malformed span {raw.get('name', '?')!r}: {exc!r}") from None


def group_traces(spans: Iterable[Span]) -> list[Trace]:
    """Group spans by trace id; traces in order of first start, spans in start order, duplicates dropped."""
    by_trace: dict[str, dict[str, Span]] = {}
    for span in spans:
        by_trace.setdefault(span.trace_id, {})[span.span_id] = span
    traces = [
        Trace(trace_id, tuple(sorted(spans_.values(), key=lambda s: (s.start_ns, s.end_ns))))
        for trace_id, spans_ in by_trace.items()
    ]
    traces.sort(key=lambda t: t.start_ns)
    return traces


def iter_otlp_json_file(path: Path) -> Iterator[Span]:
    """Spans of a file holding one OTLP-JSON document or one document per line (JSON lines)."""
    text = path.read_text(encoding="utf-8")
    stripped = text.strip()
    if not stripped:
        return
    try:
        document = json.loads(stripped)
    except ValueError:
        document = None
    if isinstance(document, dict):
        yield from spans_from_otlp(document, str(path))
        return
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TraceFormatError(f"{path}:{lineno}: not JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(doc, dict):
            raise TraceFormatError(f"{path}:{lineno}: expected a JSON object, got {type(doc).__name__}")
        yield from spans_from_otlp(doc, f"{path}:{lineno}")


def load_traces(source: str | Path) -> list[Trace]:
    """Load every trace from a file or from a directory of ``*.json``/``*.jsonl`` files (the local store)."""
    path = Path(source)
    if not path.exists():
        raise TraceFormatError(f"{path}: no such file or directory")
    files = sorted(p for p in path.rglob("*") if p.suffix in (".json", ".jsonl")) if path.is_dir() else [path]
    spans: list[Span] = []
    for file in files:
        spans.extend(iter_otlp_json_file(file))
    return group_traces(spans)


def find_trace(traces: Iterable[Trace], trace_id: str) -> Trace:
    """The trace whose id is ``trace_id`` or starts with it (at least 6 hex digits)."""
    wanted = trace_id.lower()
    matches = [t for t in traces if t.trace_id == wanted or (len(wanted) >= 6 and t.trace_id.startswith(wanted))]
    if not matches:
        raise TraceFormatError(f"trace {trace_id} not found")
    if len(matches) > 1:
        raise TraceFormatError(f"trace id prefix {trace_id} is ambiguous ({len(matches)} traces)")
    return matches[0]

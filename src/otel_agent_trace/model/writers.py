"""Write traces of the model back out: OTLP-JSON (what collectors and our store read) and Jaeger's JSON.

Jaeger's UI opens the Jaeger JSON with its "JSON file" upload and no backend (the OTLP upload needs a Jaeger
backend to transform it). `to_jaeger_json` writes what Jaeger's own query API returns: one entry of ``data`` per
trace, one process per distinct resource (its ``service.name`` as the service), times in microseconds, the status as
``otel.status_code``/``otel.status_description`` tags and ``error=true``, the kind as ``span.kind``, events as logs
(the ``event`` field names them), the scope as ``otel.scope.name``, span links as references after the parent
(``FOLLOWS_FROM`` with the linked trace and span id, ``CHILD_OF`` when the link's ``opentracing.ref_type`` attribute
says ``child_of``, as the collector's Jaeger translator does; Jaeger references carry no attributes, so a link's
other attributes are not written). Both round-trip through our readers (`spans_from_otlp`, `spans_from_jaeger`).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ._records import AttributeValue, Span, SpanLink, Trace
from .jaeger import REF_TYPE
from .loaders import ANNOTATION_SUFFIX, TraceFormatError, trace_files

_OTLP_KIND = {
    "INTERNAL": "SPAN_KIND_INTERNAL",
    "SERVER": "SPAN_KIND_SERVER",
    "CLIENT": "SPAN_KIND_CLIENT",
    "PRODUCER": "SPAN_KIND_PRODUCER",
    "CONSUMER": "SPAN_KIND_CONSUMER",
}
_OTLP_STATUS = {"OK": "STATUS_CODE_OK", "ERROR": "STATUS_CODE_ERROR", "UNSET": "STATUS_CODE_UNSET"}


def _any_value(value: AttributeValue) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, (tuple, list)):
        return {"arrayValue": {"values": [_any_value(v) for v in value]}}
    if isinstance(value, Mapping):
        return {"kvlistValue": {"values": _otlp_attributes(value)}}
    return {"stringValue": str(value)}


def _otlp_attributes(attributes: Mapping[str, AttributeValue]) -> list[dict[str, Any]]:
    return [{"key": str(k), "value": _any_value(v)} for k, v in attributes.items()]


def _resource_key(span: Span) -> str:
    return json.dumps(sorted((str(k), repr(v)) for k, v in span.resource.items()))


def _otlp_span(span: Span) -> dict[str, Any]:
    out: dict[str, Any] = {
        "traceId": span.trace_id,
        "spanId": span.span_id,
        "name": span.name,
        "kind": _OTLP_KIND.get(span.kind.upper(), "SPAN_KIND_INTERNAL"),
        "startTimeUnixNano": str(span.start_ns),
        "endTimeUnixNano": str(span.end_ns),
        "attributes": _otlp_attributes(span.attributes),
        "events": [
            {"timeUnixNano": str(e.time_ns), "name": e.name, "attributes": _otlp_attributes(e.attributes)}
            for e in span.events
        ],
        "status": {"code": _OTLP_STATUS.get(span.status_code, "STATUS_CODE_UNSET")},
    }
    if span.parent_span_id:
        out["parentSpanId"] = span.parent_span_id
    if span.links:
        out["links"] = [
            {"traceId": link.trace_id, "spanId": link.span_id, "attributes": _otlp_attributes(link.attributes)}
            for link in span.links
        ]
    if span.status_message:
        out["status"]["message"] = span.status_message
    return out


def to_otlp_json(traces: Iterable[Trace]) -> dict[str, Any]:
    """One OTLP-JSON document (``{"resourceSpans": [...]}``) holding every span of ``traces``.

    Spans are grouped by resource, then by instrumentation scope, in first-seen order.
    """
    groups: dict[str, tuple[Mapping[str, AttributeValue], dict[str, list[dict[str, Any]]]]] = {}
    for trace in traces:
        for span in trace.spans:
            key = _resource_key(span)
            if key not in groups:
                groups[key] = (span.resource, {})
            groups[key][1].setdefault(span.scope, []).append(_otlp_span(span))
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": _otlp_attributes(resource)},
                "scopeSpans": [{"scope": {"name": scope}, "spans": spans} for scope, spans in scopes.items()],
            }
            for resource, scopes in groups.values()
        ]
    }


def _tag(key: str, value: AttributeValue) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"key": key, "type": "bool", "value": value}
    if isinstance(value, int):
        return {"key": key, "type": "int64", "value": value}
    if isinstance(value, float):
        return {"key": key, "type": "float64", "value": value}
    if isinstance(value, (tuple, list, Mapping)):
        # Jaeger tags are scalars: a list is kept as the JSON text Jaeger's UI shows (and our reader leaves as is)
        return {"key": key, "type": "string", "value": json.dumps(value, default=str, ensure_ascii=False)}
    return {"key": key, "type": "string", "value": str(value)}


def _ref_type(link: SpanLink) -> str:
    return "CHILD_OF" if str(link.attributes.get(REF_TYPE, "")).lower() == "child_of" else "FOLLOWS_FROM"


def _references(span: Span) -> list[dict[str, Any]]:
    """The parent as ``CHILD_OF`` first (Jaeger takes the first reference as the parent), then every link."""
    refs = []
    if span.parent_span_id:
        refs.append({"refType": "CHILD_OF", "traceID": span.trace_id, "spanID": span.parent_span_id})
    for link in span.links:  # a root span's links never say CHILD_OF: Jaeger would make the first its parent
        kind = _ref_type(link) if span.parent_span_id else "FOLLOWS_FROM"
        refs.append({"refType": kind, "traceID": link.trace_id, "spanID": link.span_id})
    return refs


def _jaeger_span(span: Span, process_id: str) -> dict[str, Any]:
    tags = [_tag(str(k), v) for k, v in span.attributes.items()]
    tags.append(_tag("span.kind", span.kind.lower()))
    if span.scope:
        tags.append(_tag("otel.scope.name", span.scope))
    if span.status_code in ("OK", "ERROR"):
        tags.append(_tag("otel.status_code", span.status_code))
    if span.status_code == "ERROR":
        tags.append(_tag("error", True))
    if span.status_message:
        tags.append(_tag("otel.status_description", span.status_message))
    start_us = span.start_ns // 1000
    return {
        "traceID": span.trace_id,
        "spanID": span.span_id,
        "operationName": span.name,
        "references": _references(span),
        "startTime": start_us,
        "duration": max(0, span.end_ns // 1000 - start_us),
        "tags": tags,
        "logs": [
            {
                "timestamp": e.time_ns // 1000,
                "fields": [_tag("event", e.name)] + [_tag(str(k), v) for k, v in e.attributes.items()],
            }
            for e in span.events
        ],
        "processID": process_id,
        "warnings": None,
        "flags": 1,
    }


def to_jaeger_json(traces: Iterable[Trace]) -> dict[str, Any]:
    """A Jaeger query-API document (``{"data": [...]}``) with one entry per trace, for Jaeger's JSON upload."""
    data = []
    for trace in traces:
        processes: dict[str, dict[str, Any]] = {}
        ids: dict[str, str] = {}
        spans = []
        for span in trace.spans:
            key = _resource_key(span)
            if key not in ids:
                ids[key] = f"p{len(ids) + 1}"
                service = str(span.resource.get("service.name") or "unknown_service")
                tags = [_tag(str(k), v) for k, v in span.resource.items() if k != "service.name"]
                processes[ids[key]] = {"serviceName": service, "tags": tags}
            spans.append(_jaeger_span(span, ids[key]))
        data.append({"traceID": trace.trace_id, "spans": spans, "processes": processes, "warnings": None})
    return {"data": data, "total": 0, "limit": 0, "offset": 0, "errors": None}


def stored_file_of(trace_id: str, source: str | Path) -> Path:
    """The store file (or ``source`` itself, a file) that holds trace ``trace_id``, annotation files aside.

    Raises:
        TraceFormatError: when ``source`` is not a local file or directory, or no file of it holds the trace.
    """
    path = Path(source)
    if str(source).startswith(("http://", "https://")) or not path.exists():
        raise TraceFormatError(f"{source}: only a local store directory or trace file can be annotated in place")
    needle = trace_id.lower().encode()
    for file in trace_files(path):
        if file.name.endswith(ANNOTATION_SUFFIX):
            continue
        try:
            if needle in file.read_bytes().lower():
                return file
        except OSError:
            continue
    raise TraceFormatError(f"{source}: no stored file holds trace {trace_id}")


def write_annotated(trace: Trace, source: str | Path) -> Path:
    """Write ``trace`` (annotated) as one OTLP-JSON line into a new file next to the stored file that holds it.

    The file is ``<stored file's stem>.<trace id>.rca.jsonl``; it is written to a temporary file and renamed, so
    the original is never opened for writing and a re-annotation replaces the earlier copy whole. Our readers read
    annotation files last, so ``show``/``rca``/``export`` of the store see the annotated spans.

    Returns:
        The path written.

    Raises:
        TraceFormatError: when the trace's file cannot be found or the new file cannot be written.
    """
    original = stored_file_of(trace.trace_id, source)
    target = original.with_name(f"{original.name.split('.')[0]}.{trace.trace_id}{ANNOTATION_SUFFIX}")
    line = json.dumps(to_otlp_json([trace]), ensure_ascii=False, separators=(",", ":")) + "\n"
    try:
        fd, tmp = tempfile.mkstemp(prefix=".rca-", suffix=".tmp", dir=original.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(line)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise TraceFormatError(f"{target}: cannot write ({exc.strerror or exc})") from None
    return target

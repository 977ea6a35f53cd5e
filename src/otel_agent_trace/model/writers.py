"""Write traces of the model back out: OTLP-JSON (what collectors and our store read) and Jaeger's JSON.

Jaeger's UI opens the Jaeger JSON with its "JSON file" upload and no backend (the OTLP upload needs a Jaeger
backend to transform it). `to_jaeger_json` writes what Jaeger's own query API returns: one entry of ``data`` per
trace, one process per distinct resource (its ``service.name`` as the service), times in microseconds, the status as
``otel.status_code``/``otel.status_description`` tags and ``error=true``, the kind as ``span.kind``, events as logs
(the ``event`` field names them), the scope as ``otel.scope.name``. The model keeps no span links, so none are
written. Both round-trip through our readers (`spans_from_otlp`, `spans_from_jaeger`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ._records import AttributeValue, Span, Trace

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
        "references": (
            [{"refType": "CHILD_OF", "traceID": span.trace_id, "spanID": span.parent_span_id}]
            if span.parent_span_id
            else []
        ),
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

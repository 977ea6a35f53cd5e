"""Convert generated OTLP-JSON documents to Jaeger, Tempo and OpenInference shapes for loader tests."""

from __future__ import annotations

import base64
import copy
from typing import Any

from otel_agent_trace.model.loaders import decode_attributes


def _tag(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"key": key, "type": "bool", "value": value}
    if isinstance(value, int):
        return {"key": key, "type": "int64", "value": value}
    if isinstance(value, float):
        return {"key": key, "type": "float64", "value": value}
    return {"key": key, "type": "string", "value": str(value) if not isinstance(value, tuple) else repr(value)}


def to_jaeger(doc: dict[str, Any]) -> dict[str, Any]:
    """A Jaeger query API response holding the same spans (what /api/traces/{id} returns)."""
    spans = []
    trace_id = ""
    for rs in doc["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for raw in ss["spans"]:
                trace_id = raw["traceId"]
                tags = [_tag(k, v) for k, v in decode_attributes(raw["attributes"]).items()]
                tags.append(_tag("otel.scope.name", ss["scope"]["name"]))
                if raw.get("status", {}).get("code") == 2:
                    tags += [
                        _tag("otel.status_code", "ERROR"),
                        _tag("error", True),
                        _tag("otel.status_description", raw["status"].get("message", "")),
                    ]
                logs = [
                    {
                        "timestamp": int(e["timeUnixNano"]) // 1000,
                        "fields": [_tag("event", e["name"])]
                        + [_tag(k, v) for k, v in decode_attributes(e["attributes"]).items()],
                    }
                    for e in raw.get("events", [])
                ]
                refs = (
                    [{"refType": "CHILD_OF", "traceID": raw["traceId"], "spanID": raw["parentSpanId"]}]
                    if raw.get("parentSpanId")
                    else []
                )
                start = int(raw["startTimeUnixNano"]) // 1000
                spans.append(
                    {
                        "traceID": raw["traceId"],
                        "spanID": raw["spanId"],
                        "operationName": raw["name"],
                        "references": refs,
                        "startTime": start,
                        "duration": int(raw["endTimeUnixNano"]) // 1000 - start,
                        "tags": tags,
                        "logs": logs,
                        "processID": "p1",
                        "warnings": None,
                        "flags": 1,
                    }
                )
    return {
        "data": [
            {
                "traceID": trace_id,
                "spans": spans,
                "processes": {"p1": {"serviceName": "shop-agent", "tags": []}},
                "warnings": None,
            }
        ],
        "total": 0,
        "limit": 0,
        "offset": 0,
        "errors": None,
    }


def _b64(hex_id: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_id)).decode()


def to_tempo(doc: dict[str, Any], v2: bool = False) -> dict[str, Any]:
    """A Tempo trace-by-id response: protobuf JSON with base64 ids and enum names."""
    batches = copy.deepcopy(doc["resourceSpans"])
    for rs in batches:
        for ss in rs["scopeSpans"]:
            for raw in ss["spans"]:
                raw["traceId"] = _b64(raw["traceId"])
                raw["spanId"] = _b64(raw["spanId"])
                if raw.get("parentSpanId"):
                    raw["parentSpanId"] = _b64(raw["parentSpanId"])
                raw["kind"] = "SPAN_KIND_INTERNAL"
                if raw.get("status", {}).get("code") == 2:
                    raw["status"] = {"code": "STATUS_CODE_ERROR", "message": raw["status"].get("message", "")}
    return {"trace": {"resourceSpans": batches}} if v2 else {"batches": batches}

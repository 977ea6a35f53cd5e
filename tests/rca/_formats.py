"""Convert generated OTLP-JSON documents to Jaeger and Tempo shapes for loader tests.

Jaeger goes through the package's own writer (`model.writers.to_jaeger_json`); Tempo's protobuf JSON is built here.
"""

from __future__ import annotations

import base64
import copy
from typing import Any

from otel_agent_trace.model.loaders import group_traces, spans_from_otlp
from otel_agent_trace.model.writers import to_jaeger_json


def to_jaeger(doc: dict[str, Any]) -> dict[str, Any]:
    """A Jaeger query API response holding the same spans (what /api/traces/{id} returns), by the package's writer."""
    return to_jaeger_json(group_traces(spans_from_otlp(doc)))


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

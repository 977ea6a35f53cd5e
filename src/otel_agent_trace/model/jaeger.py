"""Spans from Jaeger's query API JSON (``GET /api/traces/{id}``, the UI's "Download JSON")."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ._records import AttributeValue, Span, SpanEvent, SpanLink
from .loaders import MALFORMED, TraceFormatError

REF_TYPE = "opentracing.ref_type"
"""The link attribute that keeps a Jaeger reference's type (``child_of``/``follows_from``), as the collector's Jaeger
translator names it."""

_SPECIAL_TAGS = frozenset(
    {"span.kind", "otel.status_code", "otel.status_description", "otel.scope.name", "otel.library.name", "error"}
)


def is_jaeger(document: Any) -> bool:
    """Whether ``document`` looks like a Jaeger query API response."""
    return (
        isinstance(document, Mapping)
        and isinstance(document.get("data"), list)
        and all(isinstance(t, Mapping) and "spans" in t for t in document["data"])
    )


def _tag_value(tag: Mapping[str, Any]) -> AttributeValue:
    value = tag.get("value")
    kind = str(tag.get("type", "string")).lower()
    if kind == "bool":
        return value if isinstance(value, bool) else str(value).lower() == "true"
    if kind == "int64":
        return int(value)  # type: ignore[arg-type]
    if kind == "float64":
        return float(value)  # type: ignore[arg-type]
    return value if isinstance(value, (str, bool, int, float)) else str(value)


def _tags(items: Any, where: str) -> dict[str, AttributeValue]:
    if items is None:
        return {}
    if not isinstance(items, list):
        raise TraceFormatError(f"{where}: 'tags'/'fields' must be a list, got {type(items).__name__}")
    out: dict[str, AttributeValue] = {}
    for tag in items:
        if not isinstance(tag, Mapping) or "key" not in tag:
            raise TraceFormatError(f"{where}: a tag must be an object with a 'key', got {tag!r:.80}")
        try:
            out[str(tag["key"])] = _tag_value(tag)
        except (TypeError, ValueError, OverflowError):
            key = str(tag["key"])[:80]
            raise TraceFormatError(
                f"{where}: tag {key!r} has a value that is not a {str(tag.get('type'))[:20]}"
            ) from None
    return out


def _trace_id(raw: Any) -> str:
    text = str(raw or "").lower()
    return text.rjust(32, "0") if len(text) <= 32 else text


def spans_from_jaeger(document: Mapping[str, Any], where: str = "<input>") -> Iterator[Span]:
    """Spans of a Jaeger query API document ``{"data": [{"traceID", "spans", "processes"}]}``.

    Times are converted from microseconds to nanoseconds; ``otel.status_code``/``error`` tags become the status,
    ``span.kind`` the kind, ``logs`` the events (the ``event`` field names the event), process tags the resource.

    Raises:
        TraceFormatError: when the document is not Jaeger JSON or a span lacks its ids or times.
    """
    if not is_jaeger(document):
        raise TraceFormatError(f"{where}: not Jaeger JSON (no 'data' list of traces with 'spans')")
    for t_index, trace in enumerate(document["data"]):
        processes = trace.get("processes") or {}
        spans = trace.get("spans") or []
        if not isinstance(spans, list):
            raise TraceFormatError(f"{where}: data[{t_index}].spans must be a list, got {type(spans).__name__}")
        for s_index, raw in enumerate(spans):
            here = f"{where}: data[{t_index}].spans[{s_index}]"
            if not isinstance(raw, Mapping):
                raise TraceFormatError(f"{here}: a span must be an object")
            try:
                span = _span(raw, processes, here)
            except TraceFormatError:
                raise
            except MALFORMED as exc:
                name = str(raw.get("operationName", "?"))[:80]
                raise TraceFormatError(f"{here}: malformed span {name!r}: {exc!r:.200}") from None
            yield span


def _span(raw: Mapping[str, Any], processes: Mapping[str, Any], where: str) -> Span:
    missing = [k for k in ("traceID", "spanID", "startTime") if k not in raw]
    if missing:
        raise TraceFormatError(f"{where}: span {raw.get('operationName', '?')!r} lacks {', '.join(missing)}")
    tags = _tags(raw.get("tags"), where)
    process = processes.get(raw.get("processID", ""), {}) if isinstance(processes, Mapping) else {}
    resource = _tags(process.get("tags"), where) if isinstance(process, Mapping) else {}
    if isinstance(process, Mapping) and process.get("serviceName"):
        resource.setdefault("service.name", process["serviceName"])
    trace_id = _trace_id(raw["traceID"])
    parent, links = _parent_and_links(raw.get("references"), trace_id, where)
    if parent is None and raw.get("parentSpanID"):
        parent = str(raw["parentSpanID"]).lower()
    status = str(tags.get("otel.status_code", "")).upper()
    if tags.get("error") is True or str(tags.get("error")).lower() == "true":
        status = "ERROR"
    events = []
    for log in raw.get("logs") or []:
        fields = _tags(log.get("fields"), where) if isinstance(log, Mapping) else {}
        name = str(fields.pop("event", "log"))
        events.append(SpanEvent(name, int(log.get("timestamp", 0)) * 1000, fields))
    try:
        start = int(raw["startTime"]) * 1000
        end = start + int(raw.get("duration", 0)) * 1000
    except (TypeError, ValueError, OverflowError):
        raise TraceFormatError(f"{where}: startTime/duration must be integers (microseconds)") from None
    return Span(
        trace_id=trace_id,
        span_id=str(raw["spanID"]).lower(),
        parent_span_id=parent,
        name=str(raw.get("operationName", "")),
        start_ns=start,
        end_ns=end,
        kind=str(tags.get("span.kind", "internal")).upper(),
        status_code=status if status in ("OK", "ERROR") else "UNSET",
        status_message=str(tags.get("otel.status_description", "")),
        attributes={k: v for k, v in tags.items() if k not in _SPECIAL_TAGS},
        events=tuple(events),
        resource=resource,
        scope=str(tags.get("otel.scope.name") or tags.get("otel.library.name") or ""),
        links=tuple(links),
    )


def _parent_and_links(refs: Any, trace_id: str, where: str) -> tuple[str | None, list[SpanLink]]:
    """The parent span id and the links of a span's Jaeger ``references``.

    The first ``CHILD_OF`` reference within the trace is the parent (as Jaeger reads it); every other reference is a
    link, its type kept as ``opentracing.ref_type`` (``child_of``/``follows_from``, as OTel's translator).
    """
    if refs is None:
        return None, []
    if not isinstance(refs, list):
        raise TraceFormatError(f"{where}: 'references' must be a list, got {type(refs).__name__}")
    parent: str | None = None
    links: list[SpanLink] = []
    for ref in refs:
        if not isinstance(ref, Mapping) or not ref.get("spanID"):
            continue
        kind = str(ref.get("refType", "CHILD_OF")).upper()
        ref_trace = _trace_id(ref.get("traceID") or trace_id)
        span_id = str(ref["spanID"]).lower()
        if parent is None and kind == "CHILD_OF" and ref_trace == trace_id:
            parent = span_id
            continue
        links.append(SpanLink(ref_trace, span_id, {REF_TYPE: kind.lower()}))
    return parent, links

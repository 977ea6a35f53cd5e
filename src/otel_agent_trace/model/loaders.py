"""Loading traces from OTLP-JSON: the local store, a collector file-exporter file, or one JSON document."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._records import AttributeValue, Span, SpanEvent, SpanLink, Trace

_STATUS = {
    0: "UNSET",
    1: "OK",
    2: "ERROR",
    "STATUS_CODE_UNSET": "UNSET",
    "STATUS_CODE_OK": "OK",
    "STATUS_CODE_ERROR": "ERROR",
}
logger = logging.getLogger("otel_agent_trace")
_KIND = {0: "UNSPECIFIED", 1: "INTERNAL", 2: "SERVER", 3: "CLIENT", 4: "PRODUCER", 5: "CONSUMER"}


class TraceFormatError(ValueError):
    """Input that is not a trace in a format we read; the message says where and what is wrong."""


_MAX_DEPTH = 64
"""Deepest ``arrayValue``/``kvlistValue`` nesting decoded; deeper input is malformed (no RecursionError)."""


def decode_any_value(value: Any, _depth: int = 0) -> AttributeValue:
    """Decode an OTLP-JSON ``AnyValue``.

    Raises:
        TypeError, ValueError: the value is malformed (`spans_from_otlp` turns these into `TraceFormatError`).
    """
    if not isinstance(value, Mapping):
        raise TypeError(f"an AnyValue must be an object, got {type(value).__name__}")
    if _depth > _MAX_DEPTH:
        raise ValueError(f"AnyValue nested deeper than {_MAX_DEPTH} levels")
    if "stringValue" in value:
        return str(value["stringValue"])
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "intValue" in value:
        return int(value["intValue"])
    if "doubleValue" in value:
        return float(value["doubleValue"])
    if "arrayValue" in value:
        return tuple(decode_any_value(v, _depth + 1) for v in _list(_mapping(value["arrayValue"]).get("values")))
    if "kvlistValue" in value:
        return {
            str(_mapping(kv)["key"]): decode_any_value(_mapping(kv).get("value") or {}, _depth + 1)
            for kv in _list(_mapping(value["kvlistValue"]).get("values"))
        }
    if "bytesValue" in value:
        return base64.b64decode(str(value["bytesValue"])).hex()
    return None


def _mapping(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def decode_attributes(items: Any) -> dict[str, AttributeValue]:
    """Decode an OTLP-JSON ``KeyValue`` list into a dict."""
    return {str(_mapping(kv)["key"]): decode_any_value(_mapping(kv).get("value") or {}) for kv in _list(items)}


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


MALFORMED = (AttributeError, KeyError, TypeError, ValueError, IndexError, OverflowError, RecursionError)
"""What decoding malformed input can raise; loaders turn each into a `TraceFormatError` naming where."""


def spans_from_otlp(document: Mapping[str, Any], where: str = "<input>") -> Iterator[Span]:
    """Spans of one OTLP-JSON ``ExportTraceServiceRequest``/``TracesData`` document.

    Raises:
        TraceFormatError: the document is not OTLP-JSON or a part of it is malformed (the message says where).
    """
    resource_spans = document.get("resourceSpans") if isinstance(document, Mapping) else None
    if not isinstance(resource_spans, list):
        raise TraceFormatError(f"{where}: not OTLP-JSON (no 'resourceSpans' list at the top level)")
    for r_index, rs in enumerate(resource_spans):
        if not isinstance(rs, Mapping):
            raise TraceFormatError(f"{where}: resourceSpans[{r_index}] must be an object, got {type(rs).__name__}")
        try:
            resource = decode_attributes(_mapping(rs.get("resource") or {}).get("attributes"))
        except MALFORMED as exc:
            raise TraceFormatError(f"{where}: resourceSpans[{r_index}].resource is malformed: {exc!r:.200}") from None
        scope_spans = rs.get("scopeSpans") or rs.get("instrumentationLibrarySpans") or []
        if not isinstance(scope_spans, list):
            raise TraceFormatError(f"{where}: resourceSpans[{r_index}].scopeSpans must be a list")
        for s_index, ss in enumerate(scope_spans):
            here = f"{where}: resourceSpans[{r_index}].scopeSpans[{s_index}]"
            if not isinstance(ss, Mapping) or not isinstance(ss.get("spans") or [], list):
                raise TraceFormatError(f"{here}: a scopeSpans entry needs a 'spans' list")
            scope_info = ss.get("scope") or ss.get("instrumentationLibrary") or {}
            if not isinstance(scope_info, Mapping):
                raise TraceFormatError(f"{here}.scope must be an object, got {type(scope_info).__name__}")
            scope = str(scope_info.get("name", ""))
            for raw in ss.get("spans") or []:
                if not isinstance(raw, Mapping):
                    raise TraceFormatError(f"{here}: a span must be an object, got {type(raw).__name__}")
                yield _span(raw, resource, scope, where)


def _span(raw: Mapping[str, Any], resource: dict[str, AttributeValue], scope: str, where: str) -> Span:
    try:
        status = _mapping(raw.get("status") or {})
        kind = raw.get("kind", 1)
        code = status.get("code", 0)
        return Span(
            trace_id=_hex_id(str(raw["traceId"])),
            span_id=_hex_id(str(raw["spanId"])),
            parent_span_id=_hex_id(str(raw.get("parentSpanId") or "")) or None,
            name=str(raw.get("name", "")),
            start_ns=int(raw.get("startTimeUnixNano", 0)),
            end_ns=int(raw.get("endTimeUnixNano", 0)),
            kind=_KIND[kind] if isinstance(kind, int) and kind in _KIND else str(kind).replace("SPAN_KIND_", ""),
            status_code=_STATUS.get(code, "UNSET") if isinstance(code, (int, str)) else "UNSET",
            status_message=str(status.get("message", "")),
            attributes=decode_attributes(raw.get("attributes")),
            events=tuple(
                SpanEvent(
                    str(_mapping(e).get("name", "")),
                    int(_mapping(e).get("timeUnixNano", 0)),
                    decode_attributes(_mapping(e).get("attributes")),
                )
                for e in _list(raw.get("events"))
            ),
            resource=resource,
            scope=scope,
            links=tuple(_link(_mapping(link)) for link in _list(raw.get("links"))),
        )
    except MALFORMED as exc:
        raise TraceFormatError(f"{where}: malformed span {str(raw.get('name', '?'))[:80]!r}: {exc!r:.200}") from None


def _link(raw: Mapping[str, Any]) -> SpanLink:
    return SpanLink(
        trace_id=_hex_id(str(raw["traceId"])),
        span_id=_hex_id(str(raw["spanId"])),
        attributes=decode_attributes(raw.get("attributes")),
    )


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


@dataclass(frozen=True)
class BadLine:
    """One line of a trace file that could not be read (torn by a crash, corrupt, not UTF-8, not a trace)."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class LoadReport:
    """What a load read: files, good lines, and the bad lines it skipped (``FILE:LINE`` and why)."""

    files: int = 0
    good_lines: int = 0
    bad_lines: list[BadLine] = field(default_factory=list)
    first_error: TraceFormatError | None = field(default=None, repr=False, compare=False)

    def add_bad(self, file: str, line: int, error: TraceFormatError, prefix: str) -> None:
        """Record one unreadable line (``prefix`` is taken off the error's message to give the reason)."""
        self.bad_lines.append(BadLine(file, line, str(error).removeprefix(f"{prefix}: ")))
        if self.first_error is None:
            self.first_error = error

    def summary(self, limit: int = 5) -> str:
        """``skipped N bad lines (FILE:LINE, ...)``, or ``""`` when none were skipped."""
        if not self.bad_lines:
            return ""
        where = ", ".join(f"{b.file}:{b.line}" for b in self.bad_lines[:limit])
        more = f", and {len(self.bad_lines) - limit} more" if len(self.bad_lines) > limit else ""
        n = len(self.bad_lines)
        return f"skipped {n} bad line{'s' if n != 1 else ''} ({where}{more})"


def _parse(raw: bytes, where: str) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise TraceFormatError(f"{where}: JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise TraceFormatError(f"{where}: not JSON ({exc.msg} at column {exc.colno})") from None
    except UnicodeDecodeError:
        raise TraceFormatError(f"{where}: not UTF-8 text") from None
    except ValueError as exc:  # e.g. an integer literal beyond the str-to-int digit limit
        raise TraceFormatError(f"{where}: not JSON ({exc})") from None


def read_bytes(path: Path) -> bytes:
    """The bytes of ``path``; an unreadable file is a `TraceFormatError` naming it."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TraceFormatError(f"{path}: cannot read ({exc.strerror or exc})") from None


def spans_of_file(
    data: bytes, where: str, decode: Callable[[Any, str], Iterable[Span]], report: LoadReport
) -> list[Span]:
    """Spans of one file: one JSON document, or JSON lines; what cannot be read is recorded in ``report``.

    A line that is torn, corrupt, not UTF-8 or not a trace is skipped (so is a whole-file document that is
    malformed, as its line 1); `check_report` then raises if nothing at all could be read.
    """
    report.files += 1
    stripped = data.strip()
    if not stripped:
        return []
    if stripped[:1] in (b"{", b"[") or b"\n" not in stripped:
        try:
            whole = _parse(stripped, where)
        except TraceFormatError:
            whole = None
        if whole is not None:
            try:
                document_spans = list(decode(whole, where))
            except TraceFormatError as exc:
                report.add_bad(where, 1, exc, prefix=where)
                return []
            report.good_lines += 1
            return document_spans
    spans: list[Span] = []
    for lineno, line in enumerate(data.split(b"\n"), 1):
        if not line.strip():
            continue
        here = f"{where}:{lineno}"
        try:
            line_spans = list(decode(_parse(line, here), here))
        except TraceFormatError as exc:
            report.add_bad(where, lineno, exc, prefix=here)
            continue
        spans.extend(line_spans)
        report.good_lines += 1
    return spans


def check_report(report: LoadReport, given: bool) -> None:
    """Raise the first problem if nothing could be read; else say once what was skipped.

    The skipped lines go on the ``otel_agent_trace`` logger (a WARNING) unless the caller asked for the report.

    Raises:
        TraceFormatError: the source had bad lines and no good one.
    """
    if report.bad_lines and not report.good_lines and report.first_error is not None:
        raise report.first_error
    if report.bad_lines and not given:
        logger.warning("otel-agent-trace: %s", report.summary())


def _otlp_document(document: Any, where: str) -> Iterable[Span]:
    if not isinstance(document, dict):
        raise TraceFormatError(f"{where}: expected a JSON object, got {type(document).__name__}")
    return spans_from_otlp(document, where)


def iter_otlp_json_file(path: Path, report: LoadReport | None = None) -> Iterator[Span]:
    """Spans of a file holding one OTLP-JSON document or one document per line (JSON lines).

    Bad lines are skipped and recorded in ``report`` (see `spans_of_file`).
    """
    yield from spans_of_file(read_bytes(path), str(path), _otlp_document, report or LoadReport())


ANNOTATION_SUFFIX = ".rca.jsonl"
"""Files holding an annotated copy of a stored trace (`writers.write_annotated`); read after every other file, so
their spans replace the original ones (`group_traces` keeps the last span of each id)."""


def trace_files(path: Path) -> list[Path]:
    """The ``*.json``/``*.jsonl`` files of a directory (recursively, sorted, annotation files last), or ``[path]``."""
    if path.is_dir():
        files = (p for p in path.rglob("*") if p.suffix in (".json", ".jsonl") and p.is_file())
        return sorted(files, key=lambda p: (p.name.endswith(ANNOTATION_SUFFIX), p))
    return [path]


def load_traces(source: str | Path, report: LoadReport | None = None) -> list[Trace]:
    """Load every OTLP-JSON trace from a file or from a directory of ``*.json``/``*.jsonl`` files (the local store).

    Torn, corrupt or non-UTF-8 lines are skipped; they are listed in ``report`` when one is given, else logged
    once as a WARNING ("skipped N bad lines (FILE:LINE, ...)").

    Raises:
        TraceFormatError: the source is missing, or holds no readable line at all.
    """
    path = Path(source)
    if not path.exists():
        raise TraceFormatError(f"{path}: no such file or directory")
    out = report if report is not None else LoadReport()
    spans: list[Span] = []
    for file in trace_files(path):
        spans.extend(iter_otlp_json_file(file, out))
    check_report(out, report is not None)
    return group_traces(spans)


def find_trace(traces: Iterable[Trace], trace_id: str) -> Trace:
    """The trace whose id is ``trace_id`` or starts with it (at least 6 hex digits).

    A 16-digit id (Jaeger's 64-bit ids, left-padded with zeros to 32 by the readers) matches its padded form.
    """
    wanted = trace_id.lower()
    padded = wanted.rjust(32, "0")
    matches = [
        t for t in traces if t.trace_id in (wanted, padded) or (len(wanted) >= 6 and t.trace_id.startswith(wanted))
    ]
    if not matches:
        raise TraceFormatError(f"trace {trace_id} not found")
    if len(matches) > 1:
        raise TraceFormatError(f"trace id prefix {trace_id} is ambiguous ({len(matches)} traces)")
    return matches[0]

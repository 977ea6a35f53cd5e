"""One entry point for every trace source: `load_any` reads the local store, OTLP-JSON, Jaeger, Tempo and URLs."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ._records import Span, Trace
from .jaeger import is_jaeger, spans_from_jaeger
from .loaders import (
    MALFORMED,
    LoadReport,
    TraceFormatError,
    check_report,
    find_trace,
    group_traces,
    read_bytes,
    spans_from_otlp,
    spans_of_file,
    trace_files,
)
from .openinference import is_openinference, normalize_openinference
from .tempo import is_tempo, spans_from_tempo


def detect_format(document: Any) -> str:
    """``"otlp"``, ``"jaeger_v3"`` (Jaeger v2's ``/api/v3``), ``"jaeger"`` or ``"tempo"`` for a decoded document.

    Raises:
        TraceFormatError: when the document is none of them.
    """
    if isinstance(document, Mapping) and isinstance(document.get("resourceSpans"), list):
        return "otlp"
    if _is_jaeger_v3(document):
        return "jaeger_v3"
    if is_jaeger(document):
        return "jaeger"
    if is_tempo(document):
        return "tempo"
    if isinstance(document, Mapping):
        keys = ", ".join(sorted(map(str, document))[:6]) or "none"
        raise TraceFormatError(
            f"not a trace: expected OTLP-JSON 'resourceSpans', Jaeger 'data' or 'result', Tempo 'batches'/'trace'"
            f" at the top level, found keys: {keys}"
        )
    raise TraceFormatError(f"not a trace: expected a JSON object at the top level, got {type(document).__name__}")


def _is_jaeger_v3(document: Any) -> bool:
    """Jaeger v2's ``/api/v3/traces/{id}`` answer: ``{"result": {"resourceSpans": [...]}}`` (OTLP inside)."""
    if not isinstance(document, Mapping):
        return False
    result = document.get("result")
    return isinstance(result, Mapping) and isinstance(result.get("resourceSpans"), list)


def _spans_from_jaeger_v3(document: Mapping[str, Any], where: str) -> Iterator[Span]:
    return spans_from_otlp(document["result"], where)


def spans_from_document(document: Any, where: str = "<input>") -> Iterator[Span]:
    """Spans of one decoded document in any supported format.

    Raises:
        TraceFormatError: when the document is not a trace in a supported format, or a part of it is malformed;
            never another exception, whatever the input.
    """
    try:
        kind = detect_format(document)
    except TraceFormatError as exc:
        raise TraceFormatError(f"{where}: {exc}") from None
    decode = {"otlp": spans_from_otlp, "jaeger": spans_from_jaeger, "jaeger_v3": _spans_from_jaeger_v3}.get(
        kind, spans_from_tempo
    )
    try:
        yield from decode(document, where)
    except TraceFormatError:
        raise
    except MALFORMED as exc:
        raise TraceFormatError(f"{where}: malformed {kind} document: {exc!r:.200}") from None


def fetch_url(url: str, timeout: float = 10.0) -> str:
    """GET ``url`` (a Jaeger or Tempo ``/api/traces/{id}`` endpoint) asking for JSON; the body as text.

    Raises:
        TraceFormatError: on an HTTP error status, an unreachable server or a body that is not UTF-8.
    """
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body: bytes = response.read()
    except urllib.error.HTTPError as exc:
        raise TraceFormatError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TraceFormatError(f"{url}: cannot fetch ({reason})") from None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise TraceFormatError(f"{url}: response is not UTF-8 text") from None


def load_spans(source: str | Path, timeout: float = 10.0, report: LoadReport | None = None) -> list[Span]:
    """Every span of ``source``: an http(s) URL, a file, or a directory searched for ``*.json``/``*.jsonl``.

    Spans in OpenInference conventions get our equivalent attributes added (see `normalize_openinference`).
    Torn, corrupt or non-UTF-8 lines of JSON-lines files are skipped: listed in ``report`` when one is given,
    else logged once as a WARNING ("skipped N bad lines (FILE:LINE, ...)").

    Raises:
        TraceFormatError: when the source is missing, unreadable or holds something that is not a trace (and
            never another exception).
    """
    out = report if report is not None else LoadReport()
    text_source = str(source)
    if text_source.startswith(("http://", "https://")):
        body = fetch_url(text_source, timeout).encode("utf-8")
        spans = spans_of_file(body, text_source, spans_from_document, out)
    else:
        path = Path(source)
        if not path.exists():
            raise TraceFormatError(f"{path}: no such file or directory")
        spans = []
        for file in trace_files(path):
            spans.extend(spans_of_file(read_bytes(file), str(file), spans_from_document, out))
    check_report(out, report is not None)
    try:
        return normalize_openinference(spans) if is_openinference(spans) else spans
    except TraceFormatError:
        raise
    except MALFORMED as exc:
        raise TraceFormatError(f"{text_source}: malformed OpenInference attributes: {exc!r:.200}") from None


def load_any(
    source: str | Path, trace_id: str | None = None, timeout: float = 10.0, report: LoadReport | None = None
) -> list[Trace]:
    """Traces of any supported source, optionally only the one whose id is (or starts with) ``trace_id``.

    Args:
        source: the local store directory, an OTLP-JSON/JSONL, Jaeger or Tempo JSON file, or an http(s) URL of a
            Jaeger or Tempo ``/api/traces/{id}`` endpoint.
        trace_id: keep only this trace (full hex id or a prefix of at least 6 digits).
        timeout: seconds to wait for a URL.
        report: filled with the files read and the bad lines skipped (else those are logged once).

    Returns:
        The traces, in order of first start.

    Raises:
        TraceFormatError: with a message naming the source and what is wrong.
    """
    traces = group_traces(load_spans(source, timeout, report))
    if trace_id is not None:
        return [find_trace(traces, trace_id)]
    return traces

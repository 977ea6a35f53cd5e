"""One entry point for every trace source: `load_any` reads the local store, OTLP-JSON, Jaeger, Tempo and URLs."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
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


TRACE_ENDPOINTS = ("/api/v3/traces/{trace_id}", "/api/v2/traces/{trace_id}", "/api/traces/{trace_id}")
"""Trace-by-id paths tried, in order, under a base URL: Jaeger v2's ``/api/v3`` (OTLP, with links and scopes), Tempo's
``/api/v2``, then ``/api/traces`` (Jaeger v1 and v2's UI API, Tempo v1)."""


def is_url(source: str | Path) -> bool:
    """Whether ``source`` is an http(s) URL."""
    return str(source).startswith(("http://", "https://"))


def trace_urls(source: str, trace_id: str) -> list[str]:
    """The URLs to try for ``trace_id`` at ``source``.

    ``source`` is a base URL (``http://jaeger:16686``, ``http://tempo:3200``: every `TRACE_ENDPOINTS` path under
    it), a template holding ``{trace_id}``, or a full endpoint URL (used as it is).
    """
    if "{trace_id}" in source:
        return [source.replace("{trace_id}", trace_id)]
    if "/api/" in source:
        return [source]
    base = source.rstrip("/")
    return [base + path.format(trace_id=trace_id) for path in TRACE_ENDPOINTS]


class _Unreachable(TraceFormatError):
    """The server could not be reached (no other endpoint of it is tried)."""


def fetch_url(url: str, timeout: float = 10.0) -> str:
    """GET ``url`` (a Jaeger or Tempo ``/api/traces/{id}`` endpoint) asking for JSON; the body as text.

    Raises:
        TraceFormatError: on an HTTP error status, an unreachable server or a body that is not UTF-8.
    """
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=max(timeout, 0.05)) as response:
            body: bytes = response.read()
    except urllib.error.HTTPError as exc:
        raise TraceFormatError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise _Unreachable(f"{url}: cannot fetch ({reason})") from None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise TraceFormatError(f"{url}: response is not UTF-8 text") from None


def fetch_trace(source: str, trace_id: str, timeout: float = 10.0, report: LoadReport | None = None) -> list[Span]:
    """The spans of trace ``trace_id`` read over HTTP from a Jaeger or Tempo server (see `trace_urls`).

    Each endpoint is tried in turn until one answers with spans of that trace; an endpoint that answers an error
    status or something that is not a trace is skipped. ``timeout`` bounds all requests together, and an
    unreachable server stops at once.

    Raises:
        TraceFormatError: when no endpoint had the trace (the message lists what each answered).
    """
    deadline = time.monotonic() + timeout
    wanted = trace_id.lower()
    tried: list[str] = []
    for url in trace_urls(source, trace_id):
        attempt = LoadReport()
        try:
            body = fetch_url(url, deadline - time.monotonic()).encode("utf-8")
            spans = spans_of_file(body, url, spans_from_document, attempt)
            check_report(attempt, given=True)
        except _Unreachable:
            raise
        except TraceFormatError as exc:  # an error status or not a trace: the next endpoint may have it
            tried.append(str(exc))
            continue
        if attempt.bad_lines and not spans:
            tried.append(f"{url}: {attempt.bad_lines[0].reason}")
            continue
        if not any(s.trace_id == wanted or s.trace_id.endswith(wanted) for s in spans):
            tried.append(f"{url}: no spans of trace {trace_id}")
            continue
        if report is not None:
            report.files += attempt.files
            report.good_lines += attempt.good_lines
            report.bad_lines.extend(attempt.bad_lines)
        return spans
    hint = "" if len(wanted) >= 16 else " (a URL source needs the full trace id)"
    raise TraceFormatError(f"trace {trace_id} not found at {source}{hint}: " + "; ".join(tried))


def load_spans(
    source: str | Path, timeout: float = 10.0, report: LoadReport | None = None, trace_id: str | None = None
) -> list[Span]:
    """Every span of ``source``: an http(s) URL, a file, or a directory searched for ``*.json``/``*.jsonl``.

    With ``trace_id`` and a URL, the trace is fetched by id from a Jaeger or Tempo server (`fetch_trace`).
    Spans in OpenInference conventions get our equivalent attributes added (see `normalize_openinference`).
    Torn, corrupt or non-UTF-8 lines of JSON-lines files are skipped: listed in ``report`` when one is given,
    else logged once as a WARNING ("skipped N bad lines (FILE:LINE, ...)").

    Raises:
        TraceFormatError: when the source is missing, unreadable or holds something that is not a trace (and
            never another exception).
    """
    out = report if report is not None else LoadReport()
    text_source = str(source)
    if is_url(text_source) and trace_id is not None:
        spans = fetch_trace(text_source, trace_id, timeout, out)
    elif is_url(text_source):
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
        source: the local store directory, an OTLP-JSON/JSONL, Jaeger, Tempo or OpenInference JSON file, or an
            http(s) URL: a Jaeger or Tempo server (``http://jaeger:16686``, with ``trace_id``), a URL template
            holding ``{trace_id}``, or a trace endpoint (``.../api/traces/{id}``, ``/api/v3/traces/{id}``...).
        trace_id: keep only this trace (full hex id or a prefix of at least 6 digits; a URL needs the full id).
        timeout: seconds to wait for a URL (all requests together).
        report: filled with the files read and the bad lines skipped (else those are logged once).

    Returns:
        The traces, in order of first start.

    Raises:
        TraceFormatError: with a message naming the source and what is wrong.
    """
    traces = group_traces(load_spans(source, timeout, report, trace_id))
    if trace_id is not None:
        return [find_trace(traces, trace_id)]
    return traces


def load_selected(
    source: str | Path, trace_ids: Sequence[str], timeout: float = 10.0, report: LoadReport | None = None
) -> tuple[list[Trace], list[Trace]]:
    """The traces named by ``trace_ids`` (every trace when none is named) and every trace read.

    Returns ``(chosen, available)``; ``available`` is the baseline pool of `rca`/`export`. A server URL is asked
    for each named trace in turn (it cannot be listed); any other source is read once.

    Raises:
        TraceFormatError: when the source cannot be read, a trace is not there, or a base URL has no trace id.
    """
    if is_url(source) and trace_urls(str(source), "x") != [str(source)]:  # a server or a template: fetch by id
        if not trace_ids:
            raise TraceFormatError(
                f"{source}: a Jaeger/Tempo server URL cannot be listed; name the trace id(s) to fetch"
            )
        chosen = [load_any(source, t, timeout, report)[0] for t in trace_ids]
        return chosen, chosen
    available = load_any(source, timeout=timeout, report=report)
    chosen = [find_trace(available, t) for t in trace_ids] if trace_ids else available
    return chosen, available

"""One entry point for every trace source: `load_any` reads the local store, OTLP-JSON, Jaeger, Tempo and URLs."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ._records import Span, Trace
from .jaeger import is_jaeger, spans_from_jaeger
from .loaders import TraceFormatError, find_trace, group_traces, spans_from_otlp
from .openinference import is_openinference, normalize_openinference
from .tempo import is_tempo, spans_from_tempo

_SUFFIXES = (".json", ".jsonl")


def detect_format(document: Any) -> str:
    """``"otlp"``, ``"jaeger"`` or ``"tempo"`` for a decoded JSON document.

    Raises:
        TraceFormatError: when the document is none of them.
    """
    if isinstance(document, Mapping) and isinstance(document.get("resourceSpans"), list):
        return "otlp"
    if is_jaeger(document):
        return "jaeger"
    if is_tempo(document):
        return "tempo"
    if isinstance(document, Mapping):
        keys = ", ".join(sorted(map(str, document))[:6]) or "none"
        raise TraceFormatError(
            f"not a trace: expected OTLP-JSON 'resourceSpans', Jaeger 'data' or Tempo 'batches'/'trace'"
            f" at the top level, found keys: {keys}"
        )
    raise TraceFormatError(f"not a trace: expected a JSON object at the top level, got {type(document).__name__}")


def spans_from_document(document: Any, where: str = "<input>") -> Iterator[Span]:
    """Spans of one decoded document in any supported format.

    Raises:
        TraceFormatError: when the document is not a trace in a supported format.
    """
    try:
        kind = detect_format(document)
    except TraceFormatError as exc:
        raise TraceFormatError(f"{where}: {exc}") from None
    if kind == "otlp":
        yield from spans_from_otlp(document, where)
    elif kind == "jaeger":
        yield from spans_from_jaeger(document, where)
    else:
        yield from spans_from_tempo(document, where)


def _spans_from_text(text: str, where: str) -> Iterator[Span]:
    stripped = text.strip()
    if not stripped:
        return
    try:
        document = json.loads(stripped)
    except ValueError:
        document = None
    if document is not None:
        yield from spans_from_document(document, where)
        return
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TraceFormatError(f"{where}:{lineno}: not JSON ({exc.msg} at column {exc.colno})") from None
        yield from spans_from_document(doc, f"{where}:{lineno}")


def _read_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise TraceFormatError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise TraceFormatError(f"{path}: cannot read ({exc.strerror})") from None


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


def load_spans(source: str | Path, timeout: float = 10.0) -> list[Span]:
    """Every span of ``source``: an http(s) URL, a file, or a directory searched for ``*.json``/``*.jsonl``.

    Spans in OpenInference conventions get our equivalent attributes added (see `normalize_openinference`).

    Raises:
        TraceFormatError: when the source is missing, unreadable or holds something that is not a trace.
    """
    text_source = str(source)
    if text_source.startswith(("http://", "https://")):
        spans = list(_spans_from_text(fetch_url(text_source, timeout), text_source))
    else:
        path = Path(source)
        if not path.exists():
            raise TraceFormatError(f"{path}: no such file or directory")
        files = sorted(p for p in path.rglob("*") if p.suffix in _SUFFIXES and p.is_file()) if path.is_dir() else [path]
        spans = []
        for file in files:
            spans.extend(_spans_from_text(_read_file(file), str(file)))
    return normalize_openinference(spans) if is_openinference(spans) else spans


def load_any(source: str | Path, trace_id: str | None = None, timeout: float = 10.0) -> list[Trace]:
    """Traces of any supported source, optionally only the one whose id is (or starts with) ``trace_id``.

    Args:
        source: the local store directory, an OTLP-JSON/JSONL, Jaeger or Tempo JSON file, or an http(s) URL of a
            Jaeger or Tempo ``/api/traces/{id}`` endpoint.
        trace_id: keep only this trace (full hex id or a prefix of at least 6 digits).
        timeout: seconds to wait for a URL.

    Returns:
        The traces, in order of first start.

    Raises:
        TraceFormatError: with a message naming the source and what is wrong.
    """
    traces = group_traces(load_spans(source, timeout))
    if trace_id is not None:
        return [find_trace(traces, trace_id)]
    return traces

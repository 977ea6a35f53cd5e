"""Spans from Grafana Tempo's trace-by-id API (``GET /api/traces/{id}`` and ``/api/v2/traces/{id}``, JSON)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ._records import Span
from .loaders import MALFORMED, TraceFormatError, spans_from_otlp


def is_tempo(document: Any) -> bool:
    """Whether ``document`` looks like a Tempo trace-by-id response (v1 ``batches`` or v2 ``trace``)."""
    if not isinstance(document, Mapping):
        return False
    if isinstance(document.get("batches"), list):
        return True
    inner = document.get("trace")
    return isinstance(inner, Mapping) and ("resourceSpans" in inner or "batches" in inner or not inner)


def spans_from_tempo(document: Mapping[str, Any], where: str = "<input>") -> Iterator[Span]:
    """Spans of a Tempo response: ``{"batches": [...]}`` (v1) or ``{"trace": {"resourceSpans": [...]}}`` (v2).

    Tempo writes protobuf JSON: ids in base64, enum names such as ``SPAN_KIND_SERVER`` and ``STATUS_CODE_ERROR``;
    the OTLP decoder accepts both these and the hex/number forms.

    Raises:
        TraceFormatError: when the document is not a Tempo response.
    """
    if not is_tempo(document):
        raise TraceFormatError(f"{where}: not a Tempo trace (no 'batches' list and no 'trace' object)")
    inner: Any = document.get("trace", document)
    batches = inner.get("resourceSpans", inner.get("batches", []))
    if not isinstance(batches, list):
        raise TraceFormatError(f"{where}: Tempo 'batches'/'resourceSpans' must be a list")
    try:
        yield from spans_from_otlp({"resourceSpans": batches}, where)
    except TraceFormatError:
        raise
    except MALFORMED as exc:
        raise TraceFormatError(f"{where}: malformed Tempo trace: {exc!r:.200}") from None

"""Where ``diagnose()`` finds the recent spans of a trace: the buffers of the live span processors.

The manual API cannot import the processor (the layering contract), so each `AgentSpanProcessor` that keeps a
buffer (`processor._recent.RecentSpans`) registers it here as a `RecentSource`, weakly: a processor that is gone
or shut down is no longer asked. ``diagnose()`` asks the sources in registration order for the current trace.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class RecentTrace:
    """What a buffer holds of one trace, encoded."""

    document: Mapping[str, Any]
    """OTLP-JSON ``ExportTraceServiceRequest`` of the spans (redacted and within budget)."""
    open_span_ids: frozenset[str]
    """Hex ids of the spans still in progress (copied with ``end = now``)."""
    dropped: int
    """Spans of this trace the buffer forgot (its bounds) or left out (``max_spans``, refused by redaction)."""


class RecentSource(Protocol):
    """A buffer of recent spans (``processor._recent.RecentSpans``)."""

    def recent_trace(self, trace_id: int, max_spans: int) -> RecentTrace | None:
        """The trace's spans (at most ``max_spans``: open ones kept first, then the latest), or ``None``."""

    def dropped(self) -> dict[str, int]:
        """Spans the buffer forgot so far that a diagnosis may have needed, by reason."""


_lock = threading.Lock()
_sources: list[weakref.ref[Any]] = []


def register_source(source: RecentSource) -> None:
    """Let ``diagnose()`` read ``source`` (held weakly; registering twice is a no-op)."""
    with _lock:
        _prune()
        if not any(ref() is source for ref in _sources):
            _sources.append(weakref.ref(source))


def unregister_source(source: RecentSource) -> None:
    """Stop reading ``source`` (its processor shut down)."""
    with _lock:
        _sources[:] = [ref for ref in _sources if ref() is not None and ref() is not source]


def sources() -> list[RecentSource]:
    """The live sources, oldest registration first."""
    with _lock:
        _prune()
        return [s for s in (ref() for ref in _sources) if s is not None]


def find_recent(trace_id: int, max_spans: int) -> RecentTrace | None:
    """The first live source's record of ``trace_id``, or ``None`` if no buffer holds it."""
    for source in sources():
        found = source.recent_trace(trace_id, max_spans)
        if found is not None:
            return found
    return None


def buffer_drops() -> dict[str, int]:
    """Spans the live buffers forgot so far, by reason, summed."""
    total: dict[str, int] = {}
    for source in sources():
        for reason, count in source.dropped().items():
            total[reason] = total.get(reason, 0) + count
    return total


def _prune() -> None:
    """Forget dead references; the caller holds ``_lock``."""
    _sources[:] = [ref for ref in _sources if ref() is not None]

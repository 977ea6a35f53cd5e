"""Names of the metrics otel-agent-trace reports about its own delivery (dropped spans)."""

from __future__ import annotations

from typing import Final

SPANS_DROPPED: Final = "agent_trace.spans.dropped"
"""Metric (observable counter, unit ``{span}``): spans otel-agent-trace did not deliver, by `DROP_REASON`."""
DROP_REASON: Final = "agent_trace.drop.reason"
"""Attribute of `SPANS_DROPPED`: why the spans were dropped (``queue_full``, ``export_failed``, ...)."""

"""The enriching span processor."""

from __future__ import annotations

from ._metrics import GenAIMetricsSpanProcessor
from ._processor import AgentSpanProcessor
from ._recent import RecentSpans

__all__ = ["AgentSpanProcessor", "GenAIMetricsSpanProcessor", "RecentSpans"]

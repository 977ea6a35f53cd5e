"""The enriching span processor."""

from __future__ import annotations

from ._processor import AgentSpanProcessor

__all__ = ["AgentSpanProcessor"]

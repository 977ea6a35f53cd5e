"""The library versions this instrumentor supports."""

from __future__ import annotations

_instruments = ("autogen-agentchat >= 0.7, < 0.8",)

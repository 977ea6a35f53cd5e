"""The library versions this instrumentor supports."""

from __future__ import annotations

_instruments = ("openai-agents >= 0.24, < 1",)

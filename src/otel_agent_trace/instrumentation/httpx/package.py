"""The library versions this instrumentor supports."""

from __future__ import annotations

_instruments = ("httpx >= 0.23, < 1",)

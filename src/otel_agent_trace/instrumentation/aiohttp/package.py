"""The library versions this instrumentor supports."""

from __future__ import annotations

_instruments = ("aiohttp >= 3.8, < 4",)

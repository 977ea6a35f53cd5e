"""The library versions this instrumentor supports."""

from __future__ import annotations

_instruments = ("httpx2 >= 2.0",)

"""The library versions this instrumentor supports."""

from __future__ import annotations

_instruments = ("requests >= 2.0",)

"""The library versions this instrumentor supports."""

from __future__ import annotations

_instruments = ("ag2 >= 1.0, < 2",)

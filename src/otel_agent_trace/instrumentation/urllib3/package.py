"""The library versions this instrumentor supports."""

from __future__ import annotations

_instruments = ("urllib3 >= 1.26, < 3",)

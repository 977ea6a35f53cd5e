"""The library versions this instrumentor supports: the classic framework from either distribution."""

from __future__ import annotations

_instruments = ("autogen >= 0.9, < 0.15",)
"""The PyPI distribution ``autogen`` (the one the ``ag2-classic`` extra installs)."""

_instruments_any = ("autogen >= 0.9, < 0.15", "ag2 >= 0.9, < 1.0")
"""Either distribution ships ``import autogen`` (the same code); one of them is enough."""

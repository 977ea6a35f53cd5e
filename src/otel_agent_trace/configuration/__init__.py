"""Configuration: ``init()`` and the OTel distro/configurator."""

from __future__ import annotations

from ._init import enable_instrumentors, init

__all__ = ["enable_instrumentors", "init"]

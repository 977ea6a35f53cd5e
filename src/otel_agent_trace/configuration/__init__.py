"""Configuration: ``init()`` and the OTel distro/configurator."""

from __future__ import annotations

from otel_agent_trace._internal._secret_rule_base import SecretRule

from ._init import init
from ._instrumentors import enable_instrumentors

__all__ = ["SecretRule", "enable_instrumentors", "init"]

"""Configuration: ``init()`` and the OTel distro/configurator."""

from __future__ import annotations

from otel_agent_trace._internal._secret_rule_base import SecretRule

from ._init import enable_instrumentors, init

__all__ = ["SecretRule", "enable_instrumentors", "init"]

"""OTel distro and configurator, so ``opentelemetry-instrument python app.py`` uses our processor.

Select them with ``OTEL_PYTHON_DISTRO=agent_trace OTEL_PYTHON_CONFIGURATOR=agent_trace`` when another distro is
installed too; on their own they are picked up automatically.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.instrumentation.distro import BaseDistro  # type: ignore[attr-defined]
from opentelemetry.sdk._configuration import _BaseConfigurator

from ._init import init


class AgentTraceDistro(BaseDistro):  # type: ignore[misc]
    """Distro: nothing to set before instrumentors load; the configurator does the work."""

    def _configure(self, **kwargs: Any) -> None:
        return None


class AgentTraceConfigurator(_BaseConfigurator):
    """Configurator: ``init()`` from the environment, leaving instrumentors to ``opentelemetry-instrument``."""

    def _configure(self, **kwargs: Any) -> None:
        init(instrumentors="none")

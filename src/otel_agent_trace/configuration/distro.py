"""OTel distro and configurator, so ``opentelemetry-instrument python app.py`` uses our processor.

Select them with ``OTEL_PYTHON_DISTRO=agent_trace OTEL_PYTHON_CONFIGURATOR=agent_trace`` when another distro is
installed too; on their own they are picked up automatically.

``opentelemetry-instrument`` loads every ``opentelemetry_instrumentor`` entry point through the distro's
``load_instrumentor``; ours skips the ``agent_*`` ones that ``OTEL_AGENT_TRACE_INSTRUMENTORS`` does not select or
that ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS`` names without the ``agent_`` prefix (OTel itself skips the exact
names). The ones loaded go through the same ``instrument()`` as ``init()``: a post-import hook, nothing imported.
"""

from __future__ import annotations

import logging
from typing import Any

from opentelemetry.instrumentation.distro import BaseDistro  # type: ignore[attr-defined]
from opentelemetry.sdk._configuration import _BaseConfigurator

from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace._internal.settings import content_mode_from_env
from otel_agent_trace.environment_variables import OTEL_AGENT_TRACE_INSTRUMENTORS

from ._init import init
from ._instrumentors import OUR_PREFIX, is_selected, unknown_names

logger = logging.getLogger("otel_agent_trace")


class AgentTraceDistro(BaseDistro):  # type: ignore[misc]
    """Distro: loads only the selected ``agent_*`` instrumentors; the configurator does the set-up."""

    def _configure(self, **kwargs: Any) -> None:
        with handle_internal_errors("distro.configure"):
            unknown = unknown_names()
            if unknown:
                logger.warning("%s names unknown instrumentor(s) %s; ignored", OTEL_AGENT_TRACE_INSTRUMENTORS, unknown)

    def load_instrumentor(self, entry_point: Any, **kwargs: Any) -> None:
        """Instrument ``entry_point`` unless it is one of ours the settings leave out."""
        name = str(getattr(entry_point, "name", ""))
        if name.startswith(OUR_PREFIX) and not is_selected(name):
            logger.debug("instrumentor %s not selected", name)
            return
        super().load_instrumentor(entry_point, **kwargs)


class AgentTraceConfigurator(_BaseConfigurator):
    """Configurator: ``init()`` from the environment, leaving instrumentors to ``opentelemetry-instrument``."""

    def _configure(self, **kwargs: Any) -> None:
        # An unknown content mode: a WARNING and NO_CONTENT here (start-up never breaks); init() raises instead.
        init(instrumentors="none", content_mode=content_mode_from_env(strict=False).value)

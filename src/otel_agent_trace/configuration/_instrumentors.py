"""Which of our instrumentors `init()` enables: the ``agent_*`` entry points, filtered by name."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from importlib.metadata import entry_points
from typing import Any

from opentelemetry.instrumentation.dependencies import DependencyConflictError

from otel_agent_trace._internal.settings import ConfigurationError
from otel_agent_trace.environment_variables import OTEL_AGENT_TRACE_INSTRUMENTORS

logger = logging.getLogger("otel_agent_trace")
ENTRY_POINT_GROUP = "opentelemetry_instrumentor"
OUR_PREFIX = "agent_"


def _wanted(instrumentors: str | Iterable[str] | None) -> set[str] | None:
    raw = instrumentors if instrumentors is not None else os.environ.get(OTEL_AGENT_TRACE_INSTRUMENTORS, "all")
    items = [i.strip() for i in (raw.split(",") if isinstance(raw, str) else raw) if i.strip()]
    if items == ["all"]:
        return None
    if items in ([], ["none"]):
        return set()
    return {i if i.startswith(OUR_PREFIX) else OUR_PREFIX + i for i in items}


def enable_instrumentors(instrumentors: str | Iterable[str] | None, **kwargs: Any) -> list[str]:
    """Instrument our registered instrumentors (``agent_*`` entry points); returns the names enabled.

    A library that is not installed, or whose version is unsupported, is skipped quietly; any other failure is
    logged, never raised.
    """
    wanted = _wanted(instrumentors)
    available = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name.startswith(OUR_PREFIX)}
    if wanted is not None:
        unknown = wanted - set(available)
        if unknown:
            raise ConfigurationError(
                f"unknown instrumentor(s) {', '.join(sorted(unknown))}; available: {', '.join(sorted(available))}"
            )
    enabled = []
    for name, entry_point in sorted(available.items()):
        if wanted is not None and name not in wanted:
            continue
        try:
            instrumentor = entry_point.load()()
            if instrumentor.is_instrumented_by_opentelemetry:
                enabled.append(name)
                continue
            instrumentor.instrument(skip_dep_check=True, **kwargs)
            if instrumentor.is_instrumented_by_opentelemetry:
                enabled.append(name)
        except (ImportError, DependencyConflictError) as exc:
            logger.debug("instrumentor %s skipped: %s", name, exc)
        except Exception:
            logger.warning("instrumentor %s could not be enabled", name, exc_info=True)
    return enabled

"""Which of our instrumentors `init()` and the distro enable: the ``agent_*`` entry points, filtered by name.

Enabling one registers a post-import hook: the library is patched when the program first imports it (see
``AgentInstrumentor``), so nothing is imported here.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from importlib.metadata import entry_points
from typing import Any

from opentelemetry.instrumentation.dependencies import DependencyConflictError
from opentelemetry.instrumentation.environment_variables import OTEL_PYTHON_DISABLED_INSTRUMENTATIONS

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


def disabled() -> set[str] | None:
    """Our entry-point names ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS`` switches off (``openai`` or ``agent_openai``).

    ``None`` means all of them (``*``).
    """
    items = [i.strip() for i in os.environ.get(OTEL_PYTHON_DISABLED_INSTRUMENTATIONS, "").split(",")]
    if "*" in items:
        return None
    return {i if i.startswith(OUR_PREFIX) else OUR_PREFIX + i for i in items if i}


def is_selected(name: str) -> bool:
    """Whether the distro loads our entry point ``name`` (``OTEL_AGENT_TRACE_INSTRUMENTORS``, disabled list).

    Never raises: an unparsable setting selects everything (the configurator logs unknown names).
    """
    try:
        off = disabled()
        if off is None or name in off:
            return False
        wanted = _wanted(None)
    except Exception:  # noqa: BLE001 - a hostile environment must not stop the program
        return True
    return wanted is None or name in wanted


def unknown_names() -> list[str]:
    """Names in ``OTEL_AGENT_TRACE_INSTRUMENTORS`` that are none of our entry points (empty when all are known)."""
    wanted = _wanted(None)
    if wanted is None:
        return []
    available = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return sorted(wanted - available)


def enable_instrumentors(instrumentors: str | Iterable[str] | None, **kwargs: Any) -> list[str]:
    """Instrument our registered instrumentors (``agent_*`` entry points); returns the names enabled.

    Nothing is imported: each library is patched when the program first imports it. Unless ``instrumentors`` is
    given, the names ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS`` lists (``openai`` or ``agent_openai``, ``*``) are
    skipped. A library that is not installed is skipped quietly (an unsupported version is logged when it is
    imported); any other failure is logged, never raised.
    """
    wanted = _wanted(instrumentors)
    off = disabled() if instrumentors is None else set()
    available = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name.startswith(OUR_PREFIX)}
    if wanted is not None:
        unknown = wanted - set(available)
        if unknown:
            raise ConfigurationError(
                f"unknown instrumentor(s) {', '.join(sorted(unknown))}; available: {', '.join(sorted(available))}"
            )
    enabled = []
    for name, entry_point in sorted(available.items()):
        if (wanted is not None and name not in wanted) or off is None or name in off:
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

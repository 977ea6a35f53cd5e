"""What every otel-agent-trace instrumentor shares."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection
from types import ModuleType
from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.dependencies import DependencyConflictError, get_dependency_conflicts
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]

from otel_agent_trace._internal.settings import capture_content
from otel_agent_trace._internal.tracing import SCOPE_NAME
from otel_agent_trace.version import __version__


class AgentInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Base of our instrumentors: dependency check, tracer and content-capture lookup.

    ``instrument()`` is idempotent (``BaseInstrumentor`` tracks it) and ``uninstrument()`` restores the originals.
    Keyword arguments every instrumentor takes: ``tracer_provider``, ``capture_content`` (default: the
    ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` setting).
    """

    _instruments: Collection[str] = ()

    def instrumentation_dependencies(self) -> Collection[str]:
        """The library versions this instrumentor supports (pip requirement strings)."""
        return self._instruments

    def _require(self, module_name: str) -> ModuleType:
        """Import the target library, raising if it is missing or its version is unsupported."""
        module = importlib.import_module(module_name)
        conflict = get_dependency_conflicts(list(self._instruments))
        if conflict is not None:
            raise DependencyConflictError(conflict)
        return module

    def _tracer(self, kwargs: dict[str, Any]) -> trace.Tracer:
        provider = kwargs.get("tracer_provider")
        return trace.get_tracer(f"{SCOPE_NAME}.{type(self).__name__}", __version__, provider)

    def _capture_content(self, kwargs: dict[str, Any]) -> Callable[[], bool]:
        """A function telling, at call time, whether content is recorded (explicit kwarg, else the setting)."""
        explicit = kwargs.get("capture_content")
        if explicit is None:
            return capture_content
        flag = bool(explicit)
        return lambda: flag

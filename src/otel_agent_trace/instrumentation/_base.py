"""What every otel-agent-trace instrumentor shares: lazy patching, dependency check, tracer, content capture.

Lazy patching: ``instrument()`` imports nothing. It registers a post-import hook (wrapt) on the instrumentor's
``_module``; the library is patched (``_patch``) the moment the program first imports that module, or at once if
it is already imported. ``uninstrument()`` before that import cancels the pending hook. So an installed library the
program never imports costs nothing at start-up (``opentelemetry-instrument`` enables every installed
instrumentor).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
from collections.abc import Callable, Collection
from types import ModuleType
from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.dependencies import DependencyConflictError, get_dependency_conflicts
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from wrapt import register_post_import_hook

from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace._internal.settings import capture_content
from otel_agent_trace._internal.tracing import SCOPE_NAME
from otel_agent_trace.version import __version__

logger = logging.getLogger("otel_agent_trace")


def require_installed(module_name: str) -> None:
    """Raise ``ModuleNotFoundError`` if the top-level package of ``module_name`` cannot be found; imports nothing."""
    top = module_name.partition(".")[0]
    if top in sys.modules:
        return
    try:
        found = importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise ModuleNotFoundError(f"No module named {top!r}", name=top)


class AgentInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Base of our instrumentors: lazy patching, dependency check, tracer and content-capture lookup.

    A subclass names ``_module`` and implements ``_patch(module, **kwargs)`` (wrap what it traces; for modules the
    library imports later, call `when_imported` from there) and ``_unpatch(**kwargs)`` (undo it; it runs only if
    ``_patch`` ran, and must look modules up in ``sys.modules``, never import them).

    ``instrument()`` is idempotent (``BaseInstrumentor`` tracks it) and ``uninstrument()`` restores the originals.
    Keyword arguments every instrumentor takes: ``tracer_provider``, ``capture_content`` (default: the
    ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` setting).
    """

    _instruments: Collection[str] = ()
    _module: str = ""
    """The module whose first import runs ``_patch`` (``""``: the subclass overrides ``_instrument`` itself)."""
    _token: object | None = None
    _patched: bool = False

    def instrumentation_dependencies(self) -> Collection[str]:
        """The library versions this instrumentor supports (pip requirement strings)."""
        return self._instruments

    def _instrument(self, **kwargs: Any) -> None:
        """Patch now if ``_module`` is imported, else when the program imports it; raise only if not installed."""
        require_installed(self._module)
        self._token = object()
        self._patched = False
        self.when_imported(self._module, lambda module: self._patch(module, **kwargs), check_version=True)

    def _uninstrument(self, **kwargs: Any) -> None:
        self._token = None  # pending hooks of this instrument() call now do nothing
        if self._patched:
            self._patched = False
            with handle_internal_errors(f"{type(self).__name__}.uninstrument"):
                self._unpatch(**kwargs)

    def _patch(self, module: ModuleType, **kwargs: Any) -> None:
        """Wrap the library (``module`` is ``_module``, just imported)."""
        raise NotImplementedError

    def _unpatch(self, **kwargs: Any) -> None:
        """Undo `_patch`."""
        raise NotImplementedError

    def when_imported(self, name: str, patch: Callable[[ModuleType], None], *, check_version: bool = False) -> None:
        """Run ``patch(module)`` now if ``name`` is imported, else right after the program first imports it.

        Nothing runs if ``uninstrument()`` came first. A failure is logged and swallowed: the program's import
        never fails because of us. With ``check_version``, an unsupported installed version is logged (warning)
        and nothing is patched.
        """
        token = self._token

        def run(module: ModuleType) -> None:
            if token is None or self._token is not token:
                return
            with handle_internal_errors(f"{type(self).__name__}.patch({name})"):
                if check_version:
                    conflict = get_dependency_conflicts(list(self._instruments))
                    if conflict is not None:
                        logger.warning("%s not enabled: %s", type(self).__name__, conflict)
                        return
                self._patched = True  # set first, so that a patch that fails half-way is still undone
                patch(module)

        module = sys.modules.get(name)
        if module is not None:
            run(module)
        else:
            register_post_import_hook(run, name)

    def _require(self, module_name: str) -> ModuleType:
        """Import the target library, raising if it is missing or its version is unsupported (eager instrumentors)."""
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

"""Serve smolagents tools from the recording in a replay.

``Tool.__call__`` (setup, input handling, ``forward``, output handling) is replaced, under our instrumentor's
wrapper of it (the ``execute_tool`` span, which is installed after this patch: the replay runner installs it before
the program imports smolagents), by the recorded result (``__call__``'s return value as the span recorded it), the
override, or the recorded exception. The agent then builds its observation from it as usual. Matched by tool name
and call order (``smolagents:<name>``), checked by the span's recorded arguments. A subclass with its own
``__call__`` runs for real.
"""

from __future__ import annotations

import functools
from typing import Any

import wrapt

from otel_agent_trace._internal.replay import ReplayServer

from ._tools import framework, serving

FRAMEWORK = framework("SmolagentsInstrumentor")


def install_smolagents(server: ReplayServer) -> None:
    """Serve smolagents tools from ``server`` once ``smolagents.tools`` is imported."""
    wrapt.when_imported("smolagents.tools")(functools.partial(_patch, server))


def _name(tool: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    name = getattr(tool, "name", None)
    return name if isinstance(name, str) and name else type(tool).__name__


def _patch(server: ReplayServer, module: Any) -> None:
    cls = getattr(module, "Tool", None)
    call = vars(cls).get("__call__") if isinstance(cls, type) else None
    if call is None or getattr(cls, "_otel_agent_trace_replay", False):
        return
    setattr(cls, "__call__", serving(call, server, FRAMEWORK, _name))  # noqa: B010
    setattr(cls, "_otel_agent_trace_replay", True)  # noqa: B010

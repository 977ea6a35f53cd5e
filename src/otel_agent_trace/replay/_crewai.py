"""Serve CrewAI tools built by ``@tool`` (``crewai.tools.base_tool.Tool``) from the recording in a replay.

CrewAI runs such a tool as ``Tool.run`` (native function calling: argument validation, the usage limit, the
function) or, for a ReAct agent, through ``CrewStructuredTool.invoke``, which calls the tool's ``_run`` (the
function); async agents use ``_arun``. Those three are replaced, under our instrumentor's wrappers of ``run`` and
``invoke`` (the ``execute_tool`` span, installed after this patch), by the recorded result, the override, or the
recorded exception. CrewAI then makes the observation from it as usual. Matched by tool name and call order
(``crewai:<name>``), checked by the span's recorded arguments. ``BaseTool`` subclasses with their own ``_run`` run
for real.
"""

from __future__ import annotations

import functools
from typing import Any

import wrapt

from otel_agent_trace._internal.replay import ReplayServer

from ._tools import framework, serving, serving_async

FRAMEWORK = framework("CrewAIInstrumentor")


def install_crewai(server: ReplayServer) -> None:
    """Serve CrewAI ``@tool`` tools from ``server`` once ``crewai.tools.base_tool`` is imported."""
    wrapt.when_imported("crewai.tools.base_tool")(functools.partial(_patch, server))


def _name(tool: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    return str(getattr(tool, "name", None) or type(tool).__name__)


def _patch(server: ReplayServer, module: Any) -> None:
    cls = getattr(module, "Tool", None)
    if not isinstance(cls, type) or getattr(cls, "_otel_agent_trace_replay", False):
        return
    for method, wrap in (("run", serving), ("_run", serving), ("_arun", serving_async)):
        original = vars(cls).get(method)
        if original is not None:
            setattr(cls, method, wrap(original, server, FRAMEWORK, _name))
    setattr(cls, "_otel_agent_trace_replay", True)  # noqa: B010

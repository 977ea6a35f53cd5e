"""Serve LangChain tools from the recording: ``StructuredTool`` and ``Tool`` (what ``@tool`` builds) in a replay.

The patch sits on the tools' ``_run``/``_arun``, inside ``BaseTool.run``: LangChain's callbacks (our
``execute_tool`` span) and its output formatting (the ``ToolMessage`` a ``ToolNode`` builds) still happen; only the
function body is replaced by the recorded result, the override, or the recorded exception (see `_tools`). Tools are
matched by name and call order (``langchain:<name>`` in the cassette). Tool classes with their own ``_run`` are not
served: they run for real. Installed when ``langchain_core.tools`` is imported (nothing is imported here).
"""

from __future__ import annotations

import functools
from typing import Any

import wrapt

from otel_agent_trace._internal.replay import ReplayServer

from ._tools import framework, serving, serving_async

FRAMEWORK = framework("LangChainInstrumentor")
_CLASSES = (("langchain_core.tools.structured", "StructuredTool"), ("langchain_core.tools.simple", "Tool"))


def install_langchain(server: ReplayServer) -> None:
    """Serve LangChain tools from ``server`` once their modules are imported."""
    for module_name, class_name in _CLASSES:
        wrapt.when_imported(module_name)(functools.partial(_patch_class, server, class_name))


def _name(tool: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    return str(getattr(tool, "name", "") or type(tool).__name__)


def _patch_class(server: ReplayServer, class_name: str, module: Any) -> None:
    cls = getattr(module, class_name, None)
    if cls is None or getattr(cls, "_otel_agent_trace_replay", False):
        return
    cls._run = serving(cls._run, server, FRAMEWORK, _name)
    cls._arun = serving_async(cls._arun, server, FRAMEWORK, _name)
    cls._otel_agent_trace_replay = True

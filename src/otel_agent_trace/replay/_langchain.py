"""Serve LangChain tools from the recording: ``StructuredTool`` and ``Tool`` (what ``@tool`` builds) in a replay.

The patch sits on the tools' ``_run``/``_arun``, inside ``BaseTool.run``: LangChain's callbacks (our
``execute_tool`` span) and its output formatting (the ``ToolMessage`` a ``ToolNode`` builds) still happen; only the
function body is replaced by the recorded result, the override, or the recorded exception. Tools are matched by name
and call order (``langchain:<name>`` in the cassette); the result comes back as recorded (JSON decoded, else its
text), not as the original object. Tool classes with their own ``_run`` are not served: they run for real.
Installed when ``langchain_core.tools`` is imported (nothing is imported here).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import wrapt

from otel_agent_trace._internal.replay import NOT_SERVED, ReplayServer

PREFIX = "langchain:"
_CLASSES = (("langchain_core.tools.structured", "StructuredTool"), ("langchain_core.tools.simple", "Tool"))


def install_langchain(server: ReplayServer) -> None:
    """Serve LangChain tools from ``server`` once their modules are imported."""
    for module_name, class_name in _CLASSES:
        wrapt.when_imported(module_name)(functools.partial(_patch_class, server, class_name))


def _patch_class(server: ReplayServer, class_name: str, module: Any) -> None:
    cls = getattr(module, class_name, None)
    if cls is None or getattr(cls, "_otel_agent_trace_replay", False):
        return
    cls._run = _serving(cls._run, server)
    cls._arun = _serving_async(cls._arun, server)
    cls._otel_agent_trace_replay = True


def _served(server: ReplayServer, tool: Any) -> Any:
    name = PREFIX + str(getattr(tool, "name", "") or type(tool).__name__)
    return server.serve("tool", name, server.occurrence("tool", name), None)


def _serving(original: Callable[..., Any], server: ReplayServer) -> Callable[..., Any]:
    @functools.wraps(original)
    def _run(self: Any, *args: Any, **kwargs: Any) -> Any:
        value = _served(server, self)
        return original(self, *args, **kwargs) if value is NOT_SERVED else value

    return _run


def _serving_async(original: Callable[..., Any], server: ReplayServer) -> Callable[..., Any]:
    @functools.wraps(original)
    async def _arun(self: Any, *args: Any, **kwargs: Any) -> Any:
        value = _served(server, self)
        if value is NOT_SERVED:
            return await original(self, *args, **kwargs)
        return value

    return _arun

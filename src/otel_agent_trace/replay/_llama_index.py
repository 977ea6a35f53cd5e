"""Serve LlamaIndex ``FunctionTool``s from the recording in a replay.

``FunctionTool.call``/``acall`` (traced by the dispatcher: our ``execute_tool`` span) run the user's function as
``self._fn`` / ``self._async_fn``; each new ``FunctionTool`` gets those two replaced by functions that return the
recorded result (the tool's ``raw_output`` as the span recorded it), the override, or raise the recorded exception.
The ``ToolOutput`` is built from it as usual (content blocks, callbacks). Matched by tool name and call order
(``llama_index:<name>``), checked by the span's recorded arguments. Other ``BaseTool`` classes run for real.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import wrapt

from otel_agent_trace._internal.replay import ReplayServer

from ._tools import NOT_SERVED, framework, serve_tool

FRAMEWORK = framework("LlamaIndexInstrumentor")


def install_llama_index(server: ReplayServer) -> None:
    """Serve LlamaIndex function tools from ``server`` once ``llama_index.core.tools.function_tool`` is imported."""
    wrapt.when_imported("llama_index.core.tools.function_tool")(functools.partial(_patch, server))


def _patch(server: ReplayServer, module: Any) -> None:
    cls = getattr(module, "FunctionTool", None)
    original_init: Callable[..., None] | None = vars(cls).get("__init__") if isinstance(cls, type) else None
    if original_init is None or getattr(cls, "_otel_agent_trace_replay", False):
        return

    @functools.wraps(original_init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self._fn = _sync(self, self._fn, server)
        self._async_fn = _async(self, self._async_fn, server)

    setattr(cls, "__init__", __init__)  # noqa: B010
    setattr(cls, "_otel_agent_trace_replay", True)  # noqa: B010


def _name(tool: Any) -> str:
    try:
        return str(tool.metadata.get_name())
    except Exception:  # noqa: BLE001 - a tool without usable metadata: named by its class
        return type(tool).__name__


def _sync(tool: Any, fn: Callable[..., Any], server: ReplayServer) -> Callable[..., Any]:
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        value = serve_tool(server, FRAMEWORK, _name(tool))
        return fn(*args, **kwargs) if value is NOT_SERVED else value

    return run


def _async(tool: Any, fn: Callable[..., Any], server: ReplayServer) -> Callable[..., Any]:
    @functools.wraps(fn)
    async def run(*args: Any, **kwargs: Any) -> Any:
        value = serve_tool(server, FRAMEWORK, _name(tool))
        if value is NOT_SERVED:
            return await fn(*args, **kwargs)
        return value

    return run

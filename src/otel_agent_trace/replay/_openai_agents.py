"""Serve OpenAI Agents SDK function tools from the recording, and keep the SDK's own trace upload off, in a replay.

Tools: the SDK runs a ``FunctionTool`` through ``agents.run_internal.tool_execution`` which, inside the tool's
``function_span`` (our ``execute_tool`` span) and after the input guardrails and ``on_tool_start`` hooks, awaits
``_invoke_function_tool_with_metadata(function_tool=, context=, arguments=)``: the one call that runs
``on_invoke_tool`` (the SDK's own invoker: argument parsing, the user's function, failure handling, timeout). That
call is replaced by the recorded result (the tool's output as the span recorded it), the override, or the recorded
exception; the output guardrails, ``on_tool_end`` hooks and the tool output item the model gets next still happen.
Matched by the function span's name and call order (``openai_agents:<name>``), checked by the raw arguments JSON the
model sent (the span's ``gen_ai.tool.call.arguments``). An SDK version without that function is not served: its
tools run for real and the replay report says so.

Trace upload: by default the SDK also uploads its traces to OpenAI's backend (``BackendSpanExporter``); a replay
makes no network call, so that exporter's ``export`` does nothing here. Our tracing processor is not affected.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import wrapt

from ._server import CassetteServer
from ._tools import NOT_SERVED, framework, serve_tool

FRAMEWORK = framework("OpenAIAgentsInstrumentor")
_EXECUTION = "agents.run_internal.tool_execution"
_INVOKE = "_invoke_function_tool_with_metadata"


def install_openai_agents(server: CassetteServer) -> None:
    """Serve Agents SDK function tools from ``server`` and mute the SDK's trace upload, once they are imported."""
    wrapt.when_imported(_EXECUTION)(functools.partial(_patch_execution, server))
    wrapt.when_imported("agents.tracing.processors")(_mute_backend)


def _tool_name(function_tool: Any) -> str:
    """The function span's name (what our ``execute_tool`` span is named after), else the tool's name."""
    span = getattr(sys.modules.get("agents.tracing"), "get_current_span", lambda: None)()
    data = getattr(span, "span_data", None)
    name = getattr(data, "name", None)
    if getattr(data, "type", None) == "function" and name:
        return str(name)
    return str(getattr(function_tool, "name", "") or type(function_tool).__name__)


def _patch_execution(server: CassetteServer, module: Any) -> None:
    original = getattr(module, _INVOKE, None)
    result_cls = getattr(sys.modules.get("agents.tool"), "_FunctionToolInvocationResult", None)
    if getattr(original, "_otel_agent_trace_replay", False):
        return
    if not callable(original) or not isinstance(result_cls, type):
        server.notes.append(f"this Agents SDK has no {_EXECUTION}.{_INVOKE}: its function tools ran for real")
        return
    module.__dict__[_INVOKE] = _serving_invoke(original, result_cls, server)


def _serving_invoke(original: Callable[..., Any], result_cls: type, server: CassetteServer) -> Callable[..., Any]:
    @functools.wraps(original)
    async def invoke(*args: Any, **kwargs: Any) -> Any:
        arguments = kwargs.get("arguments")
        value = serve_tool(
            server,
            FRAMEWORK,
            _tool_name(kwargs.get("function_tool")),
            arguments if isinstance(arguments, str) else None,
        )
        if value is NOT_SERVED:
            return await original(*args, **kwargs)
        return result_cls(value)

    invoke._otel_agent_trace_replay = True  # type: ignore[attr-defined]
    return invoke


def _mute_backend(module: Any) -> None:
    cls = getattr(module, "BackendSpanExporter", None)
    if not isinstance(cls, type) or getattr(cls, "_otel_agent_trace_replay", False):
        return

    def export(self: Any, items: Any, *args: Any, **kwargs: Any) -> None:
        """Replay: the SDK's traces are not uploaded (no network call); ours go to the replay's store."""

    for method in ("export", "_export_with_deadline"):
        if method in vars(cls):
            setattr(cls, method, export)
    setattr(cls, "_otel_agent_trace_replay", True)  # noqa: B010

"""What serving a framework's tools from the recording shares, whatever the framework (LangChain, Agents SDK...).

A framework tool is served by replacing its *body* (the user's function, or the call that runs it) inside the
framework's own call path, so that the framework's callbacks, our ``execute_tool`` span and the output formatting
still happen. Each tool call asks the cassette server for ``{framework}:{tool name}``, numbered by call order
(the prefixes are rca/_replay_cassette.py's ``FRAMEWORK_TOOLS``, by instrumentor: `framework`). The server
answers with the override, the recorded result (JSON decoded, else the text), raises the recorded exception, stops
the replay (diverged), or says `NOT_SERVED` (run the body for real: ``allow_live``).

The arguments fingerprint: the instrumentor has already put ``gen_ai.tool.call.arguments`` on the tool span (made
current) when the body runs, serialized exactly as in the recorded run, so `current_arguments` reads it from there
and the server checks it against the recorded one: a call with other arguments than recorded is not served the
recorded result.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from opentelemetry import trace

from otel_agent_trace._internal.replay import NOT_SERVED, ReplayServer
from otel_agent_trace.rca._replay_cassette import API_SCOPE, FRAMEWORK_TOOLS
from otel_agent_trace.semconv import gen_ai

__all__ = ["NOT_SERVED", "current_arguments", "framework", "serve_tool", "serving", "serving_async"]

NameOf = Callable[[Any, tuple[Any, ...], dict[str, Any]], str]
"""``(self, args, kwargs) -> tool name`` of a patched method's call."""


def framework(instrumentor: str) -> str:
    """The cassette-name prefix of the tools of our instrumentor class ``instrumentor`` (``"langchain:"``...)."""
    return FRAMEWORK_TOOLS[f"{API_SCOPE}.{instrumentor}"]


def current_arguments() -> str | None:
    """The serialized arguments on the current span, if it is an ``execute_tool`` span that has them."""
    attributes = getattr(trace.get_current_span(), "attributes", None)
    if attributes is None:
        return None
    try:
        if attributes.get(gen_ai.GEN_AI_OPERATION_NAME) != "execute_tool":
            return None
        value = attributes.get(gen_ai.GEN_AI_TOOL_CALL_ARGUMENTS)
    except Exception:  # noqa: BLE001 - not an SDK span's attribute mapping: no fingerprint, served by order alone
        return None
    return value if isinstance(value, str) else None


def serve_tool(server: ReplayServer, prefix: str, name: str, arguments: str | None = None) -> Any:
    """The value the tool ``name`` of a framework returns in this replay, or `NOT_SERVED`; may raise (see above).

    ``prefix``: the framework's (`framework`). ``arguments``: the call's serialized arguments as the instrumentor
    records them (default: `current_arguments`).
    """
    cassette_name = prefix + name
    if arguments is None:
        arguments = current_arguments()
    return server.serve("tool", cassette_name, server.occurrence("tool", cassette_name), arguments)


def serving(original: Callable[..., Any], server: ReplayServer, prefix: str, name_of: NameOf) -> Callable[..., Any]:
    """``original`` (a method running a tool's body), returning the served value instead of running when served."""

    @functools.wraps(original)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        value = serve_tool(server, prefix, name_of(self, args, kwargs))
        return original(self, *args, **kwargs) if value is NOT_SERVED else value

    return method


def serving_async(
    original: Callable[..., Any], server: ReplayServer, prefix: str, name_of: NameOf
) -> Callable[..., Any]:
    """The coroutine-method twin of `serving`."""

    @functools.wraps(original)
    async def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        value = serve_tool(server, prefix, name_of(self, args, kwargs))
        if value is NOT_SERVED:
            return await original(self, *args, **kwargs)
        return value

    return method

"""Carry the OpenTelemetry context, correlation ids and the current agent run into threads.

``contextvars`` follow ``await`` and asyncio tasks by themselves but not ``threading.Thread`` or
``concurrent.futures.ThreadPoolExecutor``. This instrumentor copies the context when a thread is started or a
job submitted, so spans made there keep their parent, and the processor still finds the session's ids.

Usage::

    from otel_agent_trace.instrumentation.threading import ThreadingInstrumentor
    ThreadingInstrumentor().instrument()
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Collection
from concurrent import futures
from typing import Any

from opentelemetry.instrumentation.utils import unwrap
from wrapt import wrap_function_wrapper

from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace.instrumentation._base import AgentInstrumentor

_CTX_ATTR = "_otel_agent_trace_context"


def _start(wrapped: Callable[..., Any], instance: threading.Thread, args: Any, kwargs: Any) -> Any:
    with handle_internal_errors("threading.Thread.start"):
        setattr(instance, _CTX_ATTR, contextvars.copy_context())
    return wrapped(*args, **kwargs)


def _run(wrapped: Callable[..., Any], instance: threading.Thread, args: Any, kwargs: Any) -> Any:
    ctx: contextvars.Context | None = getattr(instance, _CTX_ATTR, None)
    if ctx is None:
        return wrapped(*args, **kwargs)
    return ctx.run(wrapped, *args, **kwargs)


def _submit(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
    if not args:
        return wrapped(*args, **kwargs)
    fn, *rest = args
    ctx = contextvars.copy_context()
    return wrapped(ctx.run, fn, *rest, **kwargs)


class ThreadingInstrumentor(AgentInstrumentor):
    """Propagates context into ``threading.Thread`` and ``ThreadPoolExecutor`` jobs."""

    def instrumentation_dependencies(self) -> Collection[str]:
        """Standard library only."""
        return ()

    def _instrument(self, **kwargs: Any) -> None:
        wrap_function_wrapper(threading, "Thread.start", _start)
        wrap_function_wrapper(threading, "Thread.run", _run)
        wrap_function_wrapper(futures.ThreadPoolExecutor, "submit", _submit)

    def _uninstrument(self, **kwargs: Any) -> None:
        unwrap(threading.Thread, "start")
        unwrap(threading.Thread, "run")
        unwrap(futures.ThreadPoolExecutor, "submit")

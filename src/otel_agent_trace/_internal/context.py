"""Context shared by the manual API, the instrumentors and the processor: correlation ids and the current run.

Both live in ``contextvars``, so they follow ``await`` and asyncio tasks by themselves; `propagate_context`
and the threading patch in ``otel_agent_trace.instrumentation.threading`` carry them into threads.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import itertools
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

from opentelemetry import context as otel_context
from opentelemetry.context import _SUPPRESS_HTTP_INSTRUMENTATION_KEY
from opentelemetry.instrumentation.utils import (
    is_http_instrumentation_enabled,
    is_instrumentation_enabled,
    suppress_http_instrumentation,
    suppress_instrumentation,
)
from opentelemetry.trace import Span, set_span_in_context

__all__ = [
    "Correlation",
    "RunState",
    "ToolScope",
    "attach_span",
    "current_correlation",
    "current_run",
    "current_tool",
    "is_enabled",
    "is_http_instrumentation_enabled",
    "propagate_context",
    "suppress_http_instrumentation",
    "suppress_instrumentation",
    "use_correlation",
    "use_run",
    "use_tool",
]

_P = ParamSpec("_P")
_R = TypeVar("_R")


@dataclass(frozen=True)
class Correlation:
    """Correlation ids copied onto every span of a session by the processor."""

    session_id: str | None = None
    user_id: str | None = None
    request_id: str | None = None
    agent_version: str | None = None
    agent_config_hash: str | None = None
    environment: str | None = None
    tags: tuple[str, ...] = ()

    def merged(self, outer: Correlation | None) -> Correlation:
        """This correlation, with the fields it leaves unset taken from ``outer``."""
        if outer is None:
            return self
        return Correlation(
            session_id=self.session_id or outer.session_id,
            user_id=self.user_id or outer.user_id,
            request_id=self.request_id or outer.request_id,
            agent_version=self.agent_version or outer.agent_version,
            agent_config_hash=self.agent_config_hash or outer.agent_config_hash,
            environment=self.environment or outer.environment,
            tags=tuple(dict.fromkeys(outer.tags + self.tags)),
        )


@dataclass
class RunState:
    """One agent run: its id, its agent, its span, a step counter and its latest state snapshot."""

    agent_name: str | None = None
    agent_id: str | None = None
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    parent: RunState | None = None
    last_state_hash: str | None = None
    last_state_json: dict[str, str] | None = None
    span: Span | None = field(default=None, repr=False, compare=False)
    """The run's own span (set by ``agent_run``; ``record_outcome`` records on it)."""
    _steps: Iterator[int] = field(default_factory=itertools.count, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def next_step(self) -> int:
        """The next step index of this run (thread-safe, starts at 0)."""
        with self._lock:
            return next(self._steps)


_correlation: contextvars.ContextVar[Correlation | None] = contextvars.ContextVar(
    "otel_agent_trace_correlation", default=None
)
_run: contextvars.ContextVar[RunState | None] = contextvars.ContextVar("otel_agent_trace_run", default=None)


@dataclass(frozen=True)
class ToolScope:
    """The tool call in progress: HTTP spans made inside it are marked as its external interactions."""

    name: str
    call_id: str | None = None


_tool: contextvars.ContextVar[ToolScope | None] = contextvars.ContextVar("otel_agent_trace_tool", default=None)


def current_tool() -> ToolScope | None:
    """The tool call in progress here, if any."""
    return _tool.get()


@contextmanager
def use_tool(tool: ToolScope) -> Iterator[ToolScope]:
    """Make ``tool`` the tool call in progress inside the block."""
    token = _tool.set(tool)
    try:
        yield tool
    finally:
        _tool.reset(token)


def current_correlation() -> Correlation | None:
    """The correlation ids in force here, if any."""
    return _correlation.get()


def current_run() -> RunState | None:
    """The agent run in progress here, if any."""
    return _run.get()


@contextmanager
def use_correlation(correlation: Correlation) -> Iterator[Correlation]:
    """Make ``correlation`` (merged with the outer one) current inside the block."""
    merged = correlation.merged(_correlation.get())
    token = _correlation.set(merged)
    try:
        yield merged
    finally:
        _correlation.reset(token)


@contextmanager
def use_run(run: RunState) -> Iterator[RunState]:
    """Make ``run`` the current agent run inside the block."""
    token = _run.set(run)
    try:
        yield run
    finally:
        _run.reset(token)


def is_enabled() -> bool:
    """False inside ``suppress_instrumentation()``: instrumentors then call straight through."""
    return is_instrumentation_enabled()


def propagate_context(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Bind ``func`` to a copy of the current context (span, correlation, run) for use in another thread.

    Each call runs in its own copy of that context, so the bound function may run in several threads at once, or
    call itself, without "context already entered" errors.
    """
    ctx = contextvars.copy_context()

    def run_in_context(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        return ctx.copy().run(func, *args, **kwargs)

    with contextlib.suppress(Exception):  # a hostile callable: the wrapper works without its metadata
        functools.update_wrapper(run_in_context, func)
    return run_in_context


_llm_suppressed: contextvars.ContextVar[bool] = contextvars.ContextVar("otel_agent_trace_llm_suppressed", default=False)


def is_llm_instrumentation_enabled() -> bool:
    """False inside `suppress_llm_instrumentation`: the LLM SDK instrumentors (openai, anthropic) call straight through.

    A router instrumentor (litellm) that already made the span of an LLM call sets it around the SDK call it makes
    for that same call, so one call has one LLM span.
    """
    return not _llm_suppressed.get()


@contextmanager
def suppress_llm_instrumentation() -> Iterator[None]:
    """Inside the block, LLM SDK instrumentors record no span (their HTTP and other spans are not affected)."""
    token = _llm_suppressed.set(True)
    try:
        yield
    finally:
        _llm_suppressed.reset(token)


def attach_span(span: Span, *, suppress_http: bool) -> contextvars.Token[otel_context.Context]:
    """Make ``span`` current (and, with ``suppress_http``, turn HTTP instrumentation off) in one ``attach``.

    Returns the token for ``opentelemetry.context.detach``. LLM instrumentors suppress HTTP so no duplicate HTTP
    span appears under their span; HTTP instrumentors so that a nested client (urllib3 under requests) adds none.
    """
    ctx = set_span_in_context(span)
    if suppress_http:
        ctx = otel_context.set_value(_SUPPRESS_HTTP_INSTRUMENTATION_KEY, True, ctx)
    return otel_context.attach(ctx)

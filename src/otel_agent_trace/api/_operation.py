"""One object per operation that is a context manager (sync and async) and a decorator.

A decorated function gets a fresh operation per call, so one decorator is safe across threads and tasks.
Functions, coroutine functions, generator functions and async generator functions are all supported; for
generators the operation spans the whole iteration.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack
from typing import Any, Generic, TypeVar

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span

from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace._internal.settings import capture_content
from otel_agent_trace._internal.tracing import record_failure

_H = TypeVar("_H")
_F = TypeVar("_F", bound=Callable[..., Any])


class Operation(Generic[_H]):
    """Base of the manual API's operations. Subclasses implement `_enter` and `_exit`."""

    def __init__(self) -> None:
        self._active: list[_H] = []

    # -- subclass hooks -------------------------------------------------------------------------------------------
    def _enter(self) -> _H:
        raise NotImplementedError

    def _exit(self, handle: _H, exc: BaseException | None) -> None:
        raise NotImplementedError

    def _clone(self) -> Operation[_H]:
        """A fresh operation with the same parameters (one per decorated call)."""
        raise NotImplementedError

    def _on_call(self, handle: _H, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Decorator hook: the decorated function is about to run with these arguments."""

    def _on_return(self, handle: _H, result: Any) -> None:
        """Decorator hook: the decorated function returned ``result``."""

    def _keeps_result(self) -> bool:
        """Whether a decorated generator's items are collected for `_on_return` (results are content)."""
        return capture_content()

    def start(self) -> _H:
        """Start the operation without ``with``: returns its handle; call ``stop()`` or ``fail(exc)`` on it.

        The span is current from here until the handle is stopped; stop it in the same thread or task.
        """
        return self._enter()

    # -- context manager ------------------------------------------------------------------------------------------
    def __enter__(self) -> _H:
        handle = self._enter()
        self._active.append(handle)
        return handle

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if self._active:
            self._exit(self._active.pop(), exc)

    async def __aenter__(self) -> _H:
        return self.__enter__()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        self.__exit__(exc_type, exc, tb)

    # -- decorator ------------------------------------------------------------------------------------------------
    def __call__(self, func: _F) -> _F:
        """Use the operation as a decorator: each call of ``func`` runs inside a fresh copy of it."""
        if inspect.isasyncgenfunction(func):
            return self._wrap_async_gen(func)  # type: ignore[return-value]
        if inspect.isgeneratorfunction(func):
            return self._wrap_gen(func)  # type: ignore[return-value]
        if inspect.iscoroutinefunction(func):
            return self._wrap_async(func)  # type: ignore[return-value]
        return self._wrap_sync(func)  # type: ignore[return-value]

    def _begin(self, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, _H]:
        op = self._clone()
        handle = op.__enter__()
        with handle_internal_errors("api.on_call"):
            op._on_call(handle, func, args, kwargs)
        return op, handle

    @staticmethod
    def _returned(op: Operation[Any], handle: Any, result: Any) -> None:
        with handle_internal_errors("api.on_return"):
            op._on_return(handle, result)

    def _wrap_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            op, handle = self._begin(func, args, kwargs)
            try:
                result = func(*args, **kwargs)
            except BaseException as exc:
                op.__exit__(type(exc), exc, exc.__traceback__)
                raise
            self._returned(op, handle, result)
            op.__exit__(None, None, None)
            return result

        return wrapper

    def _wrap_async(self, func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            op, handle = self._begin(func, args, kwargs)
            try:
                result = await func(*args, **kwargs)
            except BaseException as exc:
                op.__exit__(type(exc), exc, exc.__traceback__)
                raise
            self._returned(op, handle, result)
            op.__exit__(None, None, None)
            return result

        return wrapper

    def _wrap_gen(self, func: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
            op, handle = self._begin(func, args, kwargs)
            items: list[Any] | None = [] if op._keeps_result() else None
            try:
                for item in func(*args, **kwargs):
                    if items is not None:
                        items.append(item)
                    yield item
            except BaseException as exc:
                op.__exit__(type(exc), exc, exc.__traceback__)
                raise
            if items is not None:
                self._returned(op, handle, items)
            op.__exit__(None, None, None)

        return wrapper

    def _wrap_async_gen(self, func: Callable[..., AsyncIterator[Any]]) -> Callable[..., AsyncIterator[Any]]:
        @functools.wraps(func)
        async def wrapper(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            op, handle = self._begin(func, args, kwargs)
            items: list[Any] | None = [] if op._keeps_result() else None
            try:
                async for item in func(*args, **kwargs):
                    if items is not None:
                        items.append(item)
                    yield item
            except BaseException as exc:
                op.__exit__(type(exc), exc, exc.__traceback__)
                raise
            if items is not None:
                self._returned(op, handle, items)
            op.__exit__(None, None, None)

        return wrapper


class SpanHandle:
    """A live span opened by the manual API. ``stop()`` ends it, ``fail(exc)`` records ``exc`` and ends it."""

    __slots__ = ("_ended", "_stack", "span")

    def __init__(self, span: Span, stack: ExitStack) -> None:
        self.span = span
        self._stack = stack
        self._ended = False

    @property
    def span_id(self) -> str:
        """The span id as 16 hex digits."""
        return format(self.span.get_span_context().span_id, "016x")

    @property
    def trace_id(self) -> str:
        """The trace id as 32 hex digits."""
        return format(self.span.get_span_context().trace_id, "032x")

    def set_attribute(self, key: str, value: Any) -> None:
        """Set one attribute on the span (ignored once ended)."""
        with handle_internal_errors("api.set_attribute"):
            self.span.set_attribute(key, value)

    def _before_end(self, exc: BaseException | None) -> None:
        """Subclass hook run just before the span ends."""

    def stop(self) -> None:
        """End the span (once; later calls do nothing)."""
        self._finish(None)

    def fail(self, exc: BaseException) -> None:
        """Record ``exc`` on the span (status ERROR) and end it."""
        self._finish(exc)

    def _finish(self, exc: BaseException | None) -> None:
        if self._ended:
            return
        self._ended = True
        with handle_internal_errors("api.finish"):
            if exc is not None and isinstance(exc, Exception):
                record_failure(self.span, exc)
            self._before_end(exc)
        with handle_internal_errors("api.detach"):
            self._stack.close()
        with handle_internal_errors("api.end"):
            self.span.end()


def attach_span(span: Span, stack: ExitStack) -> None:
    """Make ``span`` current until ``stack`` closes."""
    token = otel_context.attach(trace.set_span_in_context(span))
    stack.callback(otel_context.detach, token)

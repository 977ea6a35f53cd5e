"""One object per operation that is a context manager (sync and async) and a decorator.

A decorated function gets a fresh operation per call, so one decorator is safe across threads and tasks.
Functions, coroutine functions, generator functions and async generator functions are all supported; for
generators the operation spans the whole iteration.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack
from typing import Any, Generic, TypeVar

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span

from otel_agent_trace._internal.errors import guarded, handle_internal_errors, log_internal_error
from otel_agent_trace._internal.jsonable import MAX_ITEMS
from otel_agent_trace._internal.replay import NOT_SERVED
from otel_agent_trace._internal.settings import capture_content
from otel_agent_trace._internal.tracing import record_failure

from ._values import attribute_value, mark_truncated, serialized, text, wraps

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

    def _serve(self, handle: _H) -> Any:
        """Decorator hook, in a replay only: the result to return instead of calling the function, or `NOT_SERVED`.

        May raise on purpose (a recorded exception, or `ReplayStop` when the replay cannot go on).
        """
        return NOT_SERVED

    def _keeps_result(self) -> bool:
        """Whether a decorated generator's items are collected for `_on_return` (results are content)."""
        return capture_content()

    def _fallback(self) -> _H:
        """The handle given when `_enter` failed: it works, records nothing."""
        raise NotImplementedError

    def _safe_enter(self) -> _H:
        try:
            return self._enter()
        except Exception:  # noqa: BLE001 - our fault: the user still gets a working handle
            log_internal_error("api.enter")
            return self._fallback()

    def start(self) -> _H:
        """Start the operation without ``with``: returns its handle; call ``stop()`` or ``fail(exc)`` on it.

        The span is current from here until the handle is stopped; stop it in the same thread or task.
        """
        return self._safe_enter()

    # -- context manager ------------------------------------------------------------------------------------------
    def __enter__(self) -> _H:
        handle = self._safe_enter()
        self._active.append(handle)
        return handle

    @guarded(default=None)
    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if self._active:
            self._exit(self._active.pop(), exc if issubclass(type(exc), BaseException) else None)

    async def __aenter__(self) -> _H:
        return self.__enter__()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        self.__exit__(exc_type, exc, tb)

    # -- decorator ------------------------------------------------------------------------------------------------
    def __call__(self, func: _F) -> _F:
        """Use the operation as a decorator: each call of ``func`` runs inside a fresh copy of it.

        Never raises: if ``func`` cannot even be inspected, it is wrapped as a plain function.
        """
        wrap: Callable[[Callable[..., Any]], Callable[..., Any]] = self._wrap_sync
        try:
            if inspect.isasyncgenfunction(func):
                wrap = self._wrap_async_gen
            elif inspect.isgeneratorfunction(func):
                wrap = self._wrap_gen
            elif inspect.iscoroutinefunction(func):
                wrap = self._wrap_async
        except Exception:  # noqa: BLE001 - a hostile callable (raising __getattr__/__class__)
            log_internal_error("api.decorate")
        try:
            return wrap(func)  # type: ignore[return-value]
        except Exception:  # noqa: BLE001 - cannot wrap: the function runs untraced
            log_internal_error("api.decorate")
            return func

    def _begin(self, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, _H]:
        op: Operation[_H] = self
        with handle_internal_errors("api.clone"):
            op = self._clone()
        handle = op.__enter__()
        with handle_internal_errors("api.on_call"):
            op._on_call(handle, func, args, kwargs)
        return op, handle

    @staticmethod
    def _returned(op: Operation[Any], handle: Any, result: Any) -> None:
        with handle_internal_errors("api.on_return"):
            op._on_return(handle, result)

    def _keeps(self, op: Operation[Any]) -> bool:
        try:
            return op._keeps_result()
        except Exception:  # noqa: BLE001 - settings unreadable
            log_internal_error("api.keeps_result")
            return False

    def _wrap_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            op, handle = self._begin(func, args, kwargs)
            try:
                result = op._serve(handle)
                if result is NOT_SERVED:
                    result = func(*args, **kwargs)
            except BaseException as exc:
                op.__exit__(type(exc), exc, exc.__traceback__)
                raise
            self._returned(op, handle, result)
            op.__exit__(None, None, None)
            return result

        return wraps(wrapper, func)

    def _wrap_async(self, func: Callable[..., Any]) -> Callable[..., Any]:
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            op, handle = self._begin(func, args, kwargs)
            try:
                result = op._serve(handle)
                if result is NOT_SERVED:
                    result = await func(*args, **kwargs)
            except BaseException as exc:
                op.__exit__(type(exc), exc, exc.__traceback__)
                raise
            self._returned(op, handle, result)
            op.__exit__(None, None, None)
            return result

        return wraps(wrapper, func)

    def _wrap_gen(self, func: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            op, handle = self._begin(func, args, kwargs)
            kept = _Kept(self._keeps(op))
            try:
                returned = yield from _Delegate(iter(func(*args, **kwargs)), kept)
            except BaseException as exc:
                op.__exit__(type(exc), exc, exc.__traceback__)
                raise
            if kept.items is not None:
                self._returned(op, handle, kept.result())
            op.__exit__(None, None, None)
            return returned

        return wraps(wrapper, func)

    def _wrap_async_gen(self, func: Callable[..., AsyncIterator[Any]]) -> Callable[..., AsyncIterator[Any]]:
        async def wrapper(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            op, handle = self._begin(func, args, kwargs)
            kept = _Kept(self._keeps(op))
            try:
                agen: Any = func(*args, **kwargs)
                try:
                    item = await agen.__anext__()
                    while True:
                        kept.add(item)
                        try:
                            sent = yield item
                        except GeneratorExit:
                            await agen.aclose()
                            raise
                        except BaseException as thrown:  # noqa: BLE001 - athrow() on us: hand it to the user's generator
                            item = await agen.athrow(thrown)
                        else:
                            item = await (agen.__anext__() if sent is None else agen.asend(sent))
                except StopAsyncIteration:
                    pass
            except BaseException as exc:
                op.__exit__(type(exc), exc, exc.__traceback__)
                raise
            if kept.items is not None:
                self._returned(op, handle, kept.result())
            op.__exit__(None, None, None)

        return wraps(wrapper, func)


class _Kept:
    """The first `MAX_ITEMS` items a decorated generator yields (when they are recorded), and how many it yielded."""

    __slots__ = ("count", "items")

    def __init__(self, keep: bool) -> None:
        self.items: list[Any] | None = [] if keep else None
        self.count = 0

    def add(self, item: Any) -> None:
        if self.items is not None:
            self.count += 1
            if len(self.items) < MAX_ITEMS:
                self.items.append(item)

    def result(self) -> list[Any]:
        items = list(self.items or ())
        if self.count > len(items):
            items.append(f"<{self.count - len(items)} more items>")
        return items


class _Delegate:
    """What a decorated generator ``yield from``s: the user's generator, with each item it yields noted.

    ``send``, ``throw`` and ``close`` reach the user's generator unchanged, and its return value comes back.
    """

    __slots__ = ("gen", "kept")

    def __init__(self, gen: Iterator[Any], kept: _Kept) -> None:
        self.gen: Any = gen
        self.kept = kept

    def __iter__(self) -> _Delegate:
        return self

    def __next__(self) -> Any:
        item = next(self.gen)
        self.kept.add(item)
        return item

    def send(self, value: Any) -> Any:
        item = self.gen.send(value)
        self.kept.add(item)
        return item

    def throw(self, *args: Any) -> Any:
        item = self.gen.throw(*args)
        self.kept.add(item)
        return item

    def close(self) -> None:
        close = getattr(self.gen, "close", None)
        if close is not None:
            close()


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
        """Set one attribute on the span (ignored once ended); any value is accepted (see `attribute_value`)."""
        with handle_internal_errors("api.set_attribute"):
            if value is not None:
                name = text(key)  # a str subclass too: its own __len__ may raise
                if name:
                    self.span.set_attribute(name, attribute_value(value))

    def _set_content(self, key: str, value: Any) -> str | None:
        """Set ``key`` to the serialized ``value`` (cut to the budget; a cut is listed in ``agent_trace.truncated``).

        Returns the serialized value (``None`` if it could not be made).
        """
        out: str | None = None
        with handle_internal_errors("api.set_content"):
            out, cut = serialized(value)
            self.span.set_attribute(key, out)
            if cut:
                mark_truncated(self.span, (key,))
        return out

    def _before_end(self, exc: BaseException | None) -> None:
        """Subclass hook run just before the span ends."""

    def stop(self) -> None:
        """End the span (once; later calls do nothing)."""
        self._finish(None)

    def fail(self, exc: BaseException) -> None:
        """Record ``exc`` on the span (status ERROR) and end it."""
        self._finish(exc if issubclass(type(exc), BaseException) else None)

    def _finish(self, exc: BaseException | None) -> None:
        if self._ended:
            return
        self._ended = True
        with handle_internal_errors("api.record_failure"):
            if exc is not None and issubclass(type(exc), Exception):
                record_failure(self.span, exc)
        with handle_internal_errors("api.before_end"):
            self._before_end(exc)
        with handle_internal_errors("api.detach"):
            self._stack.close()
        with handle_internal_errors("api.end"):
            self.span.end()


def attach_span(span: Span, stack: ExitStack) -> None:
    """Make ``span`` current until ``stack`` closes."""
    token = otel_context.attach(trace.set_span_in_context(span))
    stack.callback(otel_context.detach, token)

"""The generator proxy of the smolagents instrumentor, and the one way every wrapper runs the user's call.

A generator's body runs only while it is being iterated, so a traced generator is returned as a `TracedGenerator`
proxy that makes its span (and the run, tool and LLM-suppression context that goes with it) current for each
``next()`` / ``send()`` / ``throw()``, and ends the span exactly once: exhausted, raised, closed, or
garbage-collected unread.
"""

from __future__ import annotations

from collections.abc import Callable
from types import GeneratorType
from typing import TYPE_CHECKING, Any

from wrapt import ObjectProxy

from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace.instrumentation.smolagents._scopes import _Scope

if TYPE_CHECKING:
    _ProxyBase = ObjectProxy[Any]  # wrapt 2 ships generic stubs; the runtime class is not subscriptable
else:
    _ProxyBase = ObjectProxy


def _resume(proxy: TracedGenerator, method: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    scope: _Scope = proxy._self_scope
    tokens = scope.enter()
    try:
        item = method(*args)
    except StopIteration:
        scope.finish()
        raise
    except Exception as exc:
        scope.fail(exc)
        raise
    finally:
        scope.leave(tokens)
    scope.on_item(item)
    return item


class TracedGenerator(_ProxyBase):
    """A smolagents generator whose span is current while it runs and ends exactly once."""

    def __init__(self, wrapped: Any, scope: _Scope) -> None:
        super().__init__(wrapped)
        self._self_scope = scope

    def __iter__(self) -> TracedGenerator:
        return self

    def __next__(self) -> Any:
        return _resume(self, self.__wrapped__.__next__, ())

    def send(self, value: Any) -> Any:
        """``generator.send``, traced like ``next()``."""
        return _resume(self, self.__wrapped__.send, (value,))

    def throw(self, *args: Any) -> Any:
        """``generator.throw``, traced like ``next()``."""
        return _resume(self, self.__wrapped__.throw, args)

    def close(self) -> None:
        """Close the generator (its ``finally`` blocks run with the span current) and end the span."""
        scope: _Scope = self._self_scope
        tokens = scope.enter()
        try:
            self.__wrapped__.close()
        except Exception as exc:
            scope.fail(exc)
            raise
        finally:
            scope.leave(tokens)
            scope.abandon()

    def __del__(self) -> None:
        scope = getattr(self, "_self_scope", None)
        if scope is not None:
            scope.abandon()


def _returned(scope: _Scope, result: Any) -> Any:
    """What a traced call returned: a generator comes back proxied; anything else ends the span now."""
    if isinstance(result, GeneratorType):
        with handle_internal_errors(f"{scope.where}.proxy"):
            return TracedGenerator(result, scope)
    scope.finish(result)
    return result


def _call(scope: _Scope, wrapped: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    """Run the user's call once with ``scope`` current; its exception is recorded and re-raised unchanged."""
    tokens = scope.enter()
    try:
        result = wrapped(*args, **kwargs)
    except Exception as exc:
        scope.fail(exc)
        raise
    finally:
        scope.leave(tokens)
    return _returned(scope, result)

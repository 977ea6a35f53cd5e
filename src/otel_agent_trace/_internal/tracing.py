"""Getting our tracer and recording exceptions the OTel way."""

from __future__ import annotations

import traceback
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode

from otel_agent_trace.semconv import error as E
from otel_agent_trace.version import __version__

SCOPE_NAME = "otel_agent_trace"

_provider: trace.TracerProvider | None = None
_tracer: trace.Tracer | None = None


def set_default_tracer_provider(provider: trace.TracerProvider | None) -> None:
    """Make the manual API use ``provider`` (``None``: the global provider). ``init()`` calls this."""
    global _provider, _tracer
    _provider = provider
    _tracer = None


def get_tracer() -> trace.Tracer:
    """The manual API's tracer: from the provider given to `set_default_tracer_provider`, else the global one.

    With the global provider this is OTel's proxy tracer, so spans go to whatever provider is set later.
    """
    global _tracer
    tracer = _tracer
    if tracer is None:
        tracer = _tracer = trace.get_tracer(SCOPE_NAME, __version__, _provider)
    return tracer


def error_type_of(exc: BaseException) -> str:
    """``error.type`` of an exception: its qualified class name (``builtins.`` left off)."""
    cls = type(exc)
    module = cls.__module__
    return cls.__qualname__ if module in ("builtins", "__main__") else f"{module}.{cls.__qualname__}"


def format_stack(exc: BaseException) -> str:
    """The formatted traceback of ``exc``."""
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def record_failure(span: Span, exc: BaseException, *, escaped: bool = True) -> None:
    """Record ``exc`` on ``span``: exception event with stack, status ERROR, ``error.type``."""
    span.record_exception(exc, attributes={"exception.stacktrace": format_stack(exc)}, escaped=escaped)
    span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"[:1024]))
    span.set_attribute("error.type", error_type_of(exc))


def error_event_attributes(
    error: BaseException | str,
    *,
    handled: bool,
    code: str | int | None = None,
    handler: str | None = None,
    retry_attempt: int | None = None,
    post_state_json: str | None = None,
) -> dict[str, Any]:
    """Attributes of an ``agent_trace.error`` event: exception type, message, stack, and what handled it."""
    attributes: dict[str, Any] = {E.ERROR_HANDLED: handled}
    if isinstance(error, BaseException):
        attributes[E.EXCEPTION_TYPE] = error_type_of(error)
        attributes[E.EXCEPTION_MESSAGE] = str(error)
        if error.__traceback__ is not None:
            attributes[E.EXCEPTION_STACKTRACE] = format_stack(error)
    else:
        attributes[E.EXCEPTION_TYPE] = "error"
        attributes[E.EXCEPTION_MESSAGE] = str(error)
    if code is not None:
        attributes[E.ERROR_CODE] = str(code)
    if handler:
        attributes[E.ERROR_HANDLER] = handler
    if retry_attempt is not None:
        attributes[E.ERROR_RETRY_ATTEMPT] = int(retry_attempt)
    if post_state_json is not None:
        attributes[E.ERROR_POST_STATE] = post_state_json
    return attributes

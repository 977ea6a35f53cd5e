"""Getting our tracer and recording exceptions the OTel way."""

from __future__ import annotations

import traceback
from typing import Any, cast

from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode

from otel_agent_trace._internal.jsonable import encode, safe_repr
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
    try:
        module, name = cls.__module__, cls.__qualname__
    except Exception:  # noqa: BLE001 - a metaclass can make these raise
        return "Exception"
    if not issubclass(type(module), str) or not issubclass(type(name), str):
        return "Exception"
    return name if module in ("builtins", "__main__") else f"{module}.{name}"


def _small_int(value: Any) -> int | None:
    if value is None or issubclass(type(value), bool):
        return None
    try:
        number = int(value)
    except Exception:  # noqa: BLE001 - not an int, or a user's __int__ raised
        return None
    return number if -(1 << 63) <= number < 1 << 63 else None


_MAX_TEXT = 16 * 1024


def format_stack(exc: BaseException) -> str:
    """The formatted traceback of ``exc`` (its last 16 KiB); a marker if even that fails."""
    try:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    except Exception as fault:  # noqa: BLE001 - a hostile exception (raising __str__ is handled by traceback itself)
        return f"<traceback unavailable: {type(fault).__name__}>"
    return text if len(text) <= _MAX_TEXT else "..." + text[-_MAX_TEXT:]


def safe_str(value: Any, limit: int = _MAX_TEXT) -> str:
    """``str(value)``, cut to ``limit`` chars; its repr or a marker if ``__str__`` raises. Never raises."""
    if issubclass(type(value), str):  # the builtin's slots: a str subclass may override __len__/__getitem__
        text = str.__getitem__(value, slice(0, limit + 1))
    elif issubclass(type(value), (BaseException, int, float)) and not (
        issubclass(type(value), int) and value.bit_length() > 14_000
    ):
        try:
            text = str(value)
            if not issubclass(type(text), str):
                raise TypeError("__str__ returned a non-string")
        except Exception:  # noqa: BLE001 - a user's __str__ may raise
            text = safe_repr(value, limit)
    else:  # anything else, including containers, whose str() reads them whole (and recurses): bounded JSON
        text = encode(value, limit)
    return text if len(text) <= limit else text[:limit] + "..."


def safe_message(error: Any) -> str:
    """``Type: message`` of an exception, or the text of anything else."""
    if issubclass(type(error), BaseException):
        return f"{type(error).__name__}: {safe_str(error, 1024)}"
    return safe_str(error, 1024)


def record_failure(span: Span, exc: BaseException, *, escaped: bool = True) -> None:
    """Record ``exc`` on ``span``: exception event with stack, status ERROR, ``error.type``.

    An exception whose ``__str__`` raises is still recorded (its repr, or a marker, as the message).
    """
    stack = format_stack(exc)
    try:
        span.record_exception(exc, attributes={"exception.stacktrace": stack}, escaped=escaped)
    except Exception:  # noqa: BLE001 - the SDK calls str(exc); record the event ourselves
        span.add_event(
            "exception",
            {
                "exception.type": error_type_of(exc),
                "exception.message": safe_str(exc),
                "exception.stacktrace": stack,
                "exception.escaped": str(escaped),
            },
        )
    span.set_status(Status(StatusCode.ERROR, safe_message(exc)[:1024]))
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
    attributes: dict[str, Any] = {E.ERROR_HANDLED: handled if issubclass(type(handled), bool) else True}
    if issubclass(type(error), BaseException):
        exc = cast(BaseException, error)
        attributes[E.EXCEPTION_TYPE] = error_type_of(exc)
        attributes[E.EXCEPTION_MESSAGE] = safe_str(exc)
        if exc.__traceback__ is not None:
            attributes[E.EXCEPTION_STACKTRACE] = format_stack(exc)
    else:
        attributes[E.EXCEPTION_TYPE] = "error"
        attributes[E.EXCEPTION_MESSAGE] = safe_str(error)
    if code is not None:
        attributes[E.ERROR_CODE] = safe_str(code, 256)
    if handler is not None:
        handler_text = safe_str(handler, 256)
        if handler_text:
            attributes[E.ERROR_HANDLER] = handler_text
    attempt = _small_int(retry_attempt)
    if attempt is not None:
        attributes[E.ERROR_RETRY_ATTEMPT] = attempt
    if post_state_json is not None:
        attributes[E.ERROR_POST_STATE] = post_state_json
    return attributes

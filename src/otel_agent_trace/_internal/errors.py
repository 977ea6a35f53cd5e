"""Telemetry never breaks the agent: our own faults are logged once and swallowed."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

logger = logging.getLogger("otel_agent_trace")

_F = TypeVar("_F", bound=Callable[..., Any])
_seen: set[str] = set()
_MAX_SEEN = 1024


def log_internal_error(where: str) -> None:
    """Log the exception being handled, with its traceback the first time per place, briefly after that."""
    if where in _seen:
        logger.debug("otel-agent-trace internal error in %s (repeated)", where, exc_info=True)
        return
    if len(_seen) < _MAX_SEEN:
        _seen.add(where)
    logger.warning(
        "otel-agent-trace internal error in %s; telemetry skipped, the program goes on", where, exc_info=True
    )


@contextmanager
def handle_internal_errors(where: str) -> Iterator[None]:
    """Run a block of our own telemetry code; any ``Exception`` in it is logged and swallowed."""
    try:
        yield
    except Exception:  # noqa: BLE001 - the whole point: telemetry faults must not reach the user
        log_internal_error(where)


def guarded(default: Any = None) -> Callable[[_F], _F]:
    """Decorate one of our hooks so that an exception inside it is logged and ``default`` returned."""

    def decorate(func: _F) -> _F:
        where = f"{func.__module__}.{func.__qualname__}"

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except Exception:  # noqa: BLE001 - see handle_internal_errors
                log_internal_error(where)
                return default

        return wrapper  # type: ignore[return-value]

    return decorate

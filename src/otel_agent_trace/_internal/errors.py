"""Telemetry never breaks the agent: our own faults are logged (rate-limited) and swallowed.

Each fault site (``where``) logs at most one WARNING per `LOG_INTERVAL_S` on the ``otel_agent_trace`` logger:
the first with its traceback, the next ones (after the interval) saying how many more happened meanwhile.
Faults in between are counted, not logged, so a fault on every call does not flood the log.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

logger = logging.getLogger("otel_agent_trace")

_F = TypeVar("_F", bound=Callable[..., Any])
LOG_INTERVAL_S = 60.0
"""Shortest time between two log lines for one fault site."""
_MAX_SITES = 1024
_lock = threading.Lock()
_sites: dict[str, list[float]] = {}  # where -> [time of the last log line, faults not logged since]


def log_internal_error(where: str) -> None:
    """Log the exception being handled, rate-limited per ``where``; never raises."""
    try:
        now = time.monotonic()
        with _lock:
            site = _sites.get(where)
            if site is not None and now - site[0] < LOG_INTERVAL_S:
                site[1] += 1
                return
            if site is None and len(_sites) >= _MAX_SITES:
                return  # so many distinct sites is itself a bug; keep memory bounded
            suppressed = int(site[1]) if site is not None else 0
            _sites[where] = [now, 0]
        if suppressed:
            logger.warning(
                "otel-agent-trace internal error in %s (%d more since the last report); telemetry skipped, "
                "the program goes on",
                where,
                suppressed,
                exc_info=True,
            )
        else:
            logger.warning(
                "otel-agent-trace internal error in %s; telemetry skipped, the program goes on", where, exc_info=True
            )
    except Exception:  # noqa: BLE001 - logging itself failed (a hostile __str__ in a handler); nothing left to do
        pass


def reset_internal_error_log() -> None:
    """Forget the rate-limit state (tests)."""
    with _lock:
        _sites.clear()


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

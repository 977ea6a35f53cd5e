"""Error-handling attributes (beside the stable ``error.type`` and ``exception.*``)."""

from __future__ import annotations

from typing import Final

ERROR_TYPE: Final = "error.type"
"""Stable OTel name: class of the error (fully qualified) or a low-cardinality code."""
EXCEPTION_TYPE: Final = "exception.type"
"""Stable OTel name, on the ``exception`` event."""
EXCEPTION_MESSAGE: Final = "exception.message"
"""Stable OTel name, on the ``exception`` event."""
EXCEPTION_STACKTRACE: Final = "exception.stacktrace"
"""Stable OTel name, on the ``exception`` event."""
ERROR_CODE: Final = "agent_trace.error.code"
"""Provider or application error code (HTTP status, provider error code)."""
ERROR_MESSAGE: Final = "agent_trace.error.message"
"""The error message."""
ERROR_HANDLED: Final = "agent_trace.error.handled"
"""True when a handler caught the error and the run went on."""
ERROR_HANDLER: Final = "agent_trace.error.handler"
"""Name of the handler that was triggered (``retry``, ``fallback``...)."""
ERROR_POST_STATE: Final = "agent_trace.error.post_state"
"""State right after the error was handled, JSON (content capture only)."""
ERROR_RETRY_ATTEMPT: Final = "agent_trace.error.retry_attempt"
"""Retry attempt number, 1 for the first retry."""
ERROR_EVENT_NAME: Final = "agent_trace.error"
"""Name of the span event recorded by ``record_error``."""

"""otel-agent-trace: OpenTelemetry tracing and root-cause analysis for AI agents.

Importing this package loads only the OpenTelemetry API: ``init()`` (which needs the SDK) is imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import semconv
from ._internal.drops import dropped_spans
from .api import (
    Diagnosis,
    agent_run,
    agent_session,
    agent_step,
    decision,
    diagnose,
    propagate_context,
    record_error,
    record_outcome,
    snapshot_state,
    step,
    tool_call,
)
from .version import __version__

if TYPE_CHECKING:
    from .configuration import init

__all__ = [
    "Diagnosis",
    "__version__",
    "agent_run",
    "agent_session",
    "agent_step",
    "decision",
    "diagnose",
    "dropped_spans",
    "init",
    "propagate_context",
    "record_error",
    "record_outcome",
    "semconv",
    "snapshot_state",
    "step",
    "tool_call",
]


def __getattr__(name: str) -> Any:
    if name == "init":
        from .configuration import init

        return init
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

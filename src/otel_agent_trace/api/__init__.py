"""The manual API: trace what no instrumentor covers.

Every operation works as a context manager (``with``/``async with``) and as a decorator (functions, coroutines,
generators, async generators). They need no SDK: with no tracer provider configured they cost almost nothing.
"""

from __future__ import annotations

from otel_agent_trace._internal.context import propagate_context

from ._decision import DecisionHandle, decision
from ._diagnose import Checkpoint, Diagnosis, RollbackPoint, Suspect, diagnose
from ._events import record_error, snapshot_state
from ._operation import SpanHandle
from ._outcome import record_outcome
from ._session import agent_session
from ._spans import AgentRunHandle, StepHandle, agent_run, agent_step, step
from ._tool_call import ToolCallHandle, tool_call

__all__ = [
    "AgentRunHandle",
    "Checkpoint",
    "DecisionHandle",
    "Diagnosis",
    "RollbackPoint",
    "SpanHandle",
    "StepHandle",
    "Suspect",
    "ToolCallHandle",
    "agent_run",
    "agent_session",
    "agent_step",
    "decision",
    "diagnose",
    "propagate_context",
    "record_error",
    "record_outcome",
    "snapshot_state",
    "step",
    "tool_call",
]

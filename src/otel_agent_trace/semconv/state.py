"""State-snapshot attributes."""

from __future__ import annotations

from typing import Final

STATE_WORKING_MEMORY: Final = "agent_trace.state.working_memory"
"""Working memory at the snapshot, JSON (content capture only)."""
STATE_GOAL_STACK: Final = "agent_trace.state.goal_stack"
"""Goal stack at the snapshot, JSON list, innermost goal last (content capture only)."""
STATE_BELIEFS: Final = "agent_trace.state.beliefs"
"""Belief state at the snapshot, JSON (content capture only)."""
STATE_CONFIDENCE: Final = "agent_trace.state.confidence"
"""Confidence scores at the snapshot, JSON object of name -> float."""
STATE_HASH: Final = "agent_trace.state.hash"
"""Content hash of the whole snapshot (sha256, 16 hex digits); always recorded."""
STATE_UNCHANGED: Final = "agent_trace.state.unchanged"
"""True when the snapshot equals the previous one of the run, so its content was not re-sent."""
STATE_PREVIOUS_HASH: Final = "agent_trace.state.previous_hash"
"""`STATE_HASH` of the run's previous snapshot."""
STATE_LABEL: Final = "agent_trace.state.label"
"""Label of the snapshot (``before_tool``, ``after_retry``...)."""
STATE_EVENT_NAME: Final = "agent_trace.state_snapshot"
"""Name of the span event that carries a snapshot."""
STATE_DIFF: Final = "agent_trace.state.diff"
"""Keys a step added, changed and removed in the state, JSON ``{"added": [], "changed": [], "removed": []}``."""

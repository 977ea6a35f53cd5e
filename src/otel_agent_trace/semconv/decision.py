"""Decision-point attributes."""

from __future__ import annotations

from enum import Enum
from typing import Final

DECISION_NAME: Final = "agent_trace.decision.name"
"""Name of the decision point."""
DECISION_CONDITION: Final = "agent_trace.decision.condition"
"""The condition that was evaluated (text)."""
DECISION_OPTIONS: Final = "agent_trace.decision.options"
"""The options that were available, a list of strings."""
DECISION_CHOSEN: Final = "agent_trace.decision.chosen"
"""The option that was taken."""
DECISION_RATIONALE: Final = "agent_trace.decision.rationale"
"""Why the option was taken (content capture only)."""
DECISION_CONFIDENCE: Final = "agent_trace.decision.confidence"
"""Confidence in the chosen option, 0..1."""
DECISION_OUTCOME: Final = "agent_trace.decision.outcome"
"""How the decision turned out (see `DecisionOutcomeValues`)."""


class DecisionOutcomeValues(Enum):
    """Values of `DECISION_OUTCOME`."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    UNDECIDED = "undecided"

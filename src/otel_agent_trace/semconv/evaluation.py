"""Evaluation results: the GenAI ``gen_ai.evaluation.result`` event and our ``agent_trace.evaluation.*`` extras.

``record_outcome`` emits the event; the RCA reads it (ours or any evaluator's) as the verdict on a run. The
event belongs to the span it evaluates: recorded on that span while it is live, or, once the span has ended (an
evaluator judging afterwards, by trace id), on a small ``evaluate {name}`` span in the same trace, a child of the
evaluated span, marked with `EVALUATION_DEFERRED`.

Rule for readers: the evaluated span is `EVALUATION_TARGET_SPAN_ID` when the event (or its span) carries it,
else the span that carries the event; an event on a deferred span without a target evaluates the trace's root run.
"""

from __future__ import annotations

from enum import Enum
from typing import Final

GEN_AI_EVALUATION_RESULT_EVENT: Final = "gen_ai.evaluation.result"
"""Official name of the event carrying one evaluation result (GenAI semantic conventions, development)."""
GEN_AI_EVALUATION_NAME: Final = "gen_ai.evaluation.name"
"""Official, required: name of the evaluation metric (``correctness``, ``relevance``...)."""
GEN_AI_EVALUATION_SCORE_VALUE: Final = "gen_ai.evaluation.score.value"
"""Official: the score the evaluator returned (a number; its range depends on the evaluator)."""
GEN_AI_EVALUATION_SCORE_LABEL: Final = "gen_ai.evaluation.score.label"
"""Official: human-readable, low-cardinality label of the score (``pass``, ``fail``, ``correct``...)."""
GEN_AI_EVALUATION_EXPLANATION: Final = "gen_ai.evaluation.explanation"
"""Official: free-form explanation of the score, from the evaluator."""

EVALUATION_SUCCESS: Final = "agent_trace.evaluation.success"
"""True when the evaluated run (or span) did what it should; False makes it a failure for the RCA."""
EVALUATION_EXPECTED: Final = "agent_trace.evaluation.expected"
"""What the run should have produced, JSON or text (content capture only)."""
EVALUATION_ACTUAL: Final = "agent_trace.evaluation.actual"
"""What the run produced, JSON or text (content capture only)."""
EVALUATION_EVALUATOR: Final = "agent_trace.evaluation.evaluator"
"""Who judged: ``user``, a test name, an LLM judge's model... (low cardinality)."""
EVALUATION_TARGET_SPAN_ID: Final = "agent_trace.evaluation.target_span_id"
"""Span id (16 hex digits) of the evaluated span, when the evaluation was recorded by trace id after it ended."""
EVALUATION_DEFERRED: Final = "agent_trace.evaluation.deferred"
"""True on a span that only carries an evaluation recorded after the fact; it is not a step of the run."""
EVALUATION_SPAN_NAME_PREFIX: Final = "evaluate"
"""Deferred evaluation spans are named ``evaluate {gen_ai.evaluation.name}``."""
EVALUATION_DEFAULT_NAME: Final = "outcome"
"""`GEN_AI_EVALUATION_NAME` of ``record_outcome`` when no name is given: the run's overall outcome."""


class EvaluationScoreLabelValues(Enum):
    """Labels ``record_outcome`` writes to `GEN_AI_EVALUATION_SCORE_LABEL` when the caller gives none."""

    PASS = "pass"
    FAIL = "fail"


FAILING_LABELS: Final = frozenset({"fail", "failed", "failure", "incorrect", "wrong", "not_relevant", "irrelevant"})
"""Score labels that mean failure on an evaluation result without `EVALUATION_SUCCESS` (other evaluators')."""

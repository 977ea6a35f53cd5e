"""The pieces the synthetic runs of `otel_agent_trace.rca.corpus` are made of.

The categories, `CorpusRun`, chat and decision spans, the failure that surfaces, the answer key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from otel_agent_trace.semconv import (
    DECISION_CHOSEN,
    DECISION_CONFIDENCE,
    DECISION_NAME,
    DECISION_OPTIONS,
    DECISION_RATIONALE,
    GEN_AI_INPUT_MESSAGES,
    GEN_AI_OPERATION_NAME,
    GEN_AI_OUTPUT_MESSAGES,
    GEN_AI_REQUEST_MODEL,
)

from ._otlp_builder import RunBuilder

CATEGORIES = (
    "wrong_tool_output",
    "bad_decision",
    "swallowed_exception",
    "timeout",
    "bad_retrieved_data",
    "subagent_failure",
)
"""The injected root-cause categories."""


@dataclass(frozen=True)
class CorpusRun:
    """One generated run: its OTLP-JSON document and the answer key (never visible to the analysis)."""

    trace_id: str
    category: str
    """One of `CATEGORIES`, or ``"pass"``."""
    failed: bool
    root_cause_span_id: str | None
    """The span where the fault was injected; ``None`` for passing runs."""
    document: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The answer key (without the document)."""
        return {
            "trace_id": self.trace_id,
            "category": self.category,
            "failed": self.failed,
            "root_cause_span_id": self.root_cause_span_id,
        }


def _chat(b: RunBuilder, parent: str, messages: list[dict[str, Any]], answer: str, retry: bool = False) -> str:
    model = "gpt-4o-mini"
    attrs = {
        GEN_AI_OPERATION_NAME: "chat",
        GEN_AI_REQUEST_MODEL: model,
        GEN_AI_INPUT_MESSAGES: json.dumps(messages, sort_keys=True),
    }
    if retry:  # a rate-limited attempt, retried successfully: a distractor
        first = b.start(f"chat {model}", parent, attrs)
        b.tick(b.rng.uniform(50, 200))
        b.fail(first, "openai.RateLimitError", "Error code: 429 - rate limit reached, retry after 1s")
        b.end(first)
        b.handled(parent, "openai.RateLimitError", "rate limit reached", "retry")
        b.tick(1000)
    span = b.start(f"chat {model}", parent, attrs)
    b.end(
        span,
        b.rng.uniform(300, 1500),
        **{GEN_AI_OUTPUT_MESSAGES: json.dumps([{"role": "assistant", "content": answer}], sort_keys=True)},
    )
    return span


def _decision(
    b: RunBuilder, parent: str, name: str, options: list[str], chosen: str, confidence: float, inputs: dict[str, Any]
) -> str:
    step = b.step(name, parent, "decision", inputs)
    span = b.start(
        f"decision {name}",
        step,
        {
            DECISION_NAME: name,
            DECISION_OPTIONS: options,
            DECISION_CHOSEN: chosen,
            DECISION_CONFIDENCE: round(confidence, 2),
            DECISION_RATIONALE: f"{chosen} fits {sorted(inputs)[0]}",
        },
    )
    b.end(span, b.rng.uniform(1, 5))
    b.end_step(step, {"chosen": chosen})
    return span


def _raise(b: RunBuilder, spans: list[str], exc_type: str, message: str) -> None:
    b.tick(b.rng.uniform(1, 20))
    for span in spans:
        b.fail(span, exc_type, message)
        b.end(span, 1)


def _done(b: RunBuilder, category: str, label: str | None) -> CorpusRun:
    failed = category != "pass"
    if failed and label is None:
        raise AssertionError(f"{category} run without an injected span")  # a bug in this generator
    return CorpusRun(b.trace_id, category, failed, label, b.document())

"""`FrameworkSpans` (processor/_frameworks.py) on hand-made spans: scope filter, idempotence, no overwrite, bounds."""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext

from otel_agent_trace.processor import _frameworks
from otel_agent_trace.processor._frameworks import FrameworkSpans
from otel_agent_trace.semconv import agent as A

PYD = "pydantic-ai"


def _span(
    span_id: int, name: str, parent: int | None, attrs: dict[str, Any], scope: str = "pydantic-ai"
) -> ReadableSpan:
    return ReadableSpan(
        name=name,
        context=SpanContext(1, span_id, False),
        parent=SpanContext(1, parent, False) if parent is not None else None,
        attributes=attrs,
        instrumentation_scope=InstrumentationScope(scope),
    )


def _enrich(enricher: FrameworkSpans, span: ReadableSpan) -> dict[str, Any]:
    attributes = dict(span.attributes or {})
    enricher(span, attributes)
    return attributes


def test_steps_numbered_per_run_idempotent_and_other_scopes_untouched() -> None:
    enricher = FrameworkSpans()
    chat = _span(2, "chat m", 1, {"gen_ai.operation.name": "chat", "gen_ai.agent.call.id": "run-1"})
    tool = _span(3, "execute_tool t", 1, {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "t"})
    out = _span(4, "execute_tool final_result", 1, {"gen_ai.operation.name": "execute_tool"})
    other_run = _span(6, "chat m", 5, {"gen_ai.operation.name": "chat"})
    first = _enrich(enricher, chat)
    assert (first[A.AGENT_STEP_INDEX], first[A.AGENT_STEP_ACTION_TYPE], first[A.AGENT_RUN_ID]) == (
        0,
        "llm_call",
        "run-1",
    )
    assert _enrich(enricher, tool)[A.AGENT_STEP_INDEX] == 1
    final = _enrich(enricher, out)
    assert (final[A.AGENT_STEP_INDEX], final[A.AGENT_STEP_ACTION_TYPE]) == (2, "response")
    assert _enrich(enricher, chat)[A.AGENT_STEP_INDEX] == 0  # enriched twice (diagnose): same index
    assert _enrich(enricher, other_run)[A.AGENT_STEP_INDEX] == 0
    ours = _span(8, "chat m", 7, {"gen_ai.operation.name": "chat"}, "otel_agent_trace.OpenAIInstrumentor")
    assert _enrich(enricher, ours) == dict(ours.attributes or {})


def test_existing_values_kept_and_memory_bounded(monkeypatch: Any) -> None:
    enricher = FrameworkSpans()
    mine = _span(2, "chat m", 1, {"gen_ai.operation.name": "chat", A.AGENT_RUN_ID: "ours", A.AGENT_STEP_INDEX: 9})
    kept = _enrich(enricher, mine)
    assert (kept[A.AGENT_RUN_ID], kept[A.AGENT_STEP_INDEX]) == ("ours", 9)
    monkeypatch.setattr(_frameworks, "MAX_RUNS", 4)
    monkeypatch.setattr(_frameworks, "MAX_STEPS", 8)
    for i in range(100):
        _enrich(enricher, _span(1000 + i, "chat m", 10 + i, {"gen_ai.operation.name": "chat"}))
    assert len(enricher._next) <= 4 and len(enricher._index) <= 8
    agent = _span(10 + 99, "invoke_agent a", None, {"gen_ai.operation.name": "invoke_agent"})
    _enrich(enricher, agent)
    assert 10 + 99 not in enricher._next  # the run ended: its counter is dropped

"""The roll-up's bookkeeping driven directly with ended spans: order, re-processing, late children, limits, hostile
values (docs/cost.md#how-it-works-and-what-it-can-miss)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.trace import set_span_in_context

from otel_agent_trace.processor._rollup import CostRollup
from otel_agent_trace.semconv import cost as C
from otel_agent_trace.semconv import gen_ai as G
from tests.core._hostile import LEAVES, HostileInt, HostileStr, RaisingEqHash


def _tree(names: list[tuple[str, str | None]], attributes: dict[str, dict[str, Any]]) -> dict[str, ReadableSpan]:
    """Started spans ``name -> span`` with the given parents (`_export` ends each, in the order a test exports)."""
    tracer = TracerProvider().get_tracer("t")
    started: dict[str, Any] = {}
    for name, parent in names:
        ctx = set_span_in_context(started[parent]) if parent else None
        started[name] = tracer.start_span(name, context=ctx, attributes=attributes.get(name, {}))
    return started


def _llm(tokens: int = 10) -> dict[str, Any]:
    return {
        G.GEN_AI_OPERATION_NAME: "chat",
        G.GEN_AI_PROVIDER_NAME: "openai",
        G.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
        G.GEN_AI_USAGE_INPUT_TOKENS: tokens,
        G.GEN_AI_USAGE_OUTPUT_TOKENS: tokens,
    }


def _export(rollup: CostRollup, span: Any) -> dict[str, Any]:
    if span.end_time is None:
        span.end()
    attributes = dict(span.attributes or {})
    rollup(span, attributes)
    return attributes


AGENT = {G.GEN_AI_OPERATION_NAME: "invoke_agent"}


def test_processing_a_span_twice_adds_nothing() -> None:
    spans = _tree([("root", None), ("agent", "root"), ("llm", "agent")], {"agent": AGENT, "llm": _llm()})
    rollup = CostRollup()
    _export(rollup, spans["llm"])
    _export(rollup, spans["llm"])  # diagnose() reads the buffer through the same enrichers
    first = _export(rollup, spans["agent"])
    again = _export(rollup, spans["agent"])
    root = _export(rollup, spans["root"])
    assert first[C.TOTAL_LLM_CALLS] == again[C.TOTAL_LLM_CALLS] == root[C.TOTAL_LLM_CALLS] == 1
    assert first[C.TOTAL_COST] == again[C.TOTAL_COST] == root[C.TOTAL_COST] > 0


def test_child_exported_after_its_parent_reaches_the_next_ancestor() -> None:
    spans = _tree(
        [("root", None), ("agent", "root"), ("step", "agent"), ("llm", "step")],
        {"root": AGENT, "agent": AGENT, "llm": _llm(7)},
    )
    rollup = CostRollup()
    _export(rollup, spans["step"])
    agent = _export(rollup, spans["agent"])  # exported before the LLM call below it ended
    _export(rollup, spans["llm"])
    root = _export(rollup, spans["root"])
    assert agent[C.TOTAL_LLM_CALLS] == 0  # what was sent cannot be amended
    assert root[C.TOTAL_LLM_CALLS] == 1
    assert root[C.TOTAL_INPUT_TOKENS] == 7
    assert rollup.late == 2  # through step and agent


def test_a_wrapper_llm_span_over_counted_calls_is_not_counted_again() -> None:
    spans = _tree([("framework", None), ("provider", "framework")], {"framework": _llm(5), "provider": _llm(5)})
    rollup = CostRollup()
    _export(rollup, spans["provider"])
    framework = _export(rollup, spans["framework"])
    assert framework[C.TOTAL_LLM_CALLS] == 1
    assert framework[C.TOTAL_INPUT_TOKENS] == 5


def test_reported_cost_is_kept_and_summed() -> None:
    llm = {**_llm(), C.LLM_COST_TOTAL: 0.25, C.LLM_COST_PROMPT: 0.05, C.LLM_COST_COMPLETION: 0.2}
    spans = _tree([("agent", None), ("llm", "agent")], {"agent": AGENT, "llm": llm})
    rollup = CostRollup()
    out = _export(rollup, spans["llm"])
    assert out[C.LLM_COST_TOTAL] == 0.25
    assert C.COST_STATUS not in out  # not re-priced
    assert _export(rollup, spans["agent"])[C.TOTAL_COST] == 0.25


def test_forgotten_open_parent_is_marked_partial() -> None:
    spans = _tree([("agent", None), ("llm", "agent")], {"agent": AGENT, "llm": _llm()})
    rollup = CostRollup(max_open=16, max_exported=16)
    _export(rollup, spans["llm"])
    for i in range(40):  # 40 other open parents, each with an exported child: more than the roll-up tracks
        _export(rollup, _tree([(f"p{i}", None), (f"c{i}", f"p{i}")], {f"c{i}": _llm()})[f"c{i}"])
    leaves = _tree([(f"s{i}", None) for i in range(100)], {})
    for span in leaves.values():  # exported spans alone do not push open parents out
        _export(rollup, span)
    agent = _export(rollup, spans["agent"])
    assert agent[C.TOTAL_PARTIAL] is True
    assert "forgotten" in agent[C.TOTAL_PARTIAL_REASONS]


def test_exported_spans_do_not_push_open_parents_out() -> None:
    spans = _tree([("agent", None), ("llm", "agent")], {"agent": AGENT, "llm": _llm()})
    rollup = CostRollup(max_open=16, max_exported=16)
    _export(rollup, spans["llm"])
    for span in _tree([(f"s{i}", None) for i in range(100)], {}).values():
        _export(rollup, span)
    agent = _export(rollup, spans["agent"])
    assert agent[C.TOTAL_PARTIAL] is False
    assert agent[C.TOTAL_LLM_CALLS] == 1


def test_plain_root_without_llm_calls_gets_nothing() -> None:
    (span,) = _tree([("GET /health", None)], {}).values()
    assert _export(CostRollup(), span) == {}


_KEYS = [
    G.GEN_AI_OPERATION_NAME,
    G.GEN_AI_PROVIDER_NAME,
    G.GEN_AI_SYSTEM,
    G.GEN_AI_REQUEST_MODEL,
    G.GEN_AI_RESPONSE_MODEL,
    G.GEN_AI_USAGE_INPUT_TOKENS,
    G.GEN_AI_USAGE_OUTPUT_TOKENS,
    G.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    G.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
    C.LLM_COST_TOTAL,
    C.LLM_COST_PROMPT,
    "openai.response.service_tier",
]
_VALUES = st.one_of(
    LEAVES,
    st.sampled_from(
        [
            -1,
            10**30,
            True,
            float("nan"),
            "gpt-4o-mini",
            "openai",
            "invoke_agent",
            "x" * 5000,
            "",
            "flex",
            ("a", "b"),
            HostileStr("gpt-4o"),
            HostileInt(5),
        ]
    ),
    st.builds(RaisingEqHash),
)


@settings(max_examples=150, deadline=None)
@given(child=st.dictionaries(st.sampled_from(_KEYS), _VALUES), parent=st.dictionaries(st.sampled_from(_KEYS), _VALUES))
def test_hostile_attribute_values_never_raise(child: dict[str, Any], parent: dict[str, Any]) -> None:
    spans = _tree([("parent", None), ("child", "parent")], {})
    rollup = CostRollup()
    for name, attributes in (("child", child), ("parent", parent)):
        span = spans[name]
        span.end()
        rollup(span, dict(attributes))  # the raw dict: no SDK validation in between


def test_local_root_under_a_remote_parent_gets_the_totals() -> None:
    from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

    remote = SpanContext(trace_id=0xABC, span_id=0xDEF, is_remote=True, trace_flags=TraceFlags(1))
    tracer = TracerProvider().get_tracer("t")
    server = tracer.start_span("POST /run", context=set_span_in_context(NonRecordingSpan(remote)))
    llm = tracer.start_span("chat gpt-4o-mini", context=set_span_in_context(server), attributes=_llm(3))
    rollup = CostRollup()
    _export(rollup, llm)
    out = _export(rollup, server)
    assert out[C.TOTAL_LLM_CALLS] == 1
    assert out[C.TOTAL_INPUT_TOKENS] == 3
    assert G.GEN_AI_PROVIDER_NAME not in out  # provider and model go on invoke_agent spans only


def test_agent_without_llm_calls_gets_zeros_and_keeps_its_own_provider() -> None:
    agent = {**AGENT, G.GEN_AI_PROVIDER_NAME: "anthropic"}
    spans = _tree([("root", None), ("idle", "root"), ("busy", "root"), ("llm", "busy")], {"idle": AGENT, "busy": agent})
    spans["llm"].set_attributes(_llm())
    rollup = CostRollup()
    idle = _export(rollup, spans["idle"])
    assert (idle[C.TOTAL_LLM_CALLS], idle[C.TOTAL_COST], idle[C.TOTAL_PARTIAL]) == (0, 0.0, False)
    _export(rollup, spans["llm"])
    busy = _export(rollup, spans["busy"])
    assert busy[G.GEN_AI_PROVIDER_NAME] == "anthropic"  # never overwritten
    assert busy[G.GEN_AI_REQUEST_MODEL] == "gpt-4o-mini"  # was absent: rolled up

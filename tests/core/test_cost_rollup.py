"""Totals of the LLM calls below ``invoke_agent`` and root spans, rolled up on the export thread (docs/cost.md)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import openai
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import set_span_in_context

from otel_agent_trace import agent_run
from otel_agent_trace._internal.drops import QUEUE_FULL, record_drop
from otel_agent_trace._internal.settings import Settings
from otel_agent_trace._internal.tracing import set_default_tracer_provider
from otel_agent_trace.instrumentation.openai import OpenAIInstrumentor
from otel_agent_trace.processor import AgentSpanProcessor
from otel_agent_trace.processor import _cost as cost_module
from otel_agent_trace.processor._rollup import CostRollup
from otel_agent_trace.semconv import cost as C
from otel_agent_trace.semconv import gen_ai as G
from tests.core._hostile import LEAVES, HostileInt, HostileStr, RaisingEqHash
from tests.core.test_cost import Pipeline
from tests.instrumentation.openai.mock_server import MockOpenAIServer, running_server

ask = [{"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def server() -> Iterator[MockOpenAIServer]:
    with running_server() as srv:
        yield srv


@pytest.fixture
def pipeline() -> Iterator[Pipeline]:
    pipe = Pipeline()
    set_default_tracer_provider(pipe.provider)  # the manual API's spans go through it too
    yield pipe
    set_default_tracer_provider(None)
    pipe.provider.shutdown()


@pytest.fixture
def client(pipeline: Pipeline, server: MockOpenAIServer) -> Iterator[openai.OpenAI]:
    inst = OpenAIInstrumentor()
    inst.instrument(tracer_provider=pipeline.provider)
    try:
        with openai.OpenAI(api_key="sk-test", base_url=server.base_url, max_retries=0) as c:
            yield c
    finally:
        inst.uninstrument()


def _sum(spans: list[ReadableSpan], key: str) -> Decimal:
    return sum((Decimal(repr(s.attributes[key])) for s in spans if key in (s.attributes or {})), Decimal(0))


def _assert_total(agent: ReadableSpan, calls: list[ReadableSpan]) -> None:
    """``agent`` carries the sums of ``calls``' own cost and token attributes."""
    attributes = agent.attributes or {}
    assert attributes[C.TOTAL_LLM_CALLS] == len(calls)
    assert Decimal(repr(attributes[C.TOTAL_COST])) == pytest.approx(_sum(calls, C.LLM_COST_TOTAL), rel=Decimal("1e-12"))
    assert Decimal(repr(attributes[C.TOTAL_INPUT_COST])) == pytest.approx(
        _sum(calls, C.LLM_COST_PROMPT), rel=Decimal("1e-12")
    )
    assert attributes[C.TOTAL_INPUT_TOKENS] == sum(s.attributes[G.GEN_AI_USAGE_INPUT_TOKENS] for s in calls)
    assert attributes[C.TOTAL_OUTPUT_TOKENS] == sum(s.attributes[G.GEN_AI_USAGE_OUTPUT_TOKENS] for s in calls)


def _calls(spans: list[ReadableSpan]) -> list[ReadableSpan]:
    return [s for s in spans if (s.attributes or {}).get(G.GEN_AI_OPERATION_NAME) == "chat"]


def test_agent_with_two_llm_calls_gets_their_total_and_provider(pipeline: Pipeline, client: openai.OpenAI) -> None:
    with agent_run("planner"):
        client.chat.completions.create(model="gpt-4o-mini", messages=ask)
        client.chat.completions.create(model="gpt-4o", messages=ask)
    spans = pipeline.spans()
    agent = next(s for s in spans if s.name == "invoke_agent planner")
    calls = _calls(spans)
    assert len(calls) == 2
    assert all(c.attributes[C.COST_STATUS] == "priced" for c in calls)
    # the mock answers "gpt-4o-2024-07-18", a version the database does not list: priced as the model asked for
    assert [c.attributes[C.COST_PRICE_MODEL] for c in calls] == ["openai/gpt-4o-mini", "openai/gpt-4o"]
    _assert_total(agent, calls)
    assert agent.attributes[C.TOTAL_COST] > max(c.attributes[C.LLM_COST_TOTAL] for c in calls)
    assert agent.attributes[C.TOTAL_UNPRICED_LLM_CALLS] == 0
    assert agent.attributes[C.TOTAL_PARTIAL] is False
    assert C.TOTAL_PARTIAL_REASONS not in agent.attributes
    # the convention requires gen_ai.provider.name on invoke_agent: taken from the first LLM call below
    assert agent.attributes[G.GEN_AI_PROVIDER_NAME] == "openai"
    assert agent.attributes[G.GEN_AI_REQUEST_MODEL] == "gpt-4o-mini"


def test_nested_agents_each_total_what_is_below_them(pipeline: Pipeline, client: openai.OpenAI) -> None:
    with agent_run("outer"):
        client.chat.completions.create(model="gpt-4o-mini", messages=ask)
        with agent_run("inner"):
            client.chat.completions.create(model="gpt-4o", messages=ask)
    spans = pipeline.spans()
    outer, inner = (next(s for s in spans if s.name == f"invoke_agent {n}") for n in ("outer", "inner"))
    calls = _calls(spans)
    inner_calls = [c for c in calls if c.parent is not None and c.parent.span_id == inner.context.span_id]
    _assert_total(inner, inner_calls)
    _assert_total(outer, calls)
    assert inner.attributes[G.GEN_AI_REQUEST_MODEL] == "gpt-4o"


def test_unpriced_call_makes_the_total_partial(pipeline: Pipeline, client: openai.OpenAI) -> None:
    with agent_run("mixed"):
        client.chat.completions.create(model="gpt-4o-mini", messages=ask)
        client.chat.completions.create(model="acme-frontier-9", messages=ask)
    spans = pipeline.spans()
    agent = next(s for s in spans if s.name == "invoke_agent mixed")
    priced = [c for c in _calls(spans) if c.attributes[C.COST_STATUS] == "priced"]
    assert agent.attributes[C.TOTAL_LLM_CALLS] == 2
    assert agent.attributes[C.TOTAL_UNPRICED_LLM_CALLS] == 1
    assert agent.attributes[C.TOTAL_COST] == float(_sum(priced, C.LLM_COST_TOTAL))
    assert agent.attributes[C.TOTAL_PARTIAL] is True
    assert tuple(agent.attributes[C.TOTAL_PARTIAL_REASONS]) == ("unpriced_calls",)


def test_spans_dropped_during_the_run_make_it_partial(pipeline: Pipeline, client: openai.OpenAI) -> None:
    with agent_run("lossy"):
        client.chat.completions.create(model="gpt-4o-mini", messages=ask)
        record_drop(QUEUE_FULL)  # as the batch processor does when a span finds the queue full
    pipeline.spans()  # one export later the roll-up has seen the drop (a run started before that is marked too)
    with agent_run("after"):
        client.chat.completions.create(model="gpt-4o-mini", messages=ask)
    spans = pipeline.spans()
    lossy, after = (next(s for s in spans if s.name == f"invoke_agent {n}") for n in ("lossy", "after"))
    assert lossy.attributes[C.TOTAL_PARTIAL] is True
    assert "spans_dropped" in lossy.attributes[C.TOTAL_PARTIAL_REASONS]
    assert after.attributes[C.TOTAL_PARTIAL] is False


def test_langgraph_agent_counts_each_call_once(pipeline: Pipeline, server: MockOpenAIServer) -> None:
    langchain_openai = pytest.importorskip("langchain_openai")
    graph_mod = pytest.importorskip("langgraph.graph")
    from otel_agent_trace.instrumentation.langchain import LangChainInstrumentor

    model = langchain_openai.ChatOpenAI(model="gpt-4o-mini", api_key="sk-test", base_url=server.base_url, max_retries=0)

    def think(state: Any) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    def answer(state: Any) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    g = graph_mod.StateGraph(graph_mod.MessagesState)
    g.add_node("think", think)
    g.add_node("answer", answer)
    g.add_edge(graph_mod.START, "think")
    g.add_edge("think", "answer")
    lc, oa = LangChainInstrumentor(), OpenAIInstrumentor()
    lc.instrument(tracer_provider=pipeline.provider)
    oa.instrument(tracer_provider=pipeline.provider)
    try:
        g.compile(name="two_calls").invoke({"messages": [("user", "hi")]})
    finally:
        oa.uninstrument()
        lc.uninstrument()
    spans = pipeline.spans()
    (agent,) = [s for s in spans if (s.attributes or {}).get(G.GEN_AI_OPERATION_NAME) == "invoke_agent"]
    calls = [s for s in _calls(spans) if G.GEN_AI_USAGE_INPUT_TOKENS in (s.attributes or {})]
    assert len(calls) == 2  # the provider spans carry the tokens; the framework's chat spans do not
    _assert_total(agent, calls)
    assert agent.attributes[G.GEN_AI_PROVIDER_NAME] == "openai"
    assert agent is next(s for s in spans if s.parent is None)  # the run's root: one set of totals


def test_diagnose_mid_run_does_not_change_the_totals(pipeline: Pipeline, client: openai.OpenAI) -> None:
    from otel_agent_trace import diagnose

    with agent_run("self-checking"):
        client.chat.completions.create(model="gpt-4o-mini", messages=ask)
        pipeline.spans()  # the first call is exported: its cost is in the agent's entry
        diagnose(failed=True)  # reads the open run through the same enrichers (the agent span as open copy)
        diagnose(failed=True)
        client.chat.completions.create(model="gpt-4o-mini", messages=ask)
    spans = pipeline.spans()
    agent = next(s for s in spans if s.name == "invoke_agent self-checking")
    _assert_total(agent, _calls(spans))
    assert agent.attributes[C.TOTAL_LLM_CALLS] == 2


def test_cost_runs_on_the_export_thread(
    pipeline: Pipeline, client: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[threading.Thread] = []
    original = cost_module.Pricer.price

    def spy(self: Any, *args: Any) -> Any:
        threads.append(threading.current_thread())
        return original(self, *args)

    monkeypatch.setattr(cost_module.Pricer, "price", spy)
    client.chat.completions.create(model="gpt-4o-mini", messages=ask)
    pipeline.spans()
    assert threads
    assert threading.main_thread() not in threads


# -- the roll-up's bookkeeping, driven directly with ended spans -----------------------------------------------------


def _tree(names: list[tuple[str, str | None]], attributes: dict[str, dict[str, Any]]) -> dict[str, ReadableSpan]:
    """Spans ``name -> span`` with the given parents (started in order, ended in reverse: children first)."""
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


def test_concurrent_runs_on_application_threads_stay_apart(server: MockOpenAIServer) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()  # a user-given delegate: the enrichers run in on_end, on the threads themselves
    provider.add_span_processor(AgentSpanProcessor(SimpleSpanProcessor(exporter), settings=Settings()))
    inst = OpenAIInstrumentor()
    inst.instrument(tracer_provider=provider)
    tracer = provider.get_tracer("t")

    def run(i: int) -> None:
        with (
            openai.OpenAI(api_key="sk-test", base_url=server.base_url, max_retries=0) as c,
            tracer.start_as_current_span(f"invoke_agent a{i}", attributes=AGENT),
        ):
            for _ in range(i % 3 + 1):
                c.chat.completions.create(model="gpt-4o-mini", messages=ask)

    try:
        threads = [threading.Thread(target=run, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        inst.uninstrument()
    spans = list(exporter.get_finished_spans())
    for i in range(6):
        agent = next(s for s in spans if s.name == f"invoke_agent a{i}")
        below = [s for s in _calls(spans) if s.parent is not None and s.parent.span_id == agent.context.span_id]
        assert len(below) == i % 3 + 1
        _assert_total(agent, below)


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

"""Totals of the LLM calls below ``invoke_agent`` and root spans, rolled up on the export thread (docs/cost.md)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import openai
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_agent_trace import agent_run
from otel_agent_trace._internal import drops
from otel_agent_trace._internal.drops import QUEUE_FULL, record_drop
from otel_agent_trace._internal.settings import Settings
from otel_agent_trace._internal.tracing import set_default_tracer_provider
from otel_agent_trace.instrumentation.openai import OpenAIInstrumentor
from otel_agent_trace.processor import AgentSpanProcessor
from otel_agent_trace.processor import _cost as cost_module
from otel_agent_trace.semconv import cost as C
from otel_agent_trace.semconv import gen_ai as G
from tests.core.test_cost import Pipeline
from tests.instrumentation.openai.mock_server import MockOpenAIServer, running_server

ask = [{"role": "user", "content": "hi"}]
AGENT = {G.GEN_AI_OPERATION_NAME: "invoke_agent"}


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


@pytest.fixture
def fresh_drop_counts() -> Iterator[None]:
    drops._reset_for_tests()
    yield
    drops._reset_for_tests()  # the count this test makes up is no drop of the process's


@pytest.mark.usefixtures("fresh_drop_counts")
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

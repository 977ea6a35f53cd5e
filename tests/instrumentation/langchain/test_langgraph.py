from __future__ import annotations

import asyncio
import gc
import itertools
import json
import threading
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackManager
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda
from langgraph.graph import START, StateGraph
from langgraph.pregel import Pregel
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import StatusCode

from otel_agent_trace._internal.context import suppress_instrumentation
from otel_agent_trace.instrumentation.langchain import LangChainInstrumentor, _extract, _graph
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import decision as D
from otel_agent_trace.semconv import error as E
from otel_agent_trace.semconv import gen_ai as G
from otel_agent_trace.semconv import graph as GR
from otel_agent_trace.semconv import state as S
from otel_agent_trace.semconv import tool as T

from .graphs import FanState, add, explode, fan_out_graph, nested_graph, react_graph, tool_calling_model

pytestmark = pytest.mark.usefixtures("instrumentor")

QUESTION = {"messages": [HumanMessage("what is 1 + 2?")]}


def _assert_react_tree(tree: Any, name: str = "react_agent") -> None:
    """invoke_agent -> step agent(1) [chat, decision] -> step tools(2) [execute_tool] -> step agent(3)."""
    root = tree.one(f"invoke_agent {name}")
    assert root.parent is None
    assert root.attributes[G.GEN_AI_OPERATION_NAME] == "invoke_agent"
    assert root.attributes[G.GEN_AI_AGENT_NAME] == name
    run_id = root.attributes[A.AGENT_RUN_ID]
    steps = tree.children(root)
    assert [s.name for s in steps] == ["step agent", "step tools", "step agent"]
    assert [s.attributes[A.AGENT_STEP_INDEX] for s in steps] == [1, 2, 3]
    assert [s.attributes[A.AGENT_STEP_ACTION_TYPE] for s in steps] == ["llm_call", "tool_call", "llm_call"]
    assert [s.attributes[GR.GRAPH_EDGE] for s in steps] == ["__start__->agent", "agent->tools", "tools->agent"]
    assert list(steps[1].attributes[GR.GRAPH_TRIGGERS]) == ["branch:to:tools"]
    first, tools, last = steps
    assert [c.name for c in tree.children(first)] == ["chat", "decision tools_condition"]
    chat, decision = tree.children(first)
    assert chat.kind == trace.SpanKind.CLIENT
    assert list(chat.attributes[A.LLM_TOOL_CALL_NAMES]) == ["add"]
    assert list(chat.attributes[A.LLM_TOOL_CALL_IDS]) == ["call_1"]
    assert list(chat.attributes[G.GEN_AI_RESPONSE_FINISH_REASONS]) == ["tool_calls"]
    assert decision.attributes[D.DECISION_NAME] == "tools_condition"
    assert list(decision.attributes[D.DECISION_OPTIONS]) == ["tools", "__end__"]
    assert decision.attributes[D.DECISION_CHOSEN] == "tools"
    (tool_span,) = tree.children(tools)
    assert tool_span.name == "execute_tool add"
    assert tool_span.attributes[G.GEN_AI_TOOL_NAME] == "add"
    assert tool_span.attributes[G.GEN_AI_TOOL_CALL_ID] == "call_1"
    assert tool_span.attributes[T.TOOL_STATUS] == "ok"
    last_decision = tree.children(last)[-1]
    assert last_decision.attributes[D.DECISION_CHOSEN] == "__end__"
    for span in tree.spans:
        assert span.attributes[A.AGENT_RUN_ID] == run_id
        assert span.status.status_code is StatusCode.UNSET


def test_react_graph_span_tree(tree: Any) -> None:
    app = react_graph(tool_calling_model(), [add])
    result = app.invoke(QUESTION)
    assert result["messages"][-1].content == "The answer is 3"
    t = tree()
    _assert_react_tree(t)
    chat = t.named("chat")[0]
    assert chat.attributes[G.GEN_AI_PROVIDER_NAME] == "fakemessageslistchatmodel"
    assert chat.attributes[G.GEN_AI_USAGE_INPUT_TOKENS] == 11
    assert chat.attributes[G.GEN_AI_USAGE_OUTPUT_TOKENS] == 5
    assert chat.attributes[A.LLM_USAGE_SOURCE] == "framework"
    # content capture is off: no messages, no arguments, no state content, but the state hashes are there
    assert G.GEN_AI_INPUT_MESSAGES not in chat.attributes
    assert G.GEN_AI_TOOL_CALL_ARGUMENTS not in t.one("execute_tool add").attributes
    for step in t.named("step agent") + t.named("step tools"):
        assert len(step.attributes[S.STATE_HASH]) == 16
        assert A.AGENT_STEP_INPUT not in step.attributes
        assert S.STATE_DIFF not in step.attributes


@pytest.mark.parametrize("capture", [True])
def test_content_capture_records_state_and_messages(tree: Any) -> None:
    app = react_graph(tool_calling_model(), [add])
    app.invoke(QUESTION)
    t = tree()
    steps = t.children(t.one("invoke_agent react_agent"))
    # each node's state hash chains to the previous node's
    for before, after in itertools.pairwise(steps):
        assert after.attributes[S.STATE_PREVIOUS_HASH] == before.attributes[S.STATE_HASH]
        assert after.attributes[S.STATE_UNCHANGED] is False
    diff = json.loads(steps[0].attributes[S.STATE_DIFF])
    assert diff == {"added": [], "changed": ["messages"], "removed": []}
    assert "what is 1 + 2?" in steps[0].attributes[A.AGENT_STEP_INPUT]
    chat = t.named("chat")[0]
    assert json.loads(chat.attributes[G.GEN_AI_INPUT_MESSAGES]) == [
        {"role": "user", "parts": [{"type": "text", "content": "what is 1 + 2?"}]}
    ]
    output = json.loads(chat.attributes[G.GEN_AI_OUTPUT_MESSAGES])
    assert output[0]["parts"][0] == {"type": "tool_call", "id": "call_1", "name": "add", "arguments": {"a": 1, "b": 2}}
    tool_span = t.one("execute_tool add")
    assert json.loads(tool_span.attributes[G.GEN_AI_TOOL_CALL_ARGUMENTS]) == {"a": 1, "b": 2}
    assert tool_span.attributes[G.GEN_AI_TOOL_CALL_RESULT] == "3"
    decision = t.named("decision tools_condition")[0]
    assert decision.attributes[A.AGENT_STEP_OUTPUT] == "tools"


async def test_ainvoke_same_tree(tree: Any) -> None:
    app = react_graph(tool_calling_model(), [add], is_async=True)
    result = await app.ainvoke(QUESTION)
    assert result["messages"][-1].content == "The answer is 3"
    _assert_react_tree(tree())


def test_stream_exhausted_same_tree(tree: Any) -> None:
    app = react_graph(tool_calling_model(), [add])
    chunks = list(app.stream(QUESTION))
    assert len(chunks) == 3
    _assert_react_tree(tree())


async def test_astream_same_tree(tree: Any) -> None:
    app = react_graph(tool_calling_model(), [add], is_async=True)
    chunks = [c async for c in app.astream(QUESTION)]
    assert len(chunks) == 3
    _assert_react_tree(tree())


def test_stream_closed_early_ends_root_once(tree: Any) -> None:
    app = react_graph(tool_calling_model(), [add])
    stream = app.stream(QUESTION)
    first = next(stream)
    assert "agent" in first
    stream.close()
    t = tree()
    root = t.one("invoke_agent react_agent")
    assert root.attributes[GR.GRAPH_CONTROL_FLOW] == "GeneratorExit"
    assert root.status.status_code is StatusCode.UNSET
    assert [s.name for s in t.children(root)] == ["step agent"]
    assert trace.get_current_span() is trace.INVALID_SPAN  # nothing left current in the caller


def test_stream_abandoned_ends_root_when_collected(tree: Any) -> None:
    app = react_graph(tool_calling_model(), [add])
    stream = app.stream(QUESTION)
    next(stream)
    del stream
    gc.collect()
    t = tree()
    assert len(t.named("invoke_agent react_agent")) == 1
    assert trace.get_current_span() is trace.INVALID_SPAN


def test_stream_raising_ends_root_with_error(tree: Any) -> None:
    def boom(state: FanState) -> None:
        raise RuntimeError("worker down")

    app = fan_out_graph(worker=boom)
    with pytest.raises(RuntimeError, match="worker down"):
        list(app.stream({"items": [], "results": []}))
    t = tree()
    root = t.one("invoke_agent fan_agent")
    assert root.status.status_code is StatusCode.ERROR
    assert root.attributes[E.ERROR_TYPE] == "RuntimeError"


def test_fan_out_runs_in_parallel_threads_with_parentage(tree: Any) -> None:
    threads: set[int] = set()
    app = fan_out_graph(worker=lambda s: threads.add(threading.get_ident()))
    result = app.invoke({"items": [], "results": []})
    assert sorted(result["results"]) == ["A", "B", "C", "done"]
    t = tree()
    root = t.one("invoke_agent fan_agent")
    works = t.named("step work")
    assert len(works) == 3
    for work in works:
        assert t.parent(work) is root
        assert work.attributes[A.AGENT_STEP_INDEX] == 2
        assert work.attributes[GR.GRAPH_EDGE] == "plan->work"
        assert list(work.attributes[GR.GRAPH_TRIGGERS]) == ["__pregel_push"]
    decision = t.one("decision route")
    assert t.parent(decision) is t.one("step plan")
    assert decision.attributes[D.DECISION_CHOSEN] == "work"
    assert list(decision.attributes[D.DECISION_OPTIONS]) == ["work"]
    assert t.one("step collect").attributes[GR.GRAPH_EDGE] == "work->collect"


def test_nested_graph_is_a_sub_agent_and_lambda_router_is_a_decision(tree: Any) -> None:
    app = nested_graph()
    app.invoke({"results": []})
    t = tree()
    root = t.one("invoke_agent supervisor")
    research = t.one("step research")
    sub = t.one("invoke_agent researcher")
    assert t.parent(research) is root
    assert t.parent(sub) is research
    assert sub.attributes[A.AGENT_PARENT_NAME] == "supervisor"
    assert sub.attributes[A.AGENT_RUN_ID] != root.attributes[A.AGENT_RUN_ID]
    search = t.one("step search")
    assert t.parent(search) is sub
    assert search.attributes[GR.GRAPH_EDGE] == "__start__->search"
    assert search.attributes[A.AGENT_RUN_ID] == sub.attributes[A.AGENT_RUN_ID]
    decision = t.one("decision condition")
    assert t.parent(decision) is research
    assert list(decision.attributes[D.DECISION_OPTIONS]) == ["prepare", "__end__"]
    assert decision.attributes[D.DECISION_CHOSEN] == "__end__"  # False mapped through path_map
    assert research.attributes[GR.GRAPH_EDGE] == "prepare->research"


@pytest.mark.parametrize("capture", [True])
def test_failing_tool_is_an_error_span_and_a_handled_error_on_the_node(tree: Any) -> None:
    app = react_graph(tool_calling_model("explode", {"x": 7}), [explode], name="fragile", handle_tool_errors=True)
    result = app.invoke(QUESTION)
    assert "cannot handle 7" in result["messages"][2].content
    t = tree()
    tool_span = t.one("execute_tool explode")
    assert tool_span.status.status_code is StatusCode.ERROR
    assert tool_span.attributes[E.ERROR_TYPE].endswith("ToolFailure")
    assert tool_span.attributes[T.TOOL_STATUS] == "error"
    assert any(e.name == "exception" for e in tool_span.events)
    node = t.parent(tool_span)
    assert node is not None and node.name == "step tools"
    assert node.status.status_code is StatusCode.UNSET
    (event,) = [e for e in node.events if e.name == E.ERROR_EVENT_NAME]
    assert event.attributes[E.ERROR_HANDLED] is True
    assert "cannot handle 7" in event.attributes[E.ERROR_POST_STATE]


def test_failing_node_raises_the_same_exception(tree: Any) -> None:
    error = KeyError("missing")

    def broken(state: FanState) -> dict[str, Any]:
        raise error

    g = StateGraph(FanState)
    g.add_node("broken", broken)
    g.add_edge(START, "broken")
    app = g.compile(name="broken_agent")
    with pytest.raises(KeyError) as info:
        app.invoke({"items": [], "results": []})
    assert info.value is error
    t = tree()
    step = t.one("step broken")
    assert step.status.status_code is StatusCode.ERROR
    assert step.attributes[E.ERROR_TYPE] == "KeyError"
    assert t.one("invoke_agent broken_agent").status.status_code is StatusCode.ERROR


def test_retry_records_error_events(tree: Any) -> None:
    calls = {"n": 0}

    def flaky(x: int) -> int:
        calls["n"] += 1
        if calls["n"] < 3:
            raise ConnectionError("try again")
        return x * 2

    chain = RunnableLambda(flaky).with_retry(stop_after_attempt=3, wait_exponential_jitter=False)
    assert chain.invoke(21) == 42
    t = tree()
    retry_spans = [s for s in t.spans if any(e.name == E.ERROR_EVENT_NAME for e in s.events)]
    assert len(retry_spans) == 1
    events = [e for e in retry_spans[0].events if e.name == E.ERROR_EVENT_NAME]
    assert [e.attributes[E.ERROR_RETRY_ATTEMPT] for e in events] == [1, 2]
    assert all(e.attributes[E.ERROR_HANDLER] == "retry" for e in events)
    assert events[0].attributes[E.EXCEPTION_TYPE] == "ConnectionError"


class _Docs(BaseRetriever):
    def _get_relevant_documents(self, query: str, *, run_manager: Any = None) -> list[Document]:
        return [Document(page_content=f"about {query}", metadata={"source": "kb"})]


@pytest.mark.parametrize("capture", [True])
def test_retriever_span(tree: Any) -> None:
    docs = _Docs().invoke("otel")
    assert docs[0].page_content == "about otel"
    span = tree().one("retrieval _Docs")
    assert span.attributes[G.GEN_AI_OPERATION_NAME] == "retrieval"
    assert span.attributes[G.GEN_AI_RETRIEVAL_QUERY_TEXT] == "otel"
    assert json.loads(span.attributes[A.AGENT_STEP_OUTPUT])[0]["content"] == "about otel"


def test_user_spans_inside_a_node_nest_under_the_step(tree: Any, provider: TracerProvider) -> None:
    tracer = provider.get_tracer("user")

    def node(state: FanState) -> dict[str, Any]:
        with tracer.start_as_current_span("user work"):
            return {"results": ["x"]}

    g = StateGraph(FanState)
    g.add_node("node", node)
    g.add_edge(START, "node")
    g.compile(name="user_agent").invoke({"items": [], "results": []})
    t = tree()
    assert t.parent(t.one("user work")) is t.one("step node")


def test_top_level_chat_model_call(tree: Any) -> None:
    model = FakeMessagesListChatModel(
        responses=[AIMessage("hi", usage_metadata={"input_tokens": 3, "output_tokens": 1, "total_tokens": 4})]
    )
    assert model.invoke("hello").content == "hi"
    span = tree().one("chat")
    assert span.parent is None
    assert span.attributes[G.GEN_AI_OPERATION_NAME] == "chat"
    assert span.attributes[G.GEN_AI_USAGE_INPUT_TOKENS] == 3


def test_chat_model_streaming_records_time_to_first_chunk(tree: Any) -> None:
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

    model = GenericFakeChatModel(messages=iter([AIMessage("one two three")]))
    text = "".join(str(chunk.content) for chunk in model.stream("go"))
    assert text == "one two three"
    span = tree().one("chat")
    assert span.attributes[G.GEN_AI_REQUEST_STREAM] is True
    assert span.attributes[G.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] >= 0


# ---------------------------------------------------------------------------------------------- instrumentor contract


def test_instrument_is_idempotent(provider: TracerProvider, tree: Any) -> None:
    LangChainInstrumentor().instrument(tracer_provider=provider)
    react_graph(tool_calling_model(), [add]).invoke(QUESTION)
    assert len(tree().named("invoke_agent react_agent")) == 1
    assert len(tree().named("execute_tool add")) == 1


def test_uninstrument_restores_originals_and_stops_recording(
    instrumentor: LangChainInstrumentor, exporter: Any
) -> None:
    original_init = BaseCallbackManager.__dict__["__init__"].__wrapped__
    original_stream = Pregel.__dict__["stream"].__wrapped__
    original_astream = Pregel.__dict__["astream"].__wrapped__
    instrumentor.uninstrument()
    try:
        assert BaseCallbackManager.__init__ is original_init
        assert Pregel.stream is original_stream
        assert Pregel.astream is original_astream
        react_graph(tool_calling_model(), [add]).invoke(QUESTION)
        assert exporter.get_finished_spans() == ()
    finally:
        instrumentor.instrument(tracer_provider=TracerProvider())


def test_results_identical_with_and_without_instrumentation(instrumentor: LangChainInstrumentor) -> None:
    app = fan_out_graph()
    traced = app.invoke({"items": [], "results": []})
    instrumentor.uninstrument()
    try:
        plain = app.invoke({"items": [], "results": []})
    finally:
        instrumentor.instrument(tracer_provider=TracerProvider())
    assert sorted(traced["results"]) == sorted(plain["results"])
    assert traced["items"] == plain["items"]


def test_internal_fault_is_swallowed(monkeypatch: pytest.MonkeyPatch, tree: Any) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("extractor bug")

    monkeypatch.setattr(_extract, "response_attributes", broken)
    monkeypatch.setattr(_extract, "state_diff", broken)
    monkeypatch.setattr(_graph, "register", broken)
    result = react_graph(tool_calling_model(), [add]).invoke(QUESTION)
    assert result["messages"][-1].content == "The answer is 3"
    t = tree()
    assert len(t.named("chat")) == 2  # the spans still end
    assert len(t.named("invoke_agent react_agent")) == 1


def test_suppressed_instrumentation_records_nothing(exporter: Any) -> None:
    with suppress_instrumentation():
        react_graph(tool_calling_model(), [add]).invoke(QUESTION)
    assert exporter.get_finished_spans() == ()


async def test_concurrent_async_runs_keep_their_trees(tree: Any) -> None:
    apps = [react_graph(tool_calling_model(), [add], name=f"agent_{i}", is_async=True) for i in range(3)]
    await asyncio.gather(*(app.ainvoke(QUESTION) for app in apps))
    t = tree()
    for i in range(3):
        root = t.one(f"invoke_agent agent_{i}")
        run_id = root.attributes[A.AGENT_RUN_ID]
        members = [s for s in t.spans if s.attributes.get(A.AGENT_RUN_ID) == run_id]
        assert len(members) == 9  # root, 3 steps, 2 chats, 2 decisions, 1 tool
        assert all(s.context.trace_id == root.context.trace_id for s in members)

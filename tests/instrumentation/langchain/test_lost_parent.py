"""Runs LangChain starts without their parent (``parent_run_id=None``) still nest under the step that is current.

On Python 3.10 ``asyncio.create_task()`` takes no ``context``, so LangChain cannot hand an async LangGraph node's
config to ``model.ainvoke(...)`` called without ``config=``: the chat model starts a new root run. These tests make
LangChain lose the config the same way on every Python (``var_child_runnable_config`` cleared inside the node), so
the 3.10 behaviour is covered wherever the suite runs.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.messages import BaseMessage
from langchain_core.runnables.config import var_child_runnable_config
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import gen_ai as G

from .graphs import add, tool_calling_model
from .test_langgraph import QUESTION, _assert_react_tree

pytestmark = pytest.mark.usefixtures("instrumentor")


def _graph_losing_config(model: Any, *, is_async: bool, name: str = "react_agent") -> Any:
    """The react graph whose ``agent`` node calls the model with LangChain's run config lost (as on 3.10)."""

    def agent(state: MessagesState) -> dict[str, list[BaseMessage]]:
        var_child_runnable_config.set(None)
        return {"messages": [model.invoke(state["messages"])]}

    async def aagent(state: MessagesState) -> dict[str, list[BaseMessage]]:
        var_child_runnable_config.set(None)
        return {"messages": [await model.ainvoke(state["messages"])]}

    g = StateGraph(MessagesState)
    g.add_node("agent", aagent if is_async else agent)
    g.add_node("tools", ToolNode([add]))
    g.add_edge(START, "agent")
    g.add_conditional_edges("agent", tools_condition)
    g.add_edge("tools", "agent")
    return g.compile(name=name)


async def test_async_node_without_config_keeps_the_tree_and_action_types(tree: Any) -> None:
    app = _graph_losing_config(tool_calling_model(), is_async=True)
    result = await app.ainvoke(QUESTION)
    assert result["messages"][-1].content == "The answer is 3"
    t = tree()
    _assert_react_tree(t)
    assert len(t.spans) == 9
    chats = t.named("chat")
    assert [c.attributes[G.GEN_AI_USAGE_INPUT_TOKENS] for c in chats] == [11, 20]


def test_sync_node_without_config_keeps_the_tree(tree: Any) -> None:
    app = _graph_losing_config(tool_calling_model(), is_async=False)
    app.invoke(QUESTION)
    _assert_react_tree(tree())


async def test_concurrent_async_runs_without_config_keep_their_trees(tree: Any) -> None:
    apps = [_graph_losing_config(tool_calling_model(), is_async=True, name=f"agent_{i}") for i in range(3)]
    await asyncio.gather(*(app.ainvoke(QUESTION) for app in apps))
    t = tree()
    for i in range(3):
        root = t.one(f"invoke_agent agent_{i}")
        run_id = root.attributes[A.AGENT_RUN_ID]
        members = [s for s in t.spans if s.attributes.get(A.AGENT_RUN_ID) == run_id]
        assert len(members) == 9
        assert all(s.context.trace_id == root.context.trace_id for s in members)
        steps = t.children(root)
        assert [s.attributes[A.AGENT_STEP_ACTION_TYPE] for s in steps] == ["llm_call", "tool_call", "llm_call"]


def test_root_model_call_after_a_run_is_not_attached_to_it(tree: Any) -> None:
    app = _graph_losing_config(tool_calling_model(), is_async=False)
    app.invoke(QUESTION)
    model = tool_calling_model()
    model.invoke("again")
    chats = tree().named("chat")
    assert len(chats) == 3
    assert chats[-1].parent is None
    assert A.AGENT_RUN_ID not in chats[-1].attributes


def test_root_model_call_in_a_user_span_stays_its_child(tree: Any, provider: TracerProvider) -> None:
    with provider.get_tracer("user").start_as_current_span("user work") as user:
        tool_calling_model().invoke("hi")
    (chat,) = tree().named("chat")
    assert chat.parent is not None
    assert chat.parent.span_id == user.get_span_context().span_id
    assert chat.kind is trace.SpanKind.CLIENT

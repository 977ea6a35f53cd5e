"""Real LangGraph graphs built offline with LangChain's fake chat models."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.tools import tool
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from langgraph.types import Send


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


class ToolFailure(ValueError):
    pass


@tool
def explode(x: int) -> int:
    """Always fails."""
    raise ToolFailure(f"cannot handle {x}")


def tool_calling_model(tool_name: str = "add", args: dict[str, Any] | None = None) -> FakeMessagesListChatModel:
    return FakeMessagesListChatModel(
        responses=[
            AIMessage(
                content="",
                tool_calls=[{"name": tool_name, "args": args or {"a": 1, "b": 2}, "id": "call_1"}],
                usage_metadata={"input_tokens": 11, "output_tokens": 5, "total_tokens": 16},
                response_metadata={"finish_reason": "tool_calls"},
            ),
            AIMessage(
                content="The answer is 3",
                usage_metadata={"input_tokens": 20, "output_tokens": 4, "total_tokens": 24},
                response_metadata={"finish_reason": "stop"},
            ),
        ]
    )


def react_graph(
    model: Any, tools: list[Any], name: str = "react_agent", *, is_async: bool = False, **tool_node_kwargs: Any
) -> Any:
    """agent -> (tools_condition) -> tools -> agent -> END."""

    def agent(state: MessagesState) -> dict[str, list[BaseMessage]]:
        return {"messages": [model.invoke(state["messages"])]}

    async def aagent(state: MessagesState) -> dict[str, list[BaseMessage]]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    g = StateGraph(MessagesState)
    g.add_node("agent", aagent if is_async else agent)
    g.add_node("tools", ToolNode(tools, **tool_node_kwargs))
    g.add_edge(START, "agent")
    g.add_conditional_edges("agent", tools_condition)
    g.add_edge("tools", "agent")
    return g.compile(name=name)


class FanState(TypedDict):
    items: list[str]
    results: Annotated[list[str], operator.add]


def fan_out_graph(worker: Any = None) -> Any:
    """plan -> Send(work) x N (parallel) -> collect -> END."""

    def plan(state: FanState) -> dict[str, Any]:
        return {"items": ["a", "b", "c"]}

    def route(state: FanState) -> list[Send]:
        return [Send("work", {"items": [x], "results": []}) for x in state["items"]]

    def work(state: FanState) -> dict[str, Any]:
        if worker is not None:
            worker(state)
        return {"results": [state["items"][0].upper()]}

    def collect(state: FanState) -> dict[str, Any]:
        return {"results": ["done"]}

    g = StateGraph(FanState)
    g.add_node("plan", plan)
    g.add_node("work", work)
    g.add_node("collect", collect)
    g.add_edge(START, "plan")
    g.add_conditional_edges("plan", route, ["work"])
    g.add_edge("work", "collect")
    g.add_edge("collect", END)
    return g.compile(name="fan_agent")


class SubState(TypedDict):
    results: Annotated[list[str], operator.add]


def nested_graph() -> Any:
    """outer: prepare -> research (a compiled sub-graph as node) -> check (lambda router with path_map)."""
    sub = StateGraph(SubState)
    sub.add_node("search", lambda s: {"results": ["found"]})
    sub.add_edge(START, "search")
    researcher = sub.compile(name="researcher")

    outer = StateGraph(SubState)
    outer.add_node("prepare", lambda s: {"results": ["prepared"]})
    outer.add_node("research", researcher)
    outer.add_edge(START, "prepare")
    outer.add_edge("prepare", "research")
    outer.add_conditional_edges("research", lambda s: len(s["results"]) > 10, {True: "prepare", False: END})
    return outer.compile(name="supervisor")

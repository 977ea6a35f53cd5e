"""A LangGraph ReAct agent (ChatOpenAI against ``MOCK_OPENAI_URL``, two LangChain tools), for record/replay tests."""

from __future__ import annotations

import os
import uuid

from langchain_core.tools import tool
from langchain_openai import ChatOpenAI

import otel_agent_trace as oat
from tests.instrumentation.langchain.graphs import react_graph


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city} ({uuid.uuid4().hex[:8]})"  # a fresh value per real call: served, it stays the recorded one


@tool
def get_time(tz: str) -> str:
    """The time in a time zone."""
    return f"12:00 {tz} ({uuid.uuid4().hex[:8]})"


def main() -> None:
    oat.init(
        "graph-agent", capture_content=True, record_replay=True, instrumentors="langchain,openai", set_global=False
    )
    model = ChatOpenAI(model="gpt-4o-mini", api_key="sk-test", base_url=os.environ["MOCK_OPENAI_URL"], max_retries=0)
    graph = react_graph(model.bind_tools([get_weather, get_time]), [get_weather, get_time], name="graph_agent")
    out = graph.invoke({"messages": [("user", "Weather and time in Paris?")]})
    print(out["messages"][-1].content)


if __name__ == "__main__":
    main()

"""A CrewAI crew of one agent with one ``@tool`` (the quick start's shape), its LLM at ``MOCK_OPENAI_URL``: a program
for the record/replay test (``test_replay.py``)."""

from __future__ import annotations

import os

from crewai import LLM, Agent, Crew, Task
from crewai.tools import tool

import otel_agent_trace as oat
from tests.replay.programs._calls import count_call


@tool("get_weather")
def get_weather(city: str) -> str:
    """The weather in a city."""
    count_call("get_weather")
    return f"sunny in {city}"


def main() -> None:
    oat.init("crew-agent", capture_content=True, record_replay=True, instrumentors="crewai,openai")
    llm = LLM(model="openai/test-model", base_url=os.environ["MOCK_OPENAI_URL"], api_key="x")
    agent = Agent(role="Forecaster", goal="tell the weather", backstory="b", llm=llm, tools=[get_weather])
    task = Task(description="Weather in Paris?", expected_output="the weather", agent=agent)
    print(Crew(name="weather", agents=[agent], tasks=[task]).kickoff().raw)


if __name__ == "__main__":
    main()

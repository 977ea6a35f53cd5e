"""The smolagents quick start with one tool: a ``ToolCallingAgent`` over ``OpenAIServerModel`` (``MOCK_OPENAI_URL``)."""

from __future__ import annotations

import os

from smolagents import OpenAIServerModel, ToolCallingAgent, tool

import otel_agent_trace as oat
from tests.replay.programs._calls import count_call


@tool
def get_weather(city: str) -> str:
    """Tell the weather of a city.

    Args:
        city: The city.
    """
    count_call("get_weather")
    return f"sunny in {city}"


def main() -> None:
    oat.init("smolagents-agent", capture_content=True, record_replay=True, instrumentors="smolagents,openai")
    model = OpenAIServerModel(
        model_id="gpt-mock", api_base=os.environ["MOCK_OPENAI_URL"], api_key="sk-test", client_kwargs={"max_retries": 0}
    )
    agent = ToolCallingAgent(tools=[get_weather], model=model, verbosity_level=-1)
    print(agent.run("Weather in Paris?"))


if __name__ == "__main__":
    main()

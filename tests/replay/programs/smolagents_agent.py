"""The smolagents quick start with one tool: a ``ToolCallingAgent`` over ``OpenAIServerModel`` (``MOCK_OPENAI_URL``).

``WEATHER_FAULT=1`` makes the tool answer 100x too hot; the answer's check (a manual-API step) then records
the run's outcome as failed.
"""

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
    return f"sunny in {city}, {2100 if os.environ.get('WEATHER_FAULT') else 21} C"  # the fault: 100x too hot


@oat.agent_step("check_answer")
def check_answer(answer: str) -> bool:
    """Whether the answer's temperatures are plausible (at most 60 C)."""
    return all(int(word) <= 60 for word in answer.replace(",", " ").split() if word.isdigit())


def main() -> None:
    oat.init("smolagents-agent", capture_content=True, record_replay=True, instrumentors="smolagents,openai")
    model = OpenAIServerModel(
        model_id="gpt-mock", api_base=os.environ["MOCK_OPENAI_URL"], api_key="sk-test", client_kwargs={"max_retries": 0}
    )
    agent = ToolCallingAgent(tools=[get_weather], model=model, verbosity_level=-1)
    with oat.agent_run("weather-assistant"):  # one trace: the agent's run, then the answer's check
        answer = str(agent.run("Weather in Paris?"))
        plausible = check_answer(answer)
        oat.record_outcome(plausible, reason=None if plausible else "implausible temperature", actual=answer)
    print(answer)


if __name__ == "__main__":
    main()

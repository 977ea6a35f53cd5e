"""The OpenAI Agents SDK quick start with one function tool, against the Responses API mock at ``MOCK_OPENAI_URL``.

The SDK's own trace exporter is left on (as by default), uploading to the mock's ``/traces/ingest`` instead of
api.openai.com, and flushed at the end: a replay must not upload.
"""

from __future__ import annotations

import os

import agents
from agents import Agent, Runner, function_tool
from agents.tracing.processors import BackendSpanExporter, BatchTraceProcessor
from openai import AsyncOpenAI

import otel_agent_trace as oat
from tests.replay.programs._calls import count_call


@function_tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    count_call("get_weather")
    return f"sunny in {city}"


def main() -> None:
    url = os.environ["MOCK_OPENAI_URL"]
    exporter = BackendSpanExporter(api_key="sk-test", endpoint=f"{url}/traces/ingest", max_retries=1)
    agents.set_trace_processors([BatchTraceProcessor(exporter)])  # the SDK's default, pointed at the mock
    oat.init("agents-sdk-agent", capture_content=True, record_replay=True, instrumentors="openai_agents,openai")
    agents.set_default_openai_client(AsyncOpenAI(base_url=url, api_key="sk-test", max_retries=0), use_for_tracing=False)
    agents.set_default_openai_api("responses")
    agent = Agent(name="Assistant", instructions="Answer weather questions.", tools=[get_weather], model="gpt-4o-mini")
    result = Runner.run_sync(agent, "Weather in Paris?")
    print(result.final_output)
    agents.flush_traces()


if __name__ == "__main__":
    main()

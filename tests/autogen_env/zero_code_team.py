"""A quick-start-shaped AutoGen team traced zero-code (``otel_agent_trace.init()`` alone), its LLM at
``MOCK_OPENAI_URL``, its traces in the local store ``STORE_DIR``: the program of ``test_zero_code.py``."""

from __future__ import annotations

import asyncio
import os

from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.conditions import MaxMessageTermination, TextMentionTermination
from autogen_agentchat.teams import RoundRobinGroupChat
from autogen_ext.models.openai import OpenAIChatCompletionClient

import otel_agent_trace as oat


async def main() -> None:
    client = OpenAIChatCompletionClient(model="gpt-4o", api_key="test", base_url=os.environ["MOCK_OPENAI_URL"])
    researcher = AssistantAgent("researcher", model_client=client, system_message="[agent:researcher] Find facts.")
    writer = AssistantAgent("writer", model_client=client, system_message="[agent:writer] Write the report.")
    termination = TextMentionTermination("TERMINATE") | MaxMessageTermination(8)
    team = RoundRobinGroupChat([researcher, writer], termination_condition=termination)
    result = await team.run(task="At what temperature does water boil at sea level? Write a one-line report.")
    print(result.stop_reason)


if __name__ == "__main__":
    capture = os.environ.get("CAPTURE", "1") == "1"
    provider = oat.init("autogen-team", exporters="file", store_dir=os.environ["STORE_DIR"], capture_content=capture)
    asyncio.run(main())
    provider.shutdown()

"""An agent that calls an LLM SDK against a local mock server (``MOCK_BASE_URL``), for record/replay tests.

``LLM_AGENT_SDK`` picks the SDK: ``openai`` (a tool-calling completion, then a streamed one; ``openai_async``: the
same with ``AsyncOpenAI`` and an async tool), ``anthropic`` (a message, then a streamed one) or ``litellm`` (two
completions through litellm's OpenAI-compatible provider).
``LLM_AGENT_PROMPT`` changes the first openai prompt (a replay with another prompt diverges).
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import otel_agent_trace as oat

SDK = os.environ.get("LLM_AGENT_SDK", "openai")
PROMPT = os.environ.get("LLM_AGENT_PROMPT", "Weather in Paris?")


_WEATHER_TOOL: Any = {"type": "function", "function": {"name": "get_weather", "parameters": {}}}


@oat.tool_call("get_weather")
def get_weather(city: str) -> dict[str, Any]:
    return {"city": city, "forecast": "sunny"}


@oat.tool_call("get_weather")
async def get_weather_async(city: str) -> dict[str, Any]:
    return {"city": city, "forecast": "sunny"}


def _openai() -> str:
    import openai

    client = openai.OpenAI(base_url=os.environ["MOCK_BASE_URL"], api_key="sk-test", max_retries=0)
    with oat.step("plan", action_type="llm_call"):
        first = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": PROMPT}],
            tools=[_WEATHER_TOOL],
        )
    call = (first.choices[0].message.tool_calls or [])[0]
    weather = get_weather(**json.loads(call.function.arguments))
    with oat.step("answer", action_type="llm_call"):
        stream = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "tool", "tool_call_id": call.id, "content": json.dumps(weather)}],
            stream=True,
            stream_options={"include_usage": True},
        )
        return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)


async def _openai_async_calls() -> str:
    import openai

    client = openai.AsyncOpenAI(base_url=os.environ["MOCK_BASE_URL"], api_key="sk-test", max_retries=0)
    with oat.step("plan", action_type="llm_call"):
        first = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": PROMPT}], tools=[_WEATHER_TOOL]
        )
    call = (first.choices[0].message.tool_calls or [])[0]
    weather = await get_weather_async(**json.loads(call.function.arguments))
    with oat.step("answer", action_type="llm_call"):
        stream = await client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "tool", "tool_call_id": call.id, "content": json.dumps(weather)}],
            stream=True,
        )
        return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])


def _openai_async() -> str:
    return asyncio.run(_openai_async_calls())


def _anthropic() -> str:
    import anthropic

    client = anthropic.Anthropic(base_url=os.environ["MOCK_BASE_URL"], api_key="sk-ant-test", max_retries=0)
    with oat.step("plan", action_type="llm_call"):
        first = client.messages.create(
            model="claude-sonnet-4-5",
            max_tokens=100,
            messages=[{"role": "user", "content": "Weather in Paris?"}],
        )
    weather = get_weather(city="Paris")
    with oat.step("answer", action_type="llm_call"):
        stream = client.messages.create(
            model="claude-sonnet-4-5",
            max_tokens=100,
            stream=True,
            messages=[{"role": "user", "content": f"{first.content[0].text} {json.dumps(weather)}"}],
        )
        return "".join(e.delta.text for e in stream if e.type == "content_block_delta" and e.delta.type == "text_delta")


def _litellm() -> str:
    import litellm

    base = os.environ["MOCK_BASE_URL"]
    with oat.step("plan", action_type="llm_call"):
        first = litellm.completion(
            model="openai/gpt-mock", api_base=base, api_key="sk-test", messages=[{"role": "user", "content": "Hi"}]
        )
    weather = get_weather(city="Paris")
    with oat.step("answer", action_type="llm_call"):
        second = litellm.completion(
            model="openai/gpt-mock",
            api_base=base,
            api_key="sk-test",
            messages=[{"role": "user", "content": f"{first.choices[0].message.content} {json.dumps(weather)}"}],
        )
    return str(second.choices[0].message.content)


def main() -> None:
    oat.init(
        "llm-agent",
        capture_content=True,
        record_replay=True,
        instrumentors=SDK.removesuffix("_async"),
        set_global=False,
    )
    with oat.agent_run("llm-agent"):
        answer = {"openai": _openai, "openai_async": _openai_async, "anthropic": _anthropic, "litellm": _litellm}[SDK]()
    print(answer)


if __name__ == "__main__":
    main()

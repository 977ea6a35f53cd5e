"""A LlamaIndex ``ReActAgent`` with one ``FunctionTool`` (the quick start's shape), its model the scripted offline
completion model of the LlamaIndex instrumentation tests, made to answer with the tool's observation."""

from __future__ import annotations

import asyncio
from typing import Any

from llama_index.core.agent.workflow import ReActAgent
from llama_index.core.llms import CompletionResponse
from llama_index.core.llms.callbacks import llm_completion_callback
from llama_index.core.tools import FunctionTool

import otel_agent_trace as oat
from tests.instrumentation.llama_index.test_llama_index import ScriptedLLM, _react
from tests.replay.programs._calls import count_call

QUESTION = "Weather in Paris?"


class EchoLLM(ScriptedLLM):
    """Asks for ``get_weather``, then answers with the last observation (a changed tool output changes the answer)."""

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        after_question = prompt.rsplit(QUESTION, 1)[-1]  # the format instructions before it show an Observation too
        if "Observation:" in after_question:
            observation = after_question.rsplit("Observation:", 1)[1].strip().splitlines()[0]
            self.script = [f"Thought: I can answer without using any more tools.\nAnswer: The weather: {observation}"]
        else:
            self.script = [_react("get_weather", {"city": "Paris"})]
        self.calls = 0
        return super().complete(prompt, formatted, **kwargs)


def get_weather(city: str) -> str:
    """The weather in a city."""
    count_call("get_weather")
    return f"sunny in {city}"


async def run() -> None:
    agent = ReActAgent(tools=[FunctionTool.from_defaults(get_weather)], llm=EchoLLM(), name="weather")
    print(await agent.run(QUESTION))


def main() -> None:
    oat.init("llama-index-agent", capture_content=True, record_replay=True, instrumentors="llama_index")
    asyncio.run(run())


if __name__ == "__main__":
    main()

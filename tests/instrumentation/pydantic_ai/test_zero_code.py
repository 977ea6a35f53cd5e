"""Zero-code: an unchanged Pydantic AI quick-start program under ``opentelemetry-instrument`` is traced, once."""

from __future__ import annotations

import textwrap
from pathlib import Path

from otel_agent_trace.semconv import agent as A
from tests.instrumentation.pydantic_ai._trace import run_zero_code
from tests.instrumentation.pydantic_ai.conftest import ScriptedServer, text_reply, tool_call_reply

APP = textwrap.dedent(
    """
    from pydantic_ai import Agent

    agent = Agent("openai-chat:gpt-mock", name="weather", instructions="Be concise.")

    @agent.tool_plain
    def get_weather(city: str) -> str:
        return f"sunny in {city}"

    print(agent.run_sync("Weather in Paris?").output)
    """
)


def test_quick_start_traced_under_opentelemetry_instrument(tmp_path: Path, server: ScriptedServer) -> None:
    server.reply(tool_call_reply("get_weather", {"city": "Paris"}, "call_1"), text_reply("It is sunny"))
    stdout, spans = run_zero_code(
        tmp_path,
        APP,
        {
            "OPENAI_API_KEY": "test",
            "OPENAI_BASE_URL": server.base_url,
            "OTEL_SERVICE_NAME": "pydantic-ai-app",
        },
    )
    assert stdout.strip() == "It is sunny"
    names = sorted(s.name for s in spans)
    assert names == ["chat gpt-mock", "chat gpt-mock", "execute_tool get_weather", "invoke_agent weather"], names
    assert {s.scope for s in spans} == {"pydantic-ai"}  # our openai instrumentor recorded on its chat spans
    chats = sorted((s for s in spans if s.name.startswith("chat")), key=lambda s: s.start_ns)
    assert [s.attributes["gen_ai.usage.input_tokens"] for s in chats] == [20, 30]
    assert all(s.attributes["openai.api.type"] == "chat_completions" for s in chats)
    steps = sorted((s for s in spans if not s.name.startswith("invoke_agent")), key=lambda s: s.start_ns)
    assert [s.attributes[A.AGENT_STEP_INDEX] for s in steps] == [0, 1, 2]
    # content capture is off by default: Pydantic AI was told so
    assert not any("Weather in Paris?" in str(s.attributes) for s in spans)

"""Zero-code: an unchanged AG2 quick-start program under ``opentelemetry-instrument`` is traced, one span per call.

Until the ``agent_ag2`` entry point is in the installed metadata (pyproject, applied by the lead), the test puts a
one-entry-point ``.dist-info`` on the program's ``PYTHONPATH`` so ``opentelemetry-instrument`` finds the
instrumentor the same way.
"""

from __future__ import annotations

import os
import textwrap
from importlib.metadata import entry_points
from pathlib import Path

from tests.instrumentation.pydantic_ai._trace import run_zero_code

from .mock_server import MockChat, text_reply, tool_reply

APP = textwrap.dedent(
    """
    import asyncio
    import os

    from ag2 import Agent, tool
    from ag2.config import OpenAIConfig


    @tool
    def get_weather(city: str) -> str:
        \"\"\"The weather of a city.\"\"\"
        return f"sunny in {city}"


    agent = Agent(
        "weather_agent",
        prompt="You are a helpful assistant.",
        config=OpenAIConfig(model="gpt-4o-mini", base_url=os.environ["MOCK_BASE_URL"], api_key="test", max_retries=0),
        tools=[get_weather],
    )


    async def main() -> None:
        reply = await agent.ask("What is the weather in Paris?")
        print(reply.body)


    asyncio.run(main())
    """
)


def _entry_point_path(tmp_path: Path) -> dict[str, str]:
    if any(ep.name == "agent_ag2" for ep in entry_points(group="opentelemetry_instrumentor")):
        return {}
    info = tmp_path / "site" / "otel_agent_trace_ag2_ep-0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: otel-agent-trace-ag2-ep\nVersion: 0.0\n")
    (info / "entry_points.txt").write_text(
        "[opentelemetry_instrumentor]\nagent_ag2 = otel_agent_trace.instrumentation.ag2:AG2Instrumentor\n"
    )
    extra = os.environ.get("PYTHONPATH")
    return {"PYTHONPATH": os.pathsep.join(p for p in (str(info.parent), extra) if p)}


def test_quick_start_traced_under_opentelemetry_instrument(tmp_path: Path, chat: MockChat) -> None:
    chat.reset(tool_reply(("get_weather", {"city": "Paris"})), text_reply("It is sunny in Paris."))
    stdout, spans = run_zero_code(
        tmp_path, APP, {"MOCK_BASE_URL": chat.base_url, "OTEL_SERVICE_NAME": "ag2-app", **_entry_point_path(tmp_path)}
    )
    assert stdout.strip() == "It is sunny in Paris."
    names = sorted(s.name for s in spans if not s.name.startswith(("POST", "GET")))
    assert names == sorted(
        [
            "invoke_agent weather_agent",
            "step weather_agent",
            "step weather_agent",
            "chat gpt-4o-mini",
            "chat gpt-4o-mini",
            "execute_tool get_weather",
        ]
    ), names
    (run,) = [s for s in spans if s.name == "invoke_agent weather_agent"]
    steps = sorted((s for s in spans if s.parent_span_id == run.span_id), key=lambda s: s.start_ns)
    assert [s.name for s in steps] == ["step weather_agent", "step weather_agent"]
    chats = [s for s in spans if s.name.startswith("chat")]
    assert {s.parent_span_id for s in chats} == {s.span_id for s in steps}
    assert sum(s.attributes["gen_ai.usage.input_tokens"] for s in chats) == 20
    (tool_span,) = [s for s in spans if s.name == "execute_tool get_weather"]
    assert tool_span.parent_span_id == steps[0].span_id
    assert "gen_ai.tool.call.arguments" not in tool_span.attributes  # content capture off by default

"""Zero-code: an unchanged ADK quick-start program under ``opentelemetry-instrument`` is traced, one span per call."""

from __future__ import annotations

import textwrap
from pathlib import Path

from otel_agent_trace.semconv import agent as A
from tests.adk_env._mock import ScriptedGemini, function_call, text
from tests.adk_env._schema import default_is_legacy
from tests.instrumentation.pydantic_ai._trace import run_zero_code

APP = textwrap.dedent(
    """
    import asyncio

    from google.adk.agents import LlmAgent
    from google.adk.runners import InMemoryRunner
    from google.genai import types


    def get_weather(city: str) -> str:
        \"\"\"The weather of a city.\"\"\"
        return f"sunny in {city}"


    agent = LlmAgent(name="weather", model="gemini-2.5-flash", instruction="Answer.", tools=[get_weather])
    runner = InMemoryRunner(agent=agent, app_name="app")


    async def main() -> None:
        session = await runner.session_service.create_session(app_name="app", user_id="u1")
        message = types.Content(role="user", parts=[types.Part(text="Weather in Paris?")])
        async for event in runner.run_async(user_id="u1", session_id=session.id, new_message=message):
            if event.content and event.content.parts and event.content.parts[0].text:
                print(event.content.parts[0].text)


    asyncio.run(main())
    """
)


def test_quick_start_traced_under_opentelemetry_instrument(tmp_path: Path, gemini: ScriptedGemini) -> None:
    gemini.reply(function_call("get_weather", {"city": "Paris"}, "fc_1", (30, 5)), text("It is sunny.", (40, 9)))
    stdout, spans = run_zero_code(
        tmp_path,
        APP,
        {
            "GOOGLE_API_KEY": "test",
            "GOOGLE_GEMINI_BASE_URL": gemini.base_url,
            "OTEL_SERVICE_NAME": "adk-app",
        },
    )
    assert stdout.strip() == "It is sunny."
    names = sorted(s.name for s in spans)
    legacy = ["call_llm", "call_llm"] if default_is_legacy() else []  # ADK 2.11's default schema (Python 3.10)
    root = "invocation" if legacy else "invoke_workflow weather"
    assert names == sorted(
        [
            *legacy,
            "execute_tool get_weather",
            "generate_content gemini-2.5-flash",
            "generate_content gemini-2.5-flash",
            "invoke_agent weather",
            root,
        ]
    ), names
    (workflow,) = [s for s in spans if s.name == root]
    assert workflow.attributes["gen_ai.operation.name"] == "invoke_workflow"
    assert {s.scope for s in spans} == {"gcp.vertex.agent"}  # our google-genai instrumentor recorded on ADK's spans
    calls = sorted((s for s in spans if s.name.startswith("generate_content")), key=lambda s: s.start_ns)
    assert [s.attributes["gen_ai.usage.input_tokens"] for s in calls] == [30, 40]
    assert calls[0].attributes["gen_ai.response.id"] == "resp_fc_1"
    (run,) = [s for s in spans if s.name == "invoke_agent weather"]
    steps = sorted((s for s in spans if s.parent_span_id == run.span_id), key=lambda s: s.start_ns)
    assert [s.attributes[A.AGENT_STEP_INDEX] for s in steps] == [0, 1, 2]
    assert [s.attributes[A.AGENT_STEP_INDEX] for s in calls] == [0, 2]

"""smolagents agent runs against the GenAI agent span definitions: provider from the agent's model, the plan span.

A real ``ToolCallingAgent`` over ``OpenAIServerModel`` against the smolagents tests' scripted local server, through
`SmolagentsInstrumentor` and `AgentSpanProcessor`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

smolagents = pytest.importorskip("smolagents")

from otel_agent_trace.instrumentation.smolagents import SmolagentsInstrumentor  # noqa: E402
from tests.conformance._check import conformance_problems  # noqa: E402
from tests.conformance._spec import EXECUTE_TOOL, INVOKE_AGENT, PLAN, Fact  # noqa: E402
from tests.conformance.conftest import Recorded  # noqa: E402
from tests.instrumentation._servers import serving  # noqa: E402
from tests.instrumentation.smolagents.conftest import (  # noqa: E402
    MODEL,
    ScriptedServer,
    text_reply,
    tool_call_reply,
)

QUIET = -1  # smolagents LogLevel.OFF


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    with serving(ScriptedServer()) as srv:
        yield srv


def test_smolagents_run_with_planning(server: ScriptedServer, recorded: Recorded) -> None:
    server.script.clear()
    server.reply(text_reply("1. Answer.", reply_id="plan"), tool_call_reply("final_answer", {"answer": "done"}, "c1"))
    model = smolagents.OpenAIServerModel(
        model_id=MODEL, api_base=server.base_url, api_key="sk-test", client_kwargs={"max_retries": 0}
    )
    instrumentor = SmolagentsInstrumentor()
    instrumentor.instrument(tracer_provider=recorded.provider, capture_content=True)
    try:
        agent = smolagents.ToolCallingAgent(
            tools=[], model=model, planning_interval=5, verbosity_level=QUIET, name="planner", description="Plans."
        )
        assert agent.run("Plan then answer") == "done"
    finally:
        instrumentor.uninstrument()

    run = recorded.one("invoke_agent planner")
    facts = {Fact.AGENT_NAME, Fact.AGENT_DESCRIPTION, Fact.MODEL}
    assert conformance_problems(run, INVOKE_AGENT, facts) == []
    assert (run.attributes or {})["gen_ai.provider.name"] == "openai"  # from the model object, at start
    (plan,) = recorded.operation("plan")
    assert conformance_problems(plan, PLAN, {Fact.AGENT_NAME}) == []
    assert (plan.attributes or {})["agent_trace.step.action_type"] == "planning"
    (tool,) = recorded.operation("execute_tool")
    assert conformance_problems(tool, EXECUTE_TOOL, {Fact.TOOL_CALL_ID, Fact.TOOL_DESCRIPTION, Fact.CONTENT}) == []


async def test_llama_index_agent_names_its_llm_provider_at_start(recorded: Recorded) -> None:
    from otel_agent_trace.instrumentation.llama_index import LlamaIndexInstrumentor
    from tests.instrumentation.llama_index.test_llama_index import ANSWER, _agent, _react

    instrumentor = LlamaIndexInstrumentor()
    instrumentor.instrument(tracer_provider=recorded.provider, capture_content=False)
    try:
        result = await _agent([_react("add", {"a": 2, "b": 3}), ANSWER]).run(user_msg="what is 2+3?")
    finally:
        instrumentor.uninstrument()
    assert "5" in str(result)
    run = recorded.one("invoke_agent calc")
    assert conformance_problems(run, INVOKE_AGENT, {Fact.AGENT_NAME, Fact.AGENT_DESCRIPTION}) == []
    # A custom LLM class outside any llama_index.llms integration: the instrumentor's own name, as on its LLM spans.
    assert (run.attributes or {})["gen_ai.provider.name"] == "llama_index"
    for tool in recorded.operation("execute_tool"):
        assert conformance_problems(tool, EXECUTE_TOOL, {Fact.TOOL_DESCRIPTION}) == []

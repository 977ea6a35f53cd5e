"""Message contents in no exported span without content capture, AutoGen's own runtime spans included; with it, there.

autogen-core's ``SingleThreadedAgentRuntime`` puts the serialized message on its ``autogen process``/``ack`` spans
(``message``); the instrumentor leaves it out unless content capture is on. A unique marker in the task, the agents'
answers and the tool's result is looked for in every attribute and event attribute of every span.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.conditions import MaxMessageTermination, TextMentionTermination
from autogen_agentchat.teams import RoundRobinGroupChat
from autogen_ext.models.openai import OpenAIChatCompletionClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.autogen_env._mock_llm import Answer, Call, MockLLMServer

pytestmark = [pytest.mark.usefixtures("instrumented"), pytest.mark.filterwarnings("ignore::UserWarning")]

MARKER = "zq-marker-7f3a"


async def lookup(city: str) -> str:
    """Look a city up."""
    return f"{city}: {MARKER} tool result"


def _run(llm: MockLLMServer) -> None:
    llm.script = {
        "weather": [Call("lookup", {"city": f"Paris {MARKER}"}), Answer(f"sunny {MARKER}")],
        "critic": [Answer(f"right {MARKER} TERMINATE")],
    }
    client = OpenAIChatCompletionClient(model="gpt-4o", api_key="test", base_url=llm.base_url, max_retries=0)
    weather = AssistantAgent("weather", model_client=client, tools=[lookup], system_message="[agent:weather]")
    critic = AssistantAgent("critic", model_client=client, system_message="[agent:critic]")
    termination = TextMentionTermination("TERMINATE") | MaxMessageTermination(8)
    result = asyncio.run(RoundRobinGroupChat([weather, critic], termination_condition=termination).run(task=MARKER))
    assert result.stop_reason == "Text 'TERMINATE' mentioned"


def _carrying(spans: Sequence[ReadableSpan]) -> set[tuple[str, str]]:
    """(scope, attribute) of every attribute, span or event, whose value holds the marker."""
    found: set[tuple[str, str]] = set()
    for span in spans:
        scope = span.instrumentation_scope.name if span.instrumentation_scope else ""
        for key, value in (span.attributes or {}).items():
            if MARKER in str(value):
                found.add((scope, key))
        for event in span.events:
            for key, value in (event.attributes or {}).items():
                if MARKER in str(value):
                    found.add((scope, f"{event.name}.{key}"))
    return found


@pytest.mark.parametrize("capture", [False], ids=["no-capture"], indirect=True)
def test_without_content_capture_no_span_carries_message_text(
    llm: MockLLMServer, exporter: InMemorySpanExporter
) -> None:
    _run(llm)
    spans = exporter.get_finished_spans()
    runtime = [s for s in spans if s.name.startswith("autogen process")]
    assert runtime  # AutoGen's runtime spans are still there, with their other attributes
    assert all("message" not in (s.attributes or {}) for s in runtime)
    assert all("recipient_agent_type" in (s.attributes or {}) for s in runtime)
    assert _carrying(spans) == set()


@pytest.mark.parametrize("capture", [True], ids=["capture"], indirect=True)
def test_with_content_capture_the_runtime_spans_keep_autogen_s_message(
    llm: MockLLMServer, exporter: InMemorySpanExporter
) -> None:
    _run(llm)
    carrying = _carrying(exporter.get_finished_spans())
    assert ("autogen SingleThreadedAgentRuntime", "message") in carrying  # AutoGen's attribute, as AutoGen makes it
    assert ("otel_agent_trace.AutoGenInstrumentor", "agent_trace.step.input") in carrying
    assert ("otel_agent_trace.AutoGenInstrumentor", "gen_ai.tool.call.result") in carrying

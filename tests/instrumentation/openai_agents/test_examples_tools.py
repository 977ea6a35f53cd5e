"""The Agents SDK's own example shapes, run as a user runs them: our httpx2 and openai instrumentors on too, and
the SDK's own trace exporter left in place, pointed at a closed port (or at the local mock) instead of
api.openai.com. One test per defect of issue 11 item 4, each asserting the exact span tree.

Here: basic/tools.py (on the Responses and the Chat Completions API) and agent_patterns/agents_as_tools.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import agents
import httpx2
import pytest
from agents import Agent, ModelSettings, Runner, function_tool, trace
from agents.tracing.processors import BatchTraceProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import BaseModel

from ._example_tree import MODEL, attrs, finished, only_root, shape
from .mock_server import RESPONSE_MODEL, MockResponses, text, tool_call, tool_calls


# examples/basic/tools.py
class Weather(BaseModel):
    city: str
    temperature_range: str
    conditions: str


CALLS: list[tuple[str, int, int]] = []
"""(city, time.time_ns() at the tool's entry, at its exit)."""
WEATHER_URL: list[str] = []


@function_tool
def get_weather(city: str) -> Weather:
    """Get the current weather information for a specified city (from the local weather service)."""
    entered = time.time_ns()
    reply = httpx2.get(f"{WEATHER_URL[0]}/weather?city={city}").json()
    weather = Weather(city=city, temperature_range=reply["temperature_range"], conditions=reply["conditions"])
    CALLS.append((city, entered, time.time_ns()))
    return weather


@pytest.fixture
def weather(responses: MockResponses) -> Iterator[None]:
    WEATHER_URL.append(responses.base_url)
    CALLS.clear()
    yield
    WEATHER_URL.clear()
    CALLS.clear()


def tools_agent() -> Agent[Any]:
    return Agent(name="Hello world", instructions="You are a helpful agent.", tools=[get_weather], model=MODEL)


@pytest.mark.usefixtures("weather")
@pytest.mark.parametrize("backend", ["local", "unreachable"], indirect=True)
async def test_sdk_trace_upload_makes_no_spans(
    responses: MockResponses, traced: BatchTraceProcessor, exporter: InMemorySpanExporter
) -> None:
    """(a) The SDK's own upload (to a reachable or an unreachable backend) is not traced; it still happens."""
    responses.script.extend([tool_call("r1", "get_weather", {"city": "Tokyo"}, "call_t"), text("r2", "Sunny.")])

    result = await Runner.run(tools_agent(), input="What's the weather in Tokyo?")
    tree = finished(exporter, traced)

    assert result.final_output == "Sunny."
    root = only_root(tree)
    assert shape(tree, root) == (
        "invoke_workflow Agent workflow",
        "UNSET",
        (
            (
                "invoke_agent Hello world",
                "UNSET",
                (
                    (f"chat {MODEL}", "UNSET", ()),
                    (f"chat {MODEL}", "UNSET", ()),
                    ("execute_tool get_weather", "UNSET", (("GET", "UNSET", ()),)),
                ),
            ),
        ),
    )
    assert not [s for s in tree.spans if "/traces/ingest" in str(attrs(s).get("url.full", ""))]
    reachable = traced._exporter.endpoint.startswith(responses.base_url)  # type: ignore[attr-defined]
    assert bool(responses.ingested) is reachable  # the upload went out: the user's choice of backend stands
    uploaded = [item for body in responses.ingested for item in body["data"]]
    if reachable:
        assert {item.get("object") for item in uploaded} == {"trace", "trace.span"}
        kinds = {item["span_data"]["type"] for item in uploaded if item.get("object") == "trace.span"}
        assert {"agent", "response", "function"} <= kinds


@pytest.mark.usefixtures("weather")
async def test_model_call_has_no_duplicate_http_span(
    responses: MockResponses, traced: BatchTraceProcessor, exporter: InMemorySpanExporter
) -> None:
    """(b) Under each chat span, no HTTP and no second LLM span; a tool's own HTTP call is still traced."""
    responses.script.extend([tool_call("r1", "get_weather", {"city": "Tokyo"}, "call_t"), text("r2", "Sunny.")])

    await Runner.run(tools_agent(), input="What's the weather in Tokyo?")

    tree = finished(exporter, traced)
    only_root(tree)
    chats = tree.named(f"chat {MODEL}")
    assert len(chats) == 2 == len(responses.requests)
    for chat in chats:
        assert tree.children(chat) == []
        assert "What's the weather in Tokyo?" in str(attrs(chat)["gen_ai.input.messages"])
    http = [s for s in tree.spans if "http.request.method" in attrs(s)]
    assert [(s.name, tree.parent(s).name) for s in http] == [("GET", "execute_tool get_weather")]  # type: ignore[union-attr]
    assert attrs(http[0])["gen_ai.tool.call.id"] == "call_t"  # the tool's HTTP span knows its tool call
    assert attrs(http[0])["agent_trace.tool.external"] is True


@pytest.mark.usefixtures("weather")
async def test_request_model_is_the_requested_one(
    responses: MockResponses, traced: BatchTraceProcessor, exporter: InMemorySpanExporter
) -> None:
    """(d) ``gen_ai.request.model`` and the span name: the model asked for; the dated answer is the response's."""
    responses.script.append(text("r1", "Hi."))
    agent = Agent(
        name="Hello world",
        instructions="You are a helpful agent.",
        model=MODEL,
        model_settings=ModelSettings(temperature=0.25, top_p=0.5, max_tokens=64),
    )

    await Runner.run(agent, input="hello")

    assert responses.requests[0]["model"] == MODEL
    tree = finished(exporter, traced)
    only_root(tree)
    (chat,) = tree.named(f"chat {MODEL}")
    chat_attrs = attrs(chat)
    assert chat_attrs["gen_ai.request.model"] == MODEL
    assert chat_attrs["gen_ai.response.model"] == RESPONSE_MODEL
    assert chat_attrs["gen_ai.request.temperature"] == 0.25
    assert chat_attrs["gen_ai.request.top_p"] == 0.5
    assert chat_attrs["gen_ai.request.max_tokens"] == 64
    assert chat_attrs["gen_ai.response.id"] == "r1"


@pytest.mark.usefixtures("weather")
async def test_tool_spans_carry_call_id_and_latency(
    responses: MockResponses, traced: BatchTraceProcessor, exporter: InMemorySpanExporter
) -> None:
    """(e) Parallel tool calls: each tool span has its call id and covers the tool's own run (real start/end)."""
    responses.script.extend(
        [
            tool_calls(
                "r1", ("get_weather", {"city": "Tokyo"}, "call_tokyo"), ("get_weather", {"city": "Oslo"}, "call_oslo")
            ),
            text("r2", "Sunny in both."),
        ]
    )

    await Runner.run(tools_agent(), input="Weather in Tokyo and Oslo?")

    tree = finished(exporter, traced)
    only_root(tree)
    first_chat = min(tree.named(f"chat {MODEL}"), key=lambda s: s.start_time or 0)
    assert attrs(first_chat)["agent_trace.llm.tool_call.ids"] == ("call_tokyo", "call_oslo")
    tools = {attrs(s)["gen_ai.tool.call.id"]: s for s in tree.named("execute_tool get_weather")}
    assert set(tools) == {"call_tokyo", "call_oslo"}
    runs = {city: (entered, left) for city, entered, left in CALLS}
    for call_id, city in (("call_tokyo", "Tokyo"), ("call_oslo", "Oslo")):
        span = tools[call_id]
        assert city in str(attrs(span)["gen_ai.tool.call.arguments"])
        entered, left = runs[city]
        assert span.start_time is not None and span.end_time is not None
        assert span.start_time <= entered <= left <= span.end_time  # the span is the tool's run, not an instant
        latency = attrs(span)["agent_trace.tool.latency_ms"]
        assert isinstance(latency, float)
        assert (left - entered) / 1e6 <= latency <= (span.end_time - span.start_time) / 1e6 + 1.0
        assert attrs(span)["agent_trace.tool.status"] == "ok"
        (http,) = tree.children(span)
        assert attrs(http)["gen_ai.tool.call.id"] == call_id


async def test_agents_as_tools_nest_under_their_tool_call(
    responses: MockResponses, traced: BatchTraceProcessor, exporter: InMemorySpanExporter
) -> None:
    """(e) agents_as_tools.py: the translator agent runs under the tool span of its call, which has the call id."""
    spanish_agent = Agent(
        name="spanish_agent",
        instructions="You translate the user's message to Spanish",
        handoff_description="An english to spanish translator",
        model=MODEL,
    )
    orchestrator_agent = Agent(
        name="orchestrator_agent",
        instructions="You are a translation agent. You use the tools given to you to translate.",
        tools=[
            spanish_agent.as_tool(
                tool_name="translate_to_spanish", tool_description="Translate the user's message to Spanish"
            )
        ],
        model=MODEL,
    )
    synthesizer_agent = Agent(name="synthesizer_agent", instructions="You inspect translations.", model=MODEL)
    responses.route(
        "You are a translation agent",
        tool_call("o1", "translate_to_spanish", {"input": "Good morning"}, "call_es"),
        text("o2", "Buenos días"),
    )
    responses.route("to Spanish", text("s1", "Buenos días"))
    responses.route("You inspect", text("y1", "Final: Buenos días"))

    with trace("Orchestrator evaluator"):
        orchestrator_result = await Runner.run(orchestrator_agent, "Say 'Good morning' in Spanish.")
        synthesizer_result = await Runner.run(synthesizer_agent, orchestrator_result.to_input_list())

    assert synthesizer_result.final_output == "Final: Buenos días"
    tree = finished(exporter, traced)
    chat = (f"chat {MODEL}", "UNSET", ())
    assert shape(tree, only_root(tree)) == (
        "invoke_workflow Orchestrator evaluator",
        "UNSET",
        (
            (
                "invoke_agent orchestrator_agent",
                "UNSET",
                (
                    chat,
                    chat,
                    (
                        "execute_tool translate_to_spanish",
                        "UNSET",
                        (("invoke_agent spanish_agent", "UNSET", (chat,)),),
                    ),
                ),
            ),
            ("invoke_agent synthesizer_agent", "UNSET", (chat,)),
        ),
    )
    tool = tree.one("execute_tool translate_to_spanish")
    assert attrs(tool)["gen_ai.tool.call.id"] == "call_es"
    assert attrs(tool)["agent_trace.tool.latency_ms"] > 0


@pytest.mark.usefixtures("weather")
async def test_chat_completions_model_same_tree(
    responses: MockResponses, traced: BatchTraceProcessor, exporter: InMemorySpanExporter
) -> None:
    """(b, d, e) basic/tools.py on the Chat Completions API: no HTTP span under the calls, the models, the call id."""
    responses.script.extend([tool_call("c1", "get_weather", {"city": "Tokyo"}, "call_cc"), text("c2", "Sunny.")])
    agents.set_default_openai_api("chat_completions")
    try:
        result = await Runner.run(tools_agent(), input="What's the weather in Tokyo?")
    finally:
        agents.set_default_openai_api("responses")

    assert result.final_output == "Sunny."
    assert all(path.endswith("/chat/completions") for path in responses.paths)
    tree = finished(exporter, traced)
    assert shape(tree, only_root(tree)) == (
        "invoke_workflow Agent workflow",
        "UNSET",
        (
            (
                "invoke_agent Hello world",
                "UNSET",
                (
                    (f"chat {MODEL}", "UNSET", ()),
                    (f"chat {MODEL}", "UNSET", ()),
                    ("execute_tool get_weather", "UNSET", (("GET", "UNSET", ()),)),
                ),
            ),
        ),
    )
    first, second = sorted(tree.named(f"chat {MODEL}"), key=lambda s: s.start_time or 0)
    assert attrs(first)["gen_ai.request.model"] == MODEL
    assert attrs(first)["gen_ai.response.model"] == RESPONSE_MODEL
    assert attrs(first)["gen_ai.response.id"] == "chatcmpl-c1"
    assert attrs(first)["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert attrs(first)["agent_trace.llm.tool_call.ids"] == ("call_cc",)
    assert attrs(second)["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs(tree.one("execute_tool get_weather"))["gen_ai.tool.call.id"] == "call_cc"

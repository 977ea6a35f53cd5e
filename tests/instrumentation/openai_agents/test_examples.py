"""The Agents SDK's own example shapes (basic/tools.py, agent_patterns/agents_as_tools.py, input_guardrails.py,
routing.py streamed), run as a user runs them: our httpx2 and openai instrumentors on too, and the SDK's own
trace exporter left in place, pointed at the local mock (or at a closed port) instead of api.openai.com.
One test per defect of issue 11 item 4, each asserting the exact span tree.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import agents
import httpx2
import pytest
from agents import (
    Agent,
    GuardrailFunctionOutput,
    InputGuardrailTripwireTriggered,
    ModelSettings,
    RawResponsesStreamEvent,
    RunContextWrapper,
    Runner,
    TResponseInputItem,
    function_tool,
    input_guardrail,
    trace,
)
from agents.tracing.processors import BackendSpanExporter, BatchTraceProcessor
from openai.types.responses import ResponseTextDeltaEvent
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import BaseModel

from otel_agent_trace.instrumentation.httpx2 import HTTPX2Instrumentor
from otel_agent_trace.instrumentation.openai import OpenAIInstrumentor
from otel_agent_trace.instrumentation.openai_agents import OpenAIAgentsInstrumentor
from tests.instrumentation._spans import Tree

from .mock_server import RESPONSE_MODEL, MockResponses, text, tool_call, tool_calls

MODEL = "gpt-4o-mini"
Shape = tuple[str, str, tuple[Any, ...]]


def shape(tree: Tree, span: ReadableSpan) -> Shape:
    """``(name, status, children)`` of ``span``, children ordered by name then start (parallel work varies)."""
    kids = sorted(tree.children(span), key=lambda s: (s.name, s.start_time or 0))
    return (span.name, span.status.status_code.name, tuple(shape(tree, kid) for kid in kids))


def only_root(tree: Tree) -> ReadableSpan:
    """The one root span: no upload, no stray HTTP span of its own."""
    roots = tree.roots()
    assert len(roots) == 1, [(s.name, (s.attributes or {}).get("url.full")) for s in roots]
    return roots[0]


def finished(exporter: InMemorySpanExporter, backend: BatchTraceProcessor) -> Tree:
    """The spans, once the SDK's exporter has made its upload (as it does at exit): none of it may show."""
    backend.force_flush()  # type: ignore[no-untyped-call]
    return Tree(exporter.get_finished_spans())


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def closed_port_url() -> str:
    """An ingest URL on 127.0.0.1 where nothing listens (the hosted backend unreachable, without the internet)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1/traces/ingest"


@pytest.fixture
def backend(request: pytest.FixtureRequest, responses: MockResponses) -> Iterator[BatchTraceProcessor]:
    """The SDK's own exporter and batch processor, as by default, uploading to a closed port (the hosted backend
    unreachable), or to the mock with ``indirect`` parameter ``"local"``."""
    where = getattr(request, "param", "unreachable")
    url = f"{responses.base_url}/traces/ingest" if where == "local" else closed_port_url()
    exporter = BackendSpanExporter(api_key="sk-test", endpoint=url, max_retries=1, base_delay=0.01, max_delay=0.01)
    processor = BatchTraceProcessor(exporter, schedule_delay=60.0)
    agents.set_trace_processors([processor])
    yield processor
    processor.shutdown(timeout=5.0)
    agents.set_trace_processors([])


@pytest.fixture
def traced(provider: TracerProvider, backend: BatchTraceProcessor) -> Iterator[BatchTraceProcessor]:
    """Our Agents SDK, openai and httpx2 instrumentors, content capture on, beside the SDK's own exporter."""
    instrumentors = [OpenAIAgentsInstrumentor(), OpenAIInstrumentor(), HTTPX2Instrumentor()]
    for inst in instrumentors:
        inst.instrument(tracer_provider=provider, capture_content=True)
    yield backend
    for inst in instrumentors:
        inst.uninstrument()


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


# examples/agent_patterns/input_guardrails.py
class MathHomeworkOutput(BaseModel):
    reasoning: str
    is_math_homework: bool


guardrail_agent = Agent(
    name="Guardrail check",
    instructions="Check if the user is asking you to do their math homework.",
    output_type=MathHomeworkOutput,
    model=MODEL,
)


@input_guardrail
async def math_guardrail(
    context: RunContextWrapper[None], agent: Agent[Any], input: str | list[TResponseInputItem]
) -> GuardrailFunctionOutput:
    """This is an input guardrail function, which happens to call an agent to check for math homework."""
    result = await Runner.run(guardrail_agent, input, context=context.context)
    final_output = result.final_output_as(MathHomeworkOutput)
    return GuardrailFunctionOutput(output_info=final_output, tripwire_triggered=final_output.is_math_homework)


TRIPWIRE = "agents.exceptions.InputGuardrailTripwireTriggered"


async def run_to_the_end(agent: Agent[Any], input_data: list[TResponseInputItem], *, streamed: bool) -> None:
    """``Runner.run``, or ``Runner.run_streamed`` with every event consumed (where a streamed run raises)."""
    if not streamed:
        await Runner.run(agent, input_data)
        return
    result = Runner.run_streamed(agent, input_data)
    async for _ in result.stream_events():
        pass


@pytest.mark.parametrize("streamed", [False, True], ids=["run", "run_streamed"])
async def test_tripped_input_guardrail_is_an_error(
    responses: MockResponses, traced: BatchTraceProcessor, exporter: InMemorySpanExporter, streamed: bool
) -> None:
    """(c) The guardrail, the agent and the workflow spans are ERROR; the tripwire's info is on the guardrail."""
    agent = Agent(
        name="Customer support agent",
        instructions="You are a customer support agent. You help customers with their questions.",
        input_guardrails=[math_guardrail],
        model=MODEL,
    )
    verdict = '{"reasoning": "It asks to solve for x.", "is_math_homework": true}'
    responses.route("math homework", text("g1", verdict))
    responses.route("customer support", text("m1", "x = 3"))
    input_data: list[TResponseInputItem] = [{"role": "user", "content": "Can you help me solve for x: 2x + 5 = 11"}]

    with pytest.raises(InputGuardrailTripwireTriggered):
        await run_to_the_end(agent, input_data, streamed=streamed)

    tree = finished(exporter, traced)
    root = only_root(tree)
    assert shape(tree, root) == (
        "invoke_workflow Agent workflow",
        "ERROR",
        (
            (
                "invoke_agent Customer support agent",
                "ERROR",
                (
                    (f"chat {MODEL}", "UNSET", ()),  # the model call made in parallel with the guardrail
                    (
                        "decision math_guardrail",
                        "ERROR",
                        (("invoke_agent Guardrail check", "UNSET", ((f"chat {MODEL}", "UNSET", ()),)),),
                    ),
                ),
            ),
        ),
    )
    decision = tree.one("decision math_guardrail")
    assert attrs(decision)["error.type"] == TRIPWIRE
    assert attrs(decision)["agent_trace.decision.chosen"] == "triggered"
    assert attrs(decision)["agent_trace.decision.rationale"] == (
        '{"reasoning":"It asks to solve for x.","is_math_homework":true}'
    )
    for span in (tree.one("invoke_agent Customer support agent"), root):
        assert attrs(span)["error.type"] == TRIPWIRE
        (event,) = [e for e in span.events if e.name == "exception"]
        assert (event.attributes or {})["exception.type"] == TRIPWIRE


async def test_guardrail_not_tripped_stays_ok(
    responses: MockResponses, traced: BatchTraceProcessor, exporter: InMemorySpanExporter
) -> None:
    """(c) The same program, a question that is not homework: nothing is an error."""
    agent = Agent(
        name="Customer support agent",
        instructions="You are a customer support agent.",
        input_guardrails=[math_guardrail],
        model=MODEL,
    )
    responses.route("math homework", text("g1", '{"reasoning": "geography", "is_math_homework": false}'))
    responses.route("customer support", text("m1", "Sacramento."))

    result = await Runner.run(agent, "What's the capital of California?")

    assert result.final_output == "Sacramento."
    tree = finished(exporter, traced)
    only_root(tree)
    assert {s.status.status_code.name for s in tree.spans} == {"UNSET"}
    assert not [s for s in tree.spans if s.events]
    decision = tree.one("decision math_guardrail")
    assert attrs(decision)["agent_trace.decision.chosen"] == "not_triggered"


# examples/agent_patterns/routing.py (streamed)
async def test_streamed_handoff_target_is_a_child_of_the_handoff(
    responses: MockResponses, traced: BatchTraceProcessor, exporter: InMemorySpanExporter
) -> None:
    """(f) The agent handed off to starts under the handoff span (and links to it)."""
    french_agent = Agent(name="french_agent", instructions="You only speak French", model=MODEL)
    spanish_agent = Agent(name="spanish_agent", instructions="You only speak Spanish", model=MODEL)
    triage_agent = Agent(
        name="triage_agent",
        instructions="Handoff to the appropriate agent based on the language of the request.",
        handoffs=[french_agent, spanish_agent],
        model=MODEL,
    )
    responses.route("Handoff to the", tool_call("t1", "transfer_to_french_agent", {}, "call_fr"))
    responses.route("only speak French", text("f1", "Bonjour ! Comment puis-je aider ?"))
    inputs: list[TResponseInputItem] = [{"content": "Bonjour", "role": "user"}]

    deltas: list[str] = []
    with trace("Routing example", group_id="conversation-1"):
        result = Runner.run_streamed(triage_agent, input=inputs)
        async for event in result.stream_events():
            if isinstance(event, RawResponsesStreamEvent) and isinstance(event.data, ResponseTextDeltaEvent):
                deltas.append(event.data.delta)

    assert "".join(deltas) == "Bonjour ! Comment puis-je aider ?"
    assert result.current_agent is french_agent
    assert all(request.get("stream") is True for request in responses.requests)
    tree = finished(exporter, traced)
    root = only_root(tree)
    chat = (f"chat {MODEL}", "UNSET", ())
    assert shape(tree, root) == (
        "invoke_workflow Routing example",
        "UNSET",
        (
            (
                "invoke_agent triage_agent",
                "UNSET",
                (chat, ("handoff french_agent", "UNSET", (("invoke_agent french_agent", "UNSET", (chat,)),))),
            ),
        ),
    )
    assert attrs(root)["gen_ai.conversation.id"] == "conversation-1"
    handoff = tree.one("handoff french_agent")
    french = tree.one("invoke_agent french_agent")
    assert [link.context.span_id for link in french.links] == [handoff.context.span_id]
    assert attrs(french)["agent_trace.agent.parent_name"] == "triage_agent"
    assert attrs(handoff)["agent_trace.handoff.to_agent"] == "french_agent"
    for chat_span in tree.named(f"chat {MODEL}"):
        assert attrs(chat_span)["gen_ai.request.stream"] is True
        assert attrs(chat_span)["gen_ai.response.model"] == RESPONSE_MODEL


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

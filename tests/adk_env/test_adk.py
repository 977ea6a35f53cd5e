"""Google ADK's own spans with our google-genai instrumentor on: one LLM span per call, tokens once, enriched, RCA.

ADK's semconv-aligned schema (2.13's default) records ``invoke_workflow`` > ``invoke_agent`` >
``generate_content {model}`` per model request and ``execute_tool {name}``; its legacy schema (2.11's default, the
ADK pip resolves on Python 3.10; 2.13 with ``ADK_TELEMETRY_SCHEMA_VERSION_OPT_IN=1``) records ``invocation`` >
``invoke_agent`` > ``call_llm`` > ``generate_content`` and ``execute_tool`` beside ``call_llm``. Each test runs with
ADK's default schema and with ``1`` forced. ADK's ``generate_content`` span is current around the google-genai call,
so our instrumentor records on it instead of nesting a second one (``instrumentation._peers.framework_span``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

pytest.importorskip("google.adk")

from google.adk.agents import LlmAgent  # type: ignore[import-untyped]
from google.adk.models.google_llm import Gemini  # type: ignore[import-untyped]
from google.adk.runners import InMemoryRunner  # type: ignore[import-untyped]
from google.genai import types
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import format_span_id

from otel_agent_trace import agent_session
from otel_agent_trace._internal.settings import set_settings
from otel_agent_trace.rca import analyze
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import cost as C
from tests.adk_env._mock import ScriptedGemini, function_call, text
from tests.adk_env._schema import default_is_legacy
from tests.instrumentation.pydantic_ai._trace import to_trace

ADK = "gcp.vertex.agent"
OURS = "otel_agent_trace.GoogleGenAIInstrumentor"
MODEL = "gemini-2.5-flash"
WRONG = "Water boils at 50 degrees Celsius at sea level."
RIGHT = "Water boils at 100 degrees Celsius at sea level."

pytestmark = pytest.mark.usefixtures("genai_instrumented")
SCHEMA = "ADK_TELEMETRY_SCHEMA_VERSION_OPT_IN"
CAPTURE = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
ADK_CAPTURE = "ADK_CAPTURE_MESSAGE_CONTENT_IN_SPANS"


@pytest.fixture(params=["default", "legacy"])
def legacy(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """ADK's default schema, then its legacy one forced; whether the run records the legacy layout."""
    monkeypatch.delenv(SCHEMA, raising=False)
    monkeypatch.delenv(ADK_CAPTURE, raising=False)
    if request.param == "legacy":
        monkeypatch.setenv(SCHEMA, "1")
        return True
    return default_is_legacy()


@pytest.fixture
def content(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Set the content mode for ADK and for ours (our settings are read again)."""

    def set_mode(mode: str) -> None:
        monkeypatch.setenv(CAPTURE, mode)
        set_settings(None)

    yield set_mode
    set_settings(None)


def _run(gemini: ScriptedGemini, tool: Callable[..., str], question: str) -> str:
    agent = LlmAgent(
        name="reporter", model=Gemini(model=MODEL, base_url=gemini.base_url), instruction="Answer.", tools=[tool]
    )
    runner = InMemoryRunner(agent=agent, app_name="app")

    async def go() -> str:
        session = await runner.session_service.create_session(app_name="app", user_id="u1")
        message = types.Content(role="user", parts=[types.Part(text=question)])
        answer = ""
        async for event in runner.run_async(user_id="u1", session_id=session.id, new_message=message):
            if event.content and event.content.parts and event.content.parts[0].text:
                answer = event.content.parts[0].text
        return answer

    return asyncio.run(go())


def get_weather(city: str) -> str:
    """The weather of a city."""
    return f"sunny in {city}"


def _named(spans: Sequence[ReadableSpan], prefix: str) -> list[ReadableSpan]:
    return sorted((s for s in spans if s.name.startswith(prefix)), key=lambda s: s.start_time or 0)


def _attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def test_tree_one_llm_span_per_call_tokens_once_enriched(
    gemini: ScriptedGemini, exporter: InMemorySpanExporter, legacy: bool
) -> None:
    gemini.reply(function_call("get_weather", {"city": "Paris"}, "fc_1", (30, 5)), text("It is sunny.", (40, 9)))
    with agent_session("sess-adk", user_id="u-5"):
        assert _run(gemini, get_weather, "Weather in Paris?") == "It is sunny."
    spans = exporter.get_finished_spans()
    assert not [s for s in spans if s.instrumentation_scope and s.instrumentation_scope.name == OURS]
    (run,) = _named(spans, "invoke_agent")
    calls, tools, wrappers = _named(spans, "generate_content"), _named(spans, "execute_tool"), _named(spans, "call_llm")
    assert len(calls) == 2 and len(tools) == 1 and len(gemini.requests) == 2
    assert len(wrappers) == (2 if legacy else 0)
    for span in (*calls, *tools, *wrappers):
        assert span.instrumentation_scope is not None and span.instrumentation_scope.name == ADK
    steps = sorted((*tools, *(wrappers or calls)), key=lambda s: s.start_time or 0)  # the agent run's children
    for child in steps:
        assert child.parent is not None and child.parent.span_id == run.context.span_id, child.name
    for call, wrapper in zip(
        calls[: len(wrappers)], wrappers, strict=True
    ):  # legacy: each generate_content in its call_llm, same step
        assert call.parent is not None and call.parent.span_id == wrapper.context.span_id
        assert _attrs(call)[A.AGENT_STEP_INDEX] == _attrs(wrapper)[A.AGENT_STEP_INDEX]
        assert _attrs(wrapper)[A.AGENT_STEP_ACTION_TYPE] == "llm_call"
    (root,) = [s for s in spans if s.parent is None or s.parent.span_id not in {x.context.span_id for x in spans}]
    assert root.name == ("invocation" if legacy else "invoke_workflow reporter")
    assert _attrs(root)["gen_ai.operation.name"] == "invoke_workflow"  # legacy: added on export
    assert _attrs(root)["gen_ai.workflow.name"] == "reporter"
    first = calls[0]
    # ours recorded on ADK's span: the response id and the tool call the model asked for are ours, not ADK's
    assert _attrs(first)["gen_ai.response.id"] == "resp_fc_1"
    assert _attrs(first)[A.LLM_TOOL_CALL_NAMES] == ("get_weather",)
    assert [_attrs(s)["gen_ai.usage.input_tokens"] for s in calls] == [30, 40]
    # ADK's call_llm repeats the usage of its generate_content: dropped there on export, so tokens are on one span
    for wrapper in wrappers:
        assert not [k for k in _attrs(wrapper) if k.startswith("gen_ai.usage.")], _attrs(wrapper)
        assert _attrs(wrapper)[A.LLM_USAGE_SOURCE] == "provider"
    assert sum(int(_attrs(s).get("gen_ai.usage.input_tokens", 0)) for s in spans) == 70
    assert _attrs(run)[C.TOTAL_INPUT_TOKENS] == 70 and _attrs(run)[C.TOTAL_LLM_CALLS] == 2
    # our agent semantics, added on export: the steps in the order they started, whatever the schema
    assert [_attrs(s)[A.AGENT_STEP_INDEX] for s in steps] == [0, 1, 2]
    assert [_attrs(s)[A.AGENT_STEP_ACTION_TYPE] for s in steps] == ["llm_call", "tool_call", "llm_call"]
    assert [_attrs(s)[A.AGENT_STEP_INDEX] for s in calls] == [0, 2]
    assert _attrs(tools[0])[A.AGENT_STEP_NAME] == "get_weather"
    for span in spans:  # correlation ids stamped at start on ADK's spans too
        assert _attrs(span)["agent_trace.session.id"] == "sess-adk", span.name


def test_steps_restart_for_each_run_of_an_agent(
    gemini: ScriptedGemini, exporter: InMemorySpanExporter, provider: TracerProvider, legacy: bool
) -> None:
    gemini.reply(function_call("get_weather", {"city": "Paris"}, "fc_1"), text("It is sunny."))
    gemini.reply(function_call("get_weather", {"city": "Rome"}, "fc_2"), text("Sunny too."))
    with provider.get_tracer("app").start_as_current_span("two questions"):  # one trace, the same agent twice
        assert _run(gemini, get_weather, "Weather in Paris?") == "It is sunny."
        assert _run(gemini, get_weather, "Weather in Rome?") == "Sunny too."
    spans = exporter.get_finished_spans()
    runs = _named(spans, "invoke_agent")
    assert len(runs) == 2 and len({s.context.trace_id for s in spans}) == 1
    for run in runs:
        children = [s for s in spans if s.parent is not None and s.parent.span_id == run.context.span_id]
        steps = sorted(children, key=lambda s: s.start_time or 0)
        assert [_attrs(s)[A.AGENT_STEP_INDEX] for s in steps] == [0, 1, 2], [s.name for s in steps]


@pytest.mark.parametrize("mode", ["NO_CONTENT", "SPAN_ONLY"])
def test_content_follows_the_setting_for_both(
    gemini: ScriptedGemini, exporter: InMemorySpanExporter, content: Callable[[str], None], legacy: bool, mode: str
) -> None:
    content(mode)
    gemini.reply(function_call("get_weather", {"city": "Paris"}, "fc_1"), text("It is sunny."))
    _run(gemini, get_weather, "Weather in Paris?")
    spans = exporter.get_finished_spans()
    seen = " ".join(json.dumps(_attrs(s), default=str) for s in spans)
    for secret in ("Weather in Paris?", "sunny in Paris", "It is sunny."):
        assert (secret in seen) is (mode == "SPAN_ONLY"), (mode, secret)
    (tool,) = _named(spans, "execute_tool")
    if mode == "SPAN_ONLY":  # legacy: ADK's own tool attributes read as the semconv ones
        assert json.loads(_attrs(tool)["gen_ai.tool.call.result"]) == {"result": "sunny in Paris"}
        assert json.loads(_attrs(tool)["gen_ai.tool.call.arguments"]) == {"city": "Paris"}
    else:
        assert "gen_ai.tool.call.result" not in _attrs(tool)
    if legacy and mode == "NO_CONTENT":  # ADK recorded it (its switch defaults on); blanked on export
        assert _attrs(tool)["gcp.vertex.agent.tool_response"] == "{}"


def test_legacy_content_kept_when_adk_switch_is_set(
    gemini: ScriptedGemini,
    exporter: InMemorySpanExporter,
    content: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(SCHEMA, "1")
    monkeypatch.setenv(ADK_CAPTURE, "true")  # asked of ADK explicitly: its choice, not ours
    content("NO_CONTENT")
    gemini.reply(function_call("get_weather", {"city": "Paris"}, "fc_1"), text("It is sunny."))
    _run(gemini, get_weather, "Weather in Paris?")
    (tool,) = _named(exporter.get_finished_spans(), "execute_tool")
    assert json.loads(_attrs(tool)["gcp.vertex.agent.tool_response"]) == {"result": "sunny in Paris"}
    assert "gen_ai.tool.call.result" not in _attrs(tool)  # ours stays off


def test_peer_policy_both_nests_ours(
    gemini: ScriptedGemini, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_AGENT_TRACE_PEER_POLICY", "both")
    gemini.reply(function_call("get_weather", {"city": "Paris"}, "fc_1"), text("It is sunny."))
    _run(gemini, get_weather, "Weather in Paris?")
    spans = exporter.get_finished_spans()
    ours = [s for s in spans if s.instrumentation_scope and s.instrumentation_scope.name == OURS]
    theirs = [s for s in _named(spans, "generate_content") if s not in ours]
    assert len(ours) == 2 and len(theirs) == 2
    assert {s.parent.span_id for s in ours if s.parent} == {s.context.span_id for s in theirs}


@pytest.mark.parametrize(
    ("fact", "culprit"),
    [(WRONG, "execute_tool lookup_fact"), (RIGHT, "generate_content")],
    ids=["tool-returned-it-agent-repeated", "model-got-it-wrong-itself"],
)
def test_rca_blames_the_span_that_produced_the_wrong_value(
    gemini: ScriptedGemini,
    exporter: InMemorySpanExporter,
    fact: str,
    culprit: str,
    content: Callable[[str], None],
    legacy: bool,
) -> None:
    # ADK puts content on its spans in the span-bearing modes only ("true" means events for it)
    content("SPAN_ONLY")

    def lookup_fact(topic: str) -> str:
        """Look a fact up."""
        return f"Fact found: {fact}"

    gemini.reply(
        function_call("lookup_fact", {"topic": "boiling point of water"}, "fc_1"), text(f"Final report: {WRONG}")
    )
    _run(gemini, lookup_fact, "At what temperature does water boil at sea level? Write a one-line report.")
    spans = exporter.get_finished_spans()
    report = analyze(to_trace(spans), failed=True, expected=RIGHT, reason="the boiling point in the report is wrong")
    assert report.root_cause is not None, report.to_dict()
    assert report.root_cause.name.startswith(culprit), report.to_dict()["candidates"]
    if culprit == "generate_content":  # the second model call (the report), not the one that asked for the tool
        second = _named(spans, "generate_content")[1]
        assert report.root_cause.span_id == format_span_id(second.context.span_id)
    assert report.root_cause.agent == "reporter"

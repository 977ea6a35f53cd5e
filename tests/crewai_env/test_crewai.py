"""CrewAIInstrumentor against a real CrewAI crew whose agents talk to a local mock OpenAI server."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from crewai import LLM, Agent, Crew, Task
from crewai.llms.providers.openai.completion import OpenAICompletion
from crewai.tools import tool
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from otel_agent_trace.instrumentation.crewai import CrewAIInstrumentor, _extract
from tests.crewai_env._mock_llm import Answer, Call, Fail, MockLLMServer


@tool("add_numbers")
def add_numbers(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool("broken_lookup")
def broken_lookup(key: str) -> str:
    """Look a key up (always fails)."""
    raise ValueError(f"lookup of {key} failed")


class _TextLLM(OpenAICompletion):
    """An OpenAI model without native function calling: CrewAI drives it with ReAct ``Action:`` text."""

    def supports_function_calling(self) -> bool:
        return False


def _llm(server: MockLLMServer) -> Any:
    return LLM(model="openai/test-model", base_url=server.base_url, api_key="x")


def _two_task_crew(server: MockLLMServer) -> Crew:
    server.script = {
        "Calculator": [Call("add_numbers", {"a": 2, "b": 3}), Answer("5")],
        "Librarian": [Call("broken_lookup", {"key": "k1"}), Answer("not found")],
    }
    calc = Agent(role="Calculator", goal="add numbers", backstory="b", llm=_llm(server), tools=[add_numbers])
    lib = Agent(role="Librarian", goal="look things up", backstory="b", llm=_llm(server), tools=[broken_lookup])
    t1 = Task(name="add", description="Add 2 and 3", expected_output="the sum", agent=calc)
    t2 = Task(name="lookup", description="Look up k1", expected_output="the value", agent=lib)
    return Crew(name="demo", agents=[calc, lib], tasks=[t1, t2])


def _by_name(spans: Sequence[ReadableSpan], name: str) -> list[ReadableSpan]:
    return [s for s in spans if s.name == name]


def _one(spans: Sequence[ReadableSpan], name: str) -> ReadableSpan:
    found = _by_name(spans, name)
    assert len(found) == 1, [s.name for s in spans]
    return found[0]


def _parent(span: ReadableSpan, spans: Sequence[ReadableSpan]) -> ReadableSpan | None:
    if span.parent is None:
        return None
    return next((s for s in spans if s.context.span_id == span.parent.span_id), None)


def test_crew_run_span_tree(
    instrumentor: CrewAIInstrumentor, exporter: InMemorySpanExporter, mock_llm: MockLLMServer
) -> None:
    result = _two_task_crew(mock_llm).kickoff(inputs={"topic": "math"})
    assert result.raw == "not found"
    spans = exporter.get_finished_spans()

    root = _one(spans, "invoke_workflow demo")
    assert root.parent is None
    assert root.attributes["gen_ai.operation.name"] == "invoke_workflow"
    assert root.attributes["gen_ai.workflow.name"] == "demo"
    assert root.attributes["agent_trace.agent.handoffs"] == ("Calculator", "Librarian")
    assert root.attributes["agent_trace.step.output"] == "not found"
    assert '"topic":"math"' in root.attributes["agent_trace.step.input"]
    run_id = root.attributes["agent_trace.run.id"]

    add, lookup = _one(spans, "step add"), _one(spans, "step lookup")
    assert _parent(add, spans) is root and _parent(lookup, spans) is root
    assert (add.attributes["agent_trace.step.index"], lookup.attributes["agent_trace.step.index"]) == (0, 1)
    assert add.attributes["agent_trace.step.action_type"] == "tool_call"
    assert add.attributes["gen_ai.agent.name"] == "Calculator"
    assert add.attributes["agent_trace.run.id"] == run_id
    assert add.attributes["agent_trace.step.output"] == "5"

    calc = _one(spans, "invoke_agent Calculator")
    assert _parent(calc, spans) is add
    assert calc.attributes["gen_ai.operation.name"] == "invoke_agent"
    assert calc.attributes["gen_ai.agent.name"] == "Calculator"
    assert calc.attributes["agent_trace.agent.tools"] == ("add_numbers",)
    assert "agent_trace.agent.parent_name" not in calc.attributes

    chats = [s for s in spans if s.name == "chat test-model" and _parent(s, spans) is calc]
    assert len(chats) == 2
    first = chats[0]
    assert first.kind is SpanKind.CLIENT
    assert first.attributes["gen_ai.provider.name"] == "openai"
    assert first.attributes["gen_ai.request.model"] == "test-model"
    assert first.attributes["server.address"] == "127.0.0.1"
    assert first.attributes["gen_ai.usage.input_tokens"] == 11
    assert first.attributes["gen_ai.usage.output_tokens"] == 7
    assert first.attributes["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert first.attributes["agent_trace.llm.tool_call.names"] == ("add_numbers",)
    assert "add_numbers" in first.attributes["gen_ai.tool.definitions"]
    assert "Add 2 and 3" in first.attributes["gen_ai.input.messages"]

    ok_tool = _one(spans, "execute_tool add_numbers")
    assert _parent(ok_tool, spans) is calc
    assert ok_tool.attributes["gen_ai.tool.call.arguments"] == '{"a":2,"b":3}'
    assert ok_tool.attributes["gen_ai.tool.call.result"] == "5"
    assert ok_tool.attributes["agent_trace.tool.status"] == "ok"
    assert ok_tool.status.status_code is StatusCode.UNSET

    bad_tool = _one(spans, "execute_tool broken_lookup")
    assert _parent(_parent(bad_tool, spans), spans) is lookup  # type: ignore[arg-type]
    assert bad_tool.status.status_code is StatusCode.ERROR
    assert bad_tool.attributes["error.type"] == "ValueError"
    assert bad_tool.attributes["agent_trace.tool.status"] == "error"
    assert any(e.name == "exception" for e in bad_tool.events)
    assert lookup.status.status_code is StatusCode.UNSET  # the agent read the error and answered


def test_react_agent_tool_span_once(
    instrumentor: CrewAIInstrumentor, exporter: InMemorySpanExporter, mock_llm: MockLLMServer
) -> None:
    mock_llm.script = {"Calculator": [Call("add_numbers", {"a": 4, "b": 5}), Answer("9")]}
    llm = _TextLLM(model="test-model", base_url=mock_llm.base_url, api_key="x")
    calc = Agent(role="Calculator", goal="add", backstory="b", llm=llm, tools=[add_numbers])
    crew = Crew(agents=[calc], tasks=[Task(description="Add 4 and 5", expected_output="sum", agent=calc)])
    assert crew.kickoff().raw == "9"
    assert not any("tools" in request for request in mock_llm.requests)  # really the ReAct path
    spans = exporter.get_finished_spans()
    tool_span = _one(spans, "execute_tool add_numbers")
    assert tool_span.attributes["gen_ai.tool.call.result"] == "9"
    assert _parent(tool_span, spans) is _one(spans, "invoke_agent Calculator")
    assert _one(spans, "step Add 4 and 5").attributes["agent_trace.step.action_type"] == "tool_call"


def test_delegation_makes_child_agent(
    instrumentor: CrewAIInstrumentor, exporter: InMemorySpanExporter, mock_llm: MockLLMServer
) -> None:
    mock_llm.script = {
        "Manager": [
            Call("delegate_work_to_coworker", {"task": "Find k", "context": "none", "coworker": "Researcher"}),
            Answer("k is 42"),
        ],
        "Researcher": [Answer("42")],
    }
    manager = Agent(role="Manager", goal="manage", backstory="b", llm=_llm(mock_llm), allow_delegation=True)
    researcher = Agent(role="Researcher", goal="research", backstory="b", llm=_llm(mock_llm))
    task = Task(name="plan", description="Find k with your coworker", expected_output="k", agent=manager)
    assert Crew(agents=[manager, researcher], tasks=[task]).kickoff().raw == "k is 42"
    spans = exporter.get_finished_spans()
    parent = _one(spans, "invoke_agent Manager")
    child = _one(spans, "invoke_agent Researcher")
    delegate = _one(spans, "execute_tool Delegate work to coworker")
    assert _parent(delegate, spans) is parent
    assert _parent(child, spans) is delegate
    assert child.attributes["agent_trace.agent.parent_name"] == "Manager"
    assert child.attributes["agent_trace.agent.parent_id"] == parent.attributes["gen_ai.agent.id"]
    assert child.attributes["agent_trace.step.action_type"] == "handoff"
    assert _one(spans, "step plan").attributes["agent_trace.step.action_type"] == "handoff"


def test_kickoff_async_is_one_workflow(
    instrumentor: CrewAIInstrumentor, exporter: InMemorySpanExporter, mock_llm: MockLLMServer
) -> None:
    result = asyncio.run(_two_task_crew(mock_llm).kickoff_async())
    assert result.raw == "not found"
    spans = exporter.get_finished_spans()
    root = _one(spans, "invoke_workflow demo")
    assert _parent(_one(spans, "step add"), spans) is root
    assert all(s.context.trace_id == root.context.trace_id for s in spans)


def test_llm_error_retry_and_failure(
    instrumentor: CrewAIInstrumentor, exporter: InMemorySpanExporter, mock_llm: MockLLMServer
) -> None:
    mock_llm.script = {"Calculator": [Fail(400, "bad request")]}
    calc = Agent(role="Calculator", goal="add", backstory="b", llm=_llm(mock_llm), max_retry_limit=1)
    crew = Crew(name="failing", agents=[calc], tasks=[Task(description="Add", expected_output="sum", agent=calc)])
    with pytest.raises(Exception) as raised:
        crew.kickoff()
    spans = exporter.get_finished_spans()
    chats = _by_name(spans, "chat test-model")
    assert len(chats) == 2  # the first attempt and CrewAI's retry
    assert all(c.status.status_code is StatusCode.ERROR for c in chats)
    assert chats[0].attributes["error.type"] == "openai.BadRequestError"
    agent = _one(spans, "invoke_agent Calculator")  # the retry is an event, not a second agent span
    retries = [e for e in agent.events if e.name == "agent_trace.error"]
    assert len(retries) == 1 and retries[0].attributes["agent_trace.error.handler"] == "retry"
    assert agent.status.status_code is StatusCode.ERROR
    root = _one(spans, "invoke_workflow failing")
    assert root.status.status_code is StatusCode.ERROR
    assert root.attributes["error.type"].endswith(type(raised.value).__name__)


def test_no_double_llm_span_with_openai_instrumentor(
    instrumentor: CrewAIInstrumentor,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
    mock_llm: MockLLMServer,
) -> None:
    from otel_agent_trace.instrumentation.openai import OpenAIInstrumentor

    openai_inst = OpenAIInstrumentor()
    openai_inst.instrument(tracer_provider=provider)
    try:
        _two_task_crew(mock_llm).kickoff()
    finally:
        openai_inst.uninstrument()
    chats = [s for s in exporter.get_finished_spans() if s.attributes.get("gen_ai.operation.name") == "chat"]
    assert len(chats) == 4
    assert all(s.instrumentation_scope.name.endswith("CrewAIInstrumentor") for s in chats)


def test_without_content_capture(
    provider: TracerProvider, exporter: InMemorySpanExporter, mock_llm: MockLLMServer
) -> None:
    inst = CrewAIInstrumentor()
    inst.instrument(tracer_provider=provider, capture_content=False)
    try:
        _two_task_crew(mock_llm).kickoff()
    finally:
        inst.uninstrument()
    spans = exporter.get_finished_spans()
    assert len(_by_name(spans, "execute_tool add_numbers")) == 1
    content = {
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.tool.call.arguments",
        "agent_trace.step.input",
    }
    assert not any(content & set(s.attributes or {}) for s in spans)
    assert _one(spans, "execute_tool add_numbers").attributes["agent_trace.tool.status"] == "ok"


def test_suppressed(instrumentor: CrewAIInstrumentor, exporter: InMemorySpanExporter, mock_llm: MockLLMServer) -> None:
    with suppress_instrumentation():
        assert _two_task_crew(mock_llm).kickoff().raw == "not found"
    assert exporter.get_finished_spans() == ()


def test_internal_fault_is_swallowed(
    instrumentor: CrewAIInstrumentor,
    exporter: InMemorySpanExporter,
    mock_llm: MockLLMServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("extractor bug")

    monkeypatch.setattr(_extract, "task_name", broken)
    monkeypatch.setattr(_extract, "llm_request_attributes", broken)
    assert _two_task_crew(mock_llm).kickoff().raw == "not found"
    names = {s.name for s in exporter.get_finished_spans()}
    assert "invoke_workflow demo" in names and "execute_tool add_numbers" in names
    assert not any(name.startswith("step ") or name.startswith("chat") for name in names)


def test_instrument_idempotent_and_uninstrument_restores(
    provider: TracerProvider, exporter: InMemorySpanExporter, mock_llm: MockLLMServer
) -> None:
    from crewai.tools.base_tool import BaseTool
    from crewai.tools.structured_tool import CrewStructuredTool

    originals = {
        (cls, name): vars(cls)[name]
        for cls, name in [
            (Crew, "kickoff"),
            (Crew, "kickoff_async"),
            (Task, "_execute_core"),
            (Agent, "execute_task"),
            (BaseTool, "run"),
            (CrewStructuredTool, "invoke"),
            (OpenAICompletion, "call"),
        ]
    }
    inst = CrewAIInstrumentor()
    inst.instrument(tracer_provider=provider)
    inst.instrument(tracer_provider=provider)
    try:
        assert vars(Crew)["kickoff"].__wrapped__ is originals[(Crew, "kickoff")]
        _two_task_crew(mock_llm).kickoff()
        assert len(_by_name(exporter.get_finished_spans(), "invoke_workflow demo")) == 1
        assert len(_by_name(exporter.get_finished_spans(), "execute_tool add_numbers")) == 1
    finally:
        inst.uninstrument()
    for (cls, name), original in originals.items():
        assert vars(cls)[name] is original, (cls, name)
    exporter.clear()
    assert _two_task_crew(mock_llm).kickoff().raw == "not found"
    assert exporter.get_finished_spans() == ()

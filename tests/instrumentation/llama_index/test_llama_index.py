"""LlamaIndexInstrumentor against real llama-index-core, offline: a ReAct agent, workflows, tools, a RAG index."""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core import Document, Settings, VectorStoreIndex
from llama_index.core.agent.workflow import ReActAgent
from llama_index.core.base.llms.types import ChatMessage, ChatResponse
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.llms import CompletionResponse, CompletionResponseGen, CustomLLM, LLMMetadata, MockLLM
from llama_index.core.llms.callbacks import llm_completion_callback
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.response_synthesizers import ResponseMode, get_response_synthesizer
from llama_index.core.tools import FunctionTool
from llama_index.core.workflow import Context, StartEvent, StopEvent, Workflow, step
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from pydantic import Field

from otel_agent_trace._internal.context import current_tool, suppress_instrumentation
from otel_agent_trace.instrumentation.llama_index import LlamaIndexInstrumentor
from otel_agent_trace.instrumentation.llama_index import _extract as X
from tests.instrumentation._spans import Tree

pytestmark = pytest.mark.usefixtures("instrumentor")

TreeFactory = Callable[[], Tree]


class ScriptedLLM(CustomLLM):
    """A completion model answering from a script of ReAct-formatted replies (then a final answer)."""

    script: list[str] = Field(default_factory=list)
    calls: int = 0

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="scripted-react", is_chat_model=False)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        text = self.script[self.calls] if self.calls < len(self.script) else "Thought: done.\nAnswer: none"
        self.calls += 1
        return CompletionResponse(
            text=text,
            raw={
                "id": f"resp-{self.calls}",
                "model": "scripted-react-v1",
                "usage": {"prompt_tokens": 11, "completion_tokens": 7},
            },
        )

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        response = self.complete(prompt)

        def gen() -> CompletionResponseGen:
            text = ""
            for piece in (response.text[: len(response.text) // 2], response.text[len(response.text) // 2 :]):
                text += piece
                yield CompletionResponse(text=text, delta=piece, raw=response.raw)

        return gen()


def _react(action: str, arguments: dict[str, Any]) -> str:
    return f"Thought: I need a tool.\nAction: {action}\nAction Input: {json.dumps(arguments)}\n"


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def divide(a: int, b: int) -> float:
    """Divide a by b."""
    return a / b


ANSWER = "Thought: I can answer without using any more tools.\nAnswer: 5"


def _agent(script: list[str]) -> ReActAgent:
    tools = [FunctionTool.from_defaults(add), FunctionTool.from_defaults(divide)]
    return ReActAgent(tools=tools, llm=ScriptedLLM(script=script), name="calc", description="Does sums")


# ---------------------------------------------------------------------------------------------------- agents


async def test_react_agent_tree(tree: TreeFactory) -> None:
    result = await _agent([_react("add", {"a": 2, "b": 3}), ANSWER]).run(user_msg="what is 2+3?")
    assert "5" in str(result)
    t = tree()
    agent = t.one("invoke_agent calc")
    assert t.parent(agent) is None
    assert agent.attributes["gen_ai.operation.name"] == "invoke_agent"
    assert agent.attributes["gen_ai.agent.name"] == "calc"
    assert agent.attributes["gen_ai.agent.description"] == "Does sums"
    assert agent.attributes["agent_trace.agent.tools"] == ("add", "divide")
    run_id = agent.attributes["agent_trace.run.id"]

    steps = t.children(agent)
    assert all(s.name.startswith("step ") for s in steps)
    assert [s.attributes["agent_trace.step.index"] for s in steps] == list(range(len(steps)))
    assert all(s.attributes["agent_trace.run.id"] == run_id for s in steps)
    by_name = {s.attributes["agent_trace.step.name"]: s for s in steps}
    assert {"init_run", "run_agent_step", "call_tool", "parse_agent_output"} <= set(by_name)

    llm_steps = [s for s in steps if s.attributes["agent_trace.step.name"] == "run_agent_step"]
    assert len(llm_steps) == 2
    for s in llm_steps:
        assert s.attributes["agent_trace.step.action_type"] == "llm_call"
        (chat,) = t.children(s)  # one span per LLM call, not astream_chat + stream_chat + complete
        assert chat.name == "chat scripted-react"
        assert chat.kind.name == "CLIENT"
        assert chat.attributes["gen_ai.request.model"] == "scripted-react"
        assert chat.attributes["gen_ai.request.stream"] is True
        assert chat.attributes["gen_ai.provider.name"] == "llama_index"
        assert chat.attributes["agent_trace.llm.usage_source"] == "framework"
        assert chat.attributes["gen_ai.usage.input_tokens"] == 11
        assert chat.attributes["gen_ai.usage.output_tokens"] == 7
        assert chat.attributes["gen_ai.response.model"] == "scripted-react-v1"
        assert chat.attributes["gen_ai.response.time_to_first_chunk"] >= 0
        assert "gen_ai.input.messages" not in chat.attributes  # content capture off

    (call_tool,) = [s for s in steps if s.attributes["agent_trace.step.name"] == "call_tool"]
    assert call_tool.attributes["agent_trace.step.action_type"] == "tool_call"
    (tool,) = t.children(call_tool)
    assert tool.name == "execute_tool add"
    assert tool.attributes["gen_ai.tool.name"] == "add"
    assert tool.attributes["gen_ai.tool.call.id"]
    assert tool.attributes["agent_trace.tool.status"] == "ok"
    assert tool.status.status_code is StatusCode.UNSET
    assert "gen_ai.tool.call.arguments" not in tool.attributes
    assert len(t.spans) == 1 + len(steps) + 2 + 1  # nothing else: parsers and prompts add no span


@pytest.mark.parametrize("capture", [True])
async def test_react_agent_content(tree: TreeFactory) -> None:
    await _agent([_react("add", {"a": 2, "b": 3}), ANSWER]).run(user_msg="what is 2+3?")
    t = tree()
    tool = t.one("execute_tool add")
    assert json.loads(tool.attributes["gen_ai.tool.call.arguments"]) == {"a": 2, "b": 3}
    assert json.loads(tool.attributes["gen_ai.tool.call.result"]) == 5
    chat = t.named("chat scripted-react")[-1]
    inputs = json.loads(chat.attributes["gen_ai.input.messages"])
    assert inputs[0]["role"] == "system"
    assert any("what is 2+3?" in json.dumps(m) for m in inputs)
    outputs = json.loads(chat.attributes["gen_ai.output.messages"])
    assert outputs[0]["role"] == "assistant"
    assert "Answer: 5" in outputs[0]["parts"][0]["content"]
    agent = t.one("invoke_agent calc")
    assert "what is 2+3?" in agent.attributes["agent_trace.step.input"]
    assert "5" in agent.attributes["agent_trace.step.output"]


async def test_failing_tool(tree: TreeFactory) -> None:
    await _agent([_react("divide", {"a": 1, "b": 0}), ANSWER]).run(user_msg="1/0?")
    t = tree()
    tool = t.one("execute_tool divide")
    assert tool.status.status_code is StatusCode.ERROR
    assert tool.attributes["error.type"] == "ZeroDivisionError"
    assert tool.attributes["agent_trace.tool.status"] == "error"
    step_span = t.parent(tool)
    assert step_span is not None and step_span.name == "step call_tool"
    assert step_span.status.status_code is StatusCode.UNSET  # the agent caught it and went on
    assert step_span.attributes["agent_trace.error.handled"] is True
    assert any(e.name == "agent_trace.error" for e in step_span.events)
    assert t.one("invoke_agent calc").status.status_code is StatusCode.UNSET


class _Flow(Workflow):
    @step
    async def first(self, ctx: Context, ev: StartEvent) -> StopEvent:
        tool = FunctionTool.from_defaults(add)
        out = await tool.acall(a=1, b=ev.get("b", 1))
        return StopEvent(result=out.raw_output)


class _Broken(Workflow):
    @step
    async def explode(self, ev: StartEvent) -> StopEvent:
        raise KeyError("missing")


async def test_workflow_run(tree: TreeFactory) -> None:
    assert await _Flow(timeout=10).run(b=4) == 5
    t = tree()
    agent = t.one("invoke_agent _Flow")
    (first,) = t.children(agent)
    assert first.name == "step first"
    assert first.attributes["agent_trace.step.index"] == 0
    assert first.attributes["agent_trace.step.action_type"] == "tool_call"
    (tool,) = t.children(first)
    assert tool.name == "execute_tool add"
    assert "gen_ai.tool.call.id" not in tool.attributes


async def test_workflow_error(tree: TreeFactory) -> None:
    with pytest.raises(Exception, match="missing") as info:
        await _Broken(timeout=10).run()
    t = tree()
    agent = t.one("invoke_agent _Broken")
    assert agent.status.status_code is StatusCode.ERROR
    assert agent.attributes["error.type"] == type(info.value).__qualname__ or agent.attributes["error.type"]
    step_span = t.one("step explode")
    assert t.parent(step_span) is agent
    assert step_span.status.status_code is StatusCode.ERROR
    assert step_span.attributes["error.type"] == "KeyError"


# ---------------------------------------------------------------------------------------------------- LLMs, tools


def test_llm_chat_nesting(tree: TreeFactory) -> None:
    response = MockLLM(max_tokens=3).chat([ChatMessage(role="user", content="hi")])
    assert isinstance(response, ChatResponse)
    t = tree()
    (chat,) = t.spans  # chat -> complete is one call
    assert chat.name == "chat"  # MockLLM has no model name
    assert chat.attributes["gen_ai.operation.name"] == "chat"


def test_llm_completion(tree: TreeFactory) -> None:
    llm = ScriptedLLM(script=["hello"])
    assert llm.complete("hi").text == "hello"
    (span,) = tree().spans
    assert span.name == "text_completion scripted-react"
    assert span.attributes["gen_ai.response.id"] == "resp-1"
    assert span.attributes["gen_ai.usage.input_tokens"] == 11


def test_stream_consumed(tree: TreeFactory) -> None:
    stream = ScriptedLLM(script=["abcdef"]).stream_complete("hi")
    assert tree().spans == []  # open while the stream is read
    assert [c.delta for c in stream] == ["abc", "def"]
    (span,) = tree().spans
    assert span.name == "text_completion scripted-react"
    assert span.attributes["gen_ai.usage.output_tokens"] == 7


def test_stream_abandoned(tree: TreeFactory) -> None:
    stream = ScriptedLLM(script=["abcdef"]).stream_complete("hi")
    next(stream)
    del stream
    gc.collect()
    (span,) = tree().spans
    assert span.name == "text_completion scripted-react"
    assert span.status.status_code is StatusCode.UNSET


def test_stream_closed(tree: TreeFactory) -> None:
    stream = ScriptedLLM(script=["abcdef"]).stream_complete("hi")
    next(stream)
    stream.close()
    gc.collect()
    spans = tree().spans
    assert len(spans) == 1
    assert spans[0].status.status_code is StatusCode.UNSET  # closing early is no failure


def test_stream_raises(tree: TreeFactory) -> None:
    class Failing(ScriptedLLM):
        @llm_completion_callback()
        def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
            def gen() -> CompletionResponseGen:
                yield CompletionResponse(text="a", delta="a")
                raise ConnectionError("reset")

            return gen()

    stream = Failing().stream_complete("hi")
    with pytest.raises(ConnectionError):
        list(stream)
    (span,) = tree().spans
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "ConnectionError"


def test_tool_direct_sync(tree: TreeFactory) -> None:
    seen: list[Any] = []

    def lookup(key: str) -> str:
        """Look a key up."""
        seen.append(current_tool())
        return key.upper()

    tool = FunctionTool.from_defaults(lookup)
    assert tool(key="x").raw_output == "X"
    (span,) = tree().spans  # __call__ -> call is one span
    assert span.name == "execute_tool lookup"
    assert seen[0] is not None and seen[0].name == "lookup"  # HTTP made inside is marked as the tool's
    assert current_tool() is None


def test_tool_error_propagates_unchanged(tree: TreeFactory) -> None:
    error = ValueError("bad")

    def broken() -> None:
        """Always fails."""
        raise error

    with pytest.raises(ValueError) as info:
        FunctionTool.from_defaults(broken).call()
    assert info.value is error
    (span,) = tree().spans
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "ValueError"


# ---------------------------------------------------------------------------------------------------- RAG


@pytest.fixture
def index() -> VectorStoreIndex:
    docs = [Document(text="Paris is the capital of France."), Document(text="Berlin is in Germany.")]
    with suppress_instrumentation():
        built = VectorStoreIndex.from_documents(docs, embed_model=MockEmbedding(embed_dim=8))
    return built


@pytest.mark.parametrize("capture", [True])
def test_query_engine(index: VectorStoreIndex, tree: TreeFactory) -> None:
    engine = index.as_query_engine(llm=MockLLM(max_tokens=4), similarity_top_k=1)
    response = engine.query("capital of France?")
    assert str(response)
    t = tree()
    qe = t.one("step RetrieverQueryEngine")
    assert t.parent(qe) is None
    assert qe.attributes["agent_trace.step.action_type"] == "reasoning"
    assert qe.attributes["agent_trace.step.input"] == "capital of France?"
    retrieval = t.one("retrieval VectorIndexRetriever")
    assert t.parent(retrieval) is qe
    assert retrieval.attributes["gen_ai.operation.name"] == "retrieval"
    assert retrieval.attributes["gen_ai.retrieval.query.text"] == "capital of France?"
    (doc,) = json.loads(retrieval.attributes["agent_trace.step.output"])
    assert doc["content"] and doc["id"]
    (embedding,) = t.children(retrieval)
    assert embedding.name == "embeddings"
    assert embedding.attributes["gen_ai.operation.name"] == "embeddings"
    llm = t.one("text_completion")
    assert t.parent(llm) is qe  # predict -> complete is one call, under the engine


def test_retriever_only(index: VectorStoreIndex, tree: TreeFactory) -> None:
    nodes = index.as_retriever(similarity_top_k=2).retrieve("Germany")
    assert len(nodes) == 2
    t = tree()
    retrieval = t.one("retrieval VectorIndexRetriever")
    assert "gen_ai.retrieval.query.text" not in retrieval.attributes
    assert "agent_trace.step.output" not in retrieval.attributes


def test_retrieval_only_step(index: VectorStoreIndex, tree: TreeFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Settings, "_llm", MockLLM())  # NoText reads Settings.llm (else it looks for OpenAI)
    synthesizer = get_response_synthesizer(llm=MockLLM(), response_mode=ResponseMode.NO_TEXT)
    engine = RetrieverQueryEngine(retriever=index.as_retriever(), response_synthesizer=synthesizer)
    engine.query("Paris")
    assert tree().one("step RetrieverQueryEngine").attributes["agent_trace.step.action_type"] == "retrieval"


# ---------------------------------------------------------------------------------------------------- lifecycle


def _ours(instrumentor: LlamaIndexInstrumentor) -> tuple[Any, Any]:
    return instrumentor._span_handler, instrumentor._event_handler


def test_instrument_idempotent(instrumentor: LlamaIndexInstrumentor, provider: Any, tree: TreeFactory) -> None:
    dispatcher = get_dispatcher()
    before = (list(dispatcher.span_handlers), list(dispatcher.event_handlers))
    instrumentor.instrument(tracer_provider=provider)
    assert (dispatcher.span_handlers, dispatcher.event_handlers) == before
    FunctionTool.from_defaults(add).call(a=1, b=2)
    assert len(tree().spans) == 1


def test_uninstrument_removes_handlers(
    instrumentor: LlamaIndexInstrumentor, provider: Any, exporter: InMemorySpanExporter
) -> None:
    dispatcher = get_dispatcher()
    spans, events = _ours(instrumentor)
    before_spans = [h for h in dispatcher.span_handlers if h is not spans]
    before_events = [h for h in dispatcher.event_handlers if h is not events]
    instrumentor.uninstrument()
    try:
        assert dispatcher.span_handlers == before_spans
        assert dispatcher.event_handlers == before_events
        assert all(h is not spans for h in dispatcher.span_handlers)
        FunctionTool.from_defaults(add).call(a=1, b=2)
        assert exporter.get_finished_spans() == ()
    finally:
        instrumentor.instrument(tracer_provider=provider)


async def test_suppressed(tree: TreeFactory) -> None:
    with suppress_instrumentation():
        result = await _agent([_react("add", {"a": 2, "b": 3}), ANSWER]).run(user_msg="2+3")
        MockLLM().complete("hi")
    assert "5" in str(result)
    assert tree().spans == []


def test_internal_fault_swallowed(
    monkeypatch: pytest.MonkeyPatch, tree: TreeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("extractor bug")

    monkeypatch.setattr(X, "response_attributes", boom)
    monkeypatch.setattr(X, "model_name", boom)
    with caplog.at_level(logging.DEBUG, logger="otel_agent_trace"):
        response = ScriptedLLM(script=["fine"]).complete("hi")
        ok = ScriptedLLM(script=["fine"]).chat([ChatMessage(role="user", content="x")])
    assert response.text == "fine"
    assert ok.message.content == "fine"
    assert "llama_index" in caplog.text
    assert FunctionTool.from_defaults(add).call(a=1, b=2).raw_output == 3  # still traced afterwards
    assert tree().one("execute_tool add")


def test_usage_source_provider(provider: Any, tree: TreeFactory) -> None:
    """With our OpenAI instrumentor on, an OpenAI-integration LLM span defers usage to the provider span."""
    from otel_agent_trace.instrumentation.openai import OpenAIInstrumentor

    class OpenAILike(ScriptedLLM):
        pass

    OpenAILike.__module__ = "llama_index.llms.openai.base"
    openai_instrumentor = OpenAIInstrumentor()
    openai_instrumentor.instrument(tracer_provider=provider)
    try:
        OpenAILike(script=["hi"]).complete("x")
    finally:
        openai_instrumentor.uninstrument()
    OpenAILike(script=["hi"]).complete("x")
    with_provider, without = tree().spans
    assert with_provider.attributes["gen_ai.provider.name"] == "openai"
    assert with_provider.attributes["agent_trace.llm.usage_source"] == "provider"
    assert "gen_ai.usage.input_tokens" not in with_provider.attributes
    assert without.attributes["agent_trace.llm.usage_source"] == "framework"
    assert without.attributes["gen_ai.usage.input_tokens"] == 11


async def test_concurrent_runs_keep_parentage(tree: TreeFactory) -> None:
    import asyncio

    results = await asyncio.gather(
        _agent([_react("add", {"a": 2, "b": 3}), ANSWER]).run(user_msg="a"),
        _agent([_react("add", {"a": 1, "b": 1}), ANSWER]).run(user_msg="b"),
    )
    assert len(results) == 2
    t = tree()
    agents = t.named("invoke_agent calc")
    assert len(agents) == 2
    for agent in agents:
        run_id = agent.attributes["agent_trace.run.id"]
        steps = t.children(agent)
        assert [s.attributes["agent_trace.step.index"] for s in steps] == list(range(len(steps)))
        tools = [c for s in steps for c in t.children(s) if c.name == "execute_tool add"]
        assert len(tools) == 1
        assert tools[0].attributes["agent_trace.run.id"] == run_id

"""A LangGraph agent (ChatOpenAI against a local mock server, MemorySaver) diagnoses itself and recovers.

The tool returns a wrong value on the first try; the agent's check records the verdict, ``diagnose()`` names the
tool and the checkpoint before the root cause, the handler fixes the tool and resumes the graph from that
checkpoint, and the run succeeds.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from opentelemetry.sdk.trace import TracerProvider

import otel_agent_trace as oat
from otel_agent_trace.semconv import state as S
from tests.instrumentation._servers import JSONHandler, serving
from tests.instrumentation.langchain.conftest import instrumentor

from .conftest import Bench

langchain_openai = pytest.importorskip("langchain_openai")
pytest.importorskip("langgraph.checkpoint.memory")

__all__ = ["instrumentor"]  # the LangChain instrumentor fixture of tests/instrumentation/langchain
pytestmark = pytest.mark.usefixtures("instrumentor")
EXAMPLE = Path(__file__).parents[2] / "examples" / "self_diagnosis_langgraph.py"


class _FakeOpenAI(JSONHandler):
    """First a ``convert_currency`` tool call, then an answer that repeats the tool's amount."""

    requests: ClassVar[list[Any]] = []

    def do_POST(self) -> None:
        body = self.read_json()
        type(self).requests.append(body)
        last = body["messages"][-1]
        if last.get("role") == "tool":
            amount = float(re.search(r'"amount":\s*([0-9.]+)', last["content"]).group(1))  # type: ignore[union-attr]
            message: dict[str, Any] = {"role": "assistant", "content": f"Your budget is {amount:.2f} USD."}
            finish = "stop"
        else:
            arguments = json.dumps({"amount": 160, "base": "EUR", "quote": "USD"})
            call = {
                "id": "call_1",
                "type": "function",
                "function": {"name": "convert_currency", "arguments": arguments},
            }
            message, finish = {"role": "assistant", "content": None, "tool_calls": [call]}, "tool_calls"
        self.send_json(
            200,
            {
                "id": "chatcmpl-diag",
                "object": "chat.completion",
                "created": 1_700_000_000,
                "model": "gpt-4o-mini",
                "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
                "usage": {"prompt_tokens": 30, "completion_tokens": 12, "total_tokens": 42},
            },
        )


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), _FakeOpenAI)) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"


@pytest.fixture
def provider(bench: Bench) -> TracerProvider:
    """The instrumentor records through our processor, so diagnose() sees its spans."""
    return bench.provider


@pytest.fixture
def capture() -> bool:
    return True


class _Rates:
    fixed = False


def _graph(base_url: str, rates: type[_Rates]) -> Any:
    from langchain_core.tools import tool
    from langgraph.checkpoint.memory import MemorySaver
    from langgraph.graph import START, MessagesState, StateGraph
    from langgraph.prebuilt import ToolNode, tools_condition

    @tool
    def convert_currency(amount: float, base: str, quote: str) -> dict[str, Any]:
        """``amount`` of ``base`` in ``quote``."""
        return {"amount": round(amount * (1.08 if rates.fixed else 0.0108), 2), "currency": quote}

    model = langchain_openai.ChatOpenAI(model="gpt-4o-mini", api_key="sk-test", base_url=base_url, max_retries=0)
    model = model.bind_tools([convert_currency])

    def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    g = StateGraph(MessagesState)
    g.add_node("agent", agent)
    g.add_node("tools", ToolNode([convert_currency]))
    g.add_edge(START, "agent")
    g.add_conditional_edges("agent", tools_condition)
    g.add_edge("tools", "agent")
    return g.compile(checkpointer=MemorySaver(), name="budget_agent")


def _right(answer: str) -> bool:
    return "172.80 USD" in answer


def _self_correcting_run(graph: Any, rates: type[_Rates]) -> dict[str, Any]:
    config = {"configurable": {"thread_id": "trip-1"}}
    out: dict[str, Any] = {}
    with oat.agent_run("budget-agent"):
        state = graph.invoke({"messages": [("user", "How much is my 160 EUR budget in USD?")]}, config)
        out["first"] = str(state["messages"][-1].content)
        out["history"] = list(graph.get_state_history(config))
        assert not _right(out["first"])
        oat.record_outcome(False, expected="172.80 USD", actual=out["first"], reason="wrong USD amount")
        diagnosis = out["diagnosis"] = oat.diagnose()
        assert diagnosis is not None and diagnosis.rollback is not None and diagnosis.rollback.checkpoint is not None
        suspects = (diagnosis.root_cause, *diagnosis.candidates)
        if any(s.kind == "tool" and s.name == "execute_tool convert_currency" for s in suspects[:2]):
            rates.fixed = True
        before = len(_FakeOpenAI.requests)
        state = graph.invoke(None, config=diagnosis.rollback.checkpoint.config())
        out["resumed_llm_calls"] = len(_FakeOpenAI.requests) - before
        out["final"] = str(state["messages"][-1].content)
        out["history_after"] = list(graph.get_state_history(config))
    return out


def test_agent_diagnoses_the_tool_resumes_from_the_checkpoint_and_recovers(
    base_url: str, bench: Bench, caplog: pytest.LogCaptureFixture
) -> None:
    rates = type("Rates", (_Rates,), {})
    out = _self_correcting_run(_graph(base_url, rates), rates)
    diagnosis = out["diagnosis"]
    assert out["first"] == "Your budget is 1.73 USD."
    assert diagnosis.failure_kind == "evaluation"
    assert diagnosis.expected == "172.80 USD"
    suspects = (diagnosis.root_cause, *diagnosis.candidates)
    tool = next(s for s in suspects if s.name == "execute_tool convert_currency")
    assert tool in suspects[:2]
    assert any("first stated '1.73" in line for line in tool.evidence)
    # the rollback checkpoint is a real one of the thread, the latest saved before the root cause started
    checkpoint = diagnosis.rollback.checkpoint
    history = {snap.config["configurable"]["checkpoint_id"]: snap for snap in out["history"]}
    assert checkpoint.thread_id == "trip-1"
    assert checkpoint.checkpoint_id in history
    assert tuple(history[checkpoint.checkpoint_id].next) == checkpoint.next
    assert checkpoint.step == history[checkpoint.checkpoint_id].metadata["step"]
    spans = {format(s.context.span_id, "016x"): s for s in bench.exporter.get_finished_spans()}
    cause_start = spans[diagnosis.span_id].start_time
    events = [
        e
        for s in spans.values()
        for e in s.events
        if e.name == S.STATE_EVENT_NAME and e.attributes.get(S.STATE_CHECKPOINT_ID) in history
    ]
    assert {e.attributes[S.STATE_CHECKPOINT_ID] for e in events} == set(history)  # every checkpoint, once
    assert len(events) == len(history)
    earlier = [e for e in events if e.timestamp < cause_start]
    assert max(earlier, key=lambda e: e.timestamp).attributes[S.STATE_CHECKPOINT_ID] == checkpoint.checkpoint_id
    assert "messages" in diagnosis.rollback.state["working_memory"]
    # recovered: resumed from that checkpoint with the corrected tool
    assert out["final"] == "Your budget is 172.80 USD."
    forks = [s for s in out["history_after"] if (s.parent_config or {}).get("configurable", {}).get("checkpoint_id")]
    parents = {s.parent_config["configurable"]["checkpoint_id"] for s in forks}
    assert checkpoint.checkpoint_id in parents
    assert out["resumed_llm_calls"] == (1 if checkpoint.next == ("tools",) else 2)
    # LangGraph's graph-lifecycle callback managers (on_resume) get no handler of ours, so no callback error
    assert not [r for r in caplog.records if "OTelCallbackHandler" in r.getMessage()]


def test_root_cause_is_the_tool(base_url: str, bench: Bench) -> None:
    rates = type("Rates", (_Rates,), {})
    out = _self_correcting_run(_graph(base_url, rates), rates)
    assert out["diagnosis"].name == "execute_tool convert_currency"
    assert out["diagnosis"].rollback.checkpoint.next == ("tools",)


async def test_async_checkpoints_are_recorded_once(base_url: str, bench: Bench) -> None:
    rates = type("Rates", (_Rates,), {})
    graph = _graph(base_url, rates)
    config = {"configurable": {"thread_id": "async-1"}}
    with oat.agent_run("budget-agent"):
        await graph.ainvoke({"messages": [("user", "160 EUR in USD?")]}, config)
    history = [snap.config["configurable"]["checkpoint_id"] async for snap in graph.aget_state_history(config)]
    run = next(s for s in bench.exporter.get_finished_spans() if s.name == "invoke_agent budget-agent")
    recorded = [e.attributes[S.STATE_CHECKPOINT_ID] for e in run.events if S.STATE_CHECKPOINT_ID in e.attributes]
    assert sorted(recorded) == sorted(history)


def test_uninstrument_unwraps_the_checkpointer(base_url: str, instrumentor: Any) -> None:
    from langgraph.checkpoint.memory import MemorySaver

    rates = type("Rates", (_Rates,), {})
    graph = _graph(base_url, rates)
    with oat.agent_run("budget-agent"):
        graph.invoke({"messages": [("user", "160 EUR in USD?")]}, {"configurable": {"thread_id": "u"}})
    assert hasattr(MemorySaver.put, "__wrapped__")
    instrumentor.uninstrument()
    assert not hasattr(MemorySaver.put, "__wrapped__")
    instrumentor.instrument(tracer_provider=TracerProvider(), capture_content=True)  # the fixture uninstruments


def test_example_runs_offline_and_recovers() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=120, check=False, cwd=EXAMPLE.parent
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "first answer: Your budget is 1.73 USD." in result.stdout
    assert "resumed from checkpoint" in result.stdout
    assert "final answer: Your budget is 172.80 USD." in result.stdout

"""Record/replay of a CrewAI ``@tool``: recorded against a local mock LLM, replayed exactly without a request and
without running the tool's body, overridden by span id (the final answer changes), diverging when unrecorded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from otel_agent_trace.model import Span, Trace
from otel_agent_trace.rca.replay import replay
from tests.crewai_env._mock_llm import MockLLMServer
from tests.instrumentation._servers import JSONHandler, serving
from tests.replay.conftest import record, tree

PROGRAM = Path(__file__).parent / "replay_crew.py"


class _Echo(JSONHandler):
    """Asks for ``get_weather`` (native tool calling), then answers with what it returned."""

    server: MockLLMServer

    def do_POST(self) -> None:
        body = self.read_json()
        self.server.requests.append(body)
        results = [m.get("content") for m in body.get("messages") or () if m.get("role") == "tool"]
        message: dict[str, Any]
        if results:
            message, reason = {"role": "assistant", "content": f"The weather: {results[-1]}"}, "stop"
        else:
            call = {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
            }
            message, reason = {"role": "assistant", "content": None, "tool_calls": [call]}, "tool_calls"
        self.send_json(
            200,
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 1,
                "model": body.get("model", "test-model"),
                "choices": [{"index": 0, "message": message, "finish_reason": reason}],
                "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
            },
        )


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Trace, MockLLMServer, Path]]:
    tmp = tmp_path_factory.mktemp("crew")
    server = MockLLMServer(("127.0.0.1", 0), _Echo)
    server.script, server.requests = {}, []
    with serving(server), pytest.MonkeyPatch.context() as mp:
        mp.setenv("MOCK_OPENAI_URL", server.base_url)
        mp.setenv("TOOL_CALLS_FILE", str(tmp / "calls.txt"))
        mp.setenv("CREWAI_STORAGE_DIR", str(tmp / "home"))
        yield record(tmp / "store", PROGRAM), server, tmp / "calls.txt"


def _runs(calls: Path) -> int:
    return len(calls.read_text(encoding="utf-8").splitlines()) if calls.exists() else 0


def _tool(trace: Trace) -> Span:
    return next(s for s in trace.spans if s.name == "execute_tool get_weather")


def _answer(trace: Trace) -> str:
    llm = [s for s in trace.spans if "gen_ai.output.messages" in s.attributes]
    return json.dumps(max(llm, key=lambda s: s.end_ns).attributes["gen_ai.output.messages"])


def test_replay_is_exact_without_a_request_or_the_tool_body(recorded: tuple[Trace, MockLLMServer, Path]) -> None:
    trace, server, calls = recorded
    before, runs = len(server.requests), _runs(calls)
    result = replay(trace, str(PROGRAM))
    assert result.status == "passed", result.detail
    assert result.trace is not None
    assert tree(result.trace) == tree(trace)
    assert (result.served, result.live) == (3, 0)  # two model calls and the tool
    assert len(server.requests) == before
    assert _runs(calls) == runs


def test_override_changes_the_answer(recorded: tuple[Trace, MockLLMServer, Path]) -> None:
    trace, _, calls = recorded
    runs = _runs(calls)
    span = _tool(trace)
    result = replay(trace, str(PROGRAM), override={span.span_id: "snowing in Paris"}, allow_live=True)
    assert result.status == "passed", result.detail
    assert result.overridden == (span.span_id,)
    assert result.trace is not None
    assert "snowing in Paris" in str(_tool(result.trace).attributes.get("gen_ai.tool.call.result"))
    assert "snowing in Paris" in _answer(result.trace)
    assert "snowing in Paris" not in _answer(trace)
    assert _runs(calls) == runs


def test_unrecorded_tool_call_diverges_or_runs_live(recorded: tuple[Trace, MockLLMServer, Path]) -> None:
    trace, _, calls = recorded
    runs = _runs(calls)
    missing = Trace(trace.trace_id, tuple(s for s in trace.spans if s is not _tool(trace)))
    diverged = replay(missing, str(PROGRAM))
    assert diverged.status == "diverged", diverged.detail
    assert str(diverged.diverged_at).startswith("span execute_tool get_weather (#1): expected no such call")
    assert _runs(calls) == runs
    live = replay(missing, str(PROGRAM), allow_live=True)
    assert live.status == "passed", live.detail
    assert _runs(calls) == runs + 1

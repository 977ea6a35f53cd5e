"""Record/replay of real LLM SDK calls (openai streamed and not, sync and async, anthropic streamed and not,
litellm, LangGraph).

Each program runs against the local mock servers of the instrumentors' tests, recorded in a subprocess; the replay
must reproduce the span tree with every attribute and event (but ids and timings) and send the servers nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from otel_agent_trace.model import Trace
from otel_agent_trace.rca.replay import replay
from tests.instrumentation._servers import JSONHandler, serving
from tests.instrumentation.openai.mock_server import MockOpenAIServer, chat_completion, running_server

from .conftest import PROGRAMS, STATE_HASHES, concurrent_tree, record, tree

LLM_AGENT = PROGRAMS / "llm_agent.py"


@pytest.fixture(scope="module")
def openai_server() -> Iterator[MockOpenAIServer]:
    with running_server() as server:
        yield server


def _record_llm(store: Path, mp: pytest.MonkeyPatch, sdks: str, **env: str) -> Trace:
    mp.setenv("LLM_AGENT_SDK", sdks)
    return record(store, LLM_AGENT, env)


@pytest.fixture(scope="module")
def openai_recorded(openai_server: MockOpenAIServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trace]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MOCK_OPENAI_URL", openai_server.base_url)
        yield _record_llm(tmp_path_factory.mktemp("openai"), mp, "openai")


def test_every_sdk_replays_exactly_without_a_request(openai_server: MockOpenAIServer, tmp_path: Path, monkeypatch):
    """openai (chat + SSE stream), AsyncOpenAI (+ an async tool), anthropic (message + stream), litellm: one run."""
    pytest.importorskip("litellm")
    from tests.instrumentation.anthropic.conftest import MockServer as AnthropicServer
    from tests.instrumentation.litellm.conftest import MockServer as LiteLLMServer

    with serving(AnthropicServer()) as anthropic_server, serving(LiteLLMServer()) as litellm_server:
        monkeypatch.setenv("MOCK_OPENAI_URL", openai_server.base_url)
        monkeypatch.setenv("MOCK_ANTHROPIC_URL", anthropic_server.base_url)
        monkeypatch.setenv("MOCK_LITELLM_URL", litellm_server.api_base)
        recorded = _record_llm(tmp_path / "store", monkeypatch, "openai,openai_async,anthropic,litellm")
        servers: list[Any] = [openai_server, anthropic_server, litellm_server]
        before = [len(s.requests) for s in servers]
        result = replay(recorded, str(LLM_AGENT))
        assert [len(s.requests) for s in servers] == before  # no network call
    assert result.status == "passed", result.detail
    assert result.trace is not None
    assert tree(result.trace) == tree(recorded)
    assert (result.served, result.live) == (12, 0)  # 8 HTTP exchanges (3 streamed) and 4 tool results
    chats = [s for s in recorded.spans if s.name.startswith("chat ")]
    assert len(chats) == 8
    assert all(e.name == "agent_trace.replay.http" for s in chats for e in s.events[-1:])


def test_openai_divergence_then_live(openai_server: MockOpenAIServer, openai_recorded: Trace, monkeypatch):
    monkeypatch.setenv("LLM_AGENT_SDK", "openai")
    monkeypatch.setenv("MOCK_OPENAI_URL", openai_server.base_url)
    monkeypatch.setenv("LLM_AGENT_PROMPT", "Weather in Rome?")
    before = len(openai_server.requests)
    diverged = replay(openai_recorded, str(LLM_AGENT))
    assert diverged.status == "diverged"
    assert diverged.diverged_at is not None
    assert diverged.diverged_at.startswith("span chat gpt-4o-mini (#1): expected POST /v1/chat/completions")
    assert "got POST /v1/chat/completions model=gpt-4o-mini (body " in diverged.diverged_at
    assert len(openai_server.requests) == before
    live = replay(openai_recorded, str(LLM_AGENT), allow_live=True)
    assert live.status == "passed", live.detail
    assert live.live == 1  # the changed request went to the server; the streamed one was still served
    assert len(openai_server.requests) == before + 1


def test_override_of_an_llm_span(openai_server: MockOpenAIServer, openai_recorded: Trace, monkeypatch):
    monkeypatch.setenv("LLM_AGENT_SDK", "openai")
    monkeypatch.setenv("MOCK_OPENAI_URL", openai_server.base_url)
    streamed = [s for s in openai_recorded.spans if s.name.startswith("chat ")][1]
    result = replay(openai_recorded, str(LLM_AGENT), override={streamed.span_id: "Bonjour from the override"})
    assert result.status == "passed", result.detail
    assert result.overridden == (streamed.span_id,)
    assert result.trace is not None
    answer = [s for s in result.trace.spans if s.name.startswith("chat ")][1]
    assert "Bonjour from the override" in str(answer.attributes.get("gen_ai.output.messages"))
    messages = [{"role": "assistant", "parts": [{"type": "text", "content": "Salut"}], "finish_reason": "stop"}]
    as_messages = replay(openai_recorded, str(LLM_AGENT), override={streamed.span_id: messages})
    assert as_messages.status == "passed", as_messages.detail
    assert as_messages.trace is not None
    assert '"Salut"' in str([s for s in as_messages.trace.spans if s.name.startswith("chat ")][1].attributes)
    tool_call = [{"role": "assistant", "parts": [{"type": "tool_call", "name": "x"}]}]
    refused = replay(openai_recorded, str(LLM_AGENT), override={streamed.span_id: tool_call})
    assert refused.status == "error"
    assert "must be the answer's text" in refused.detail


def test_truncated_recording_is_reported(openai_server: MockOpenAIServer, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("MOCK_OPENAI_URL", openai_server.base_url)
    budget = {"OTEL_AGENT_TRACE_MAX_ATTRIBUTE_BYTES": "3000"}  # the ~6.5 KB SSE stream does not fit
    recorded = _record_llm(tmp_path / "store", monkeypatch, "openai", **budget)
    result = replay(recorded, str(LLM_AGENT))
    assert result.status == "error"
    assert "span chat gpt-4o-mini (#2)'s recording was truncated" in result.detail


class _ReactHandler(JSONHandler):
    """OpenAI chat completions: tool calls until the conversation has tool results, then a text answer."""

    def do_POST(self) -> None:
        body: dict[str, Any] = self.read_json()
        self.server.requests.append(body)  # type: ignore[attr-defined]
        answered = any(m.get("role") == "tool" for m in body.get("messages", []))
        self.send_json(200, chat_completion(str(body.get("model")), tools=not answered))


def test_langgraph_agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    pytest.importorskip("langchain_openai")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ReactHandler)
    server.requests = []  # type: ignore[attr-defined]
    with serving(server):
        monkeypatch.setenv("MOCK_OPENAI_URL", f"http://127.0.0.1:{server.server_address[1]}/v1")
        recorded = record(tmp_path / "store", PROGRAMS / "graph_agent.py")
        before = len(server.requests)  # type: ignore[attr-defined]
        result = replay(recorded, str(PROGRAMS / "graph_agent.py"))
        assert len(server.requests) == before  # type: ignore[attr-defined]
    assert result.status == "passed", result.detail
    assert result.trace is not None
    assert len(recorded.spans) > 6
    # LangChain gives every message a random uuid4, which the state snapshots (and their hashes) contain, and its
    # ToolNode runs the two tool calls in parallel threads (either may start first): the documented limits of
    # replay (randomness outside instrumented calls); everything else is equal.
    assert concurrent_tree(result.trace, STATE_HASHES) == concurrent_tree(recorded, STATE_HASHES)
    # two LLM calls and the two LangChain tools (whose real bodies return a fresh uuid each: equal trees prove they
    # were served, not run)
    assert result.served == 4


def test_langgraph_tool_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A LangChain tool's output replaced by span id: the replayed tool span and the model's next input carry it."""
    pytest.importorskip("langchain_openai")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ReactHandler)
    server.requests = []  # type: ignore[attr-defined]
    with serving(server):
        monkeypatch.setenv("MOCK_OPENAI_URL", f"http://127.0.0.1:{server.server_address[1]}/v1")
        recorded = record(tmp_path / "store", PROGRAMS / "graph_agent.py")
        weather = next(s for s in recorded.spans if s.name == "execute_tool get_weather")
        result = replay(
            recorded, str(PROGRAMS / "graph_agent.py"), override={weather.span_id: "snowy in Paris"}, allow_live=True
        )
    assert result.status == "passed", result.detail
    assert result.overridden == (weather.span_id,)
    assert result.trace is not None
    replayed = next(s for s in result.trace.spans if s.name == "execute_tool get_weather")
    assert "snowy in Paris" in str(replayed.attributes.get("gen_ai.tool.call.result"))

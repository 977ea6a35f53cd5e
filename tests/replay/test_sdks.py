"""Record/replay of real LLM SDK calls (openai streamed and not, anthropic streamed and not, litellm, LangGraph).

Each program runs against the local mock server of its instrumentor's tests, recorded in a subprocess; the replay
must reproduce the span tree with every attribute and event (but ids and timings) and send the server nothing.
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

from .conftest import PROGRAMS, STATE_HASHES, record, tree

LLM_AGENT = PROGRAMS / "llm_agent.py"


@pytest.fixture(scope="module")
def openai_server() -> Iterator[MockOpenAIServer]:
    with running_server() as server:
        yield server


@pytest.fixture(scope="module")
def openai_recorded(openai_server: MockOpenAIServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trace]:
    with pytest.MonkeyPatch.context() as mp:
        yield _record_llm(tmp_path_factory.mktemp("openai"), mp, "openai", openai_server.base_url)


def _record_llm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sdk: str, base_url: str, **env: str) -> Trace:
    monkeypatch.setenv("LLM_AGENT_SDK", sdk)
    monkeypatch.setenv("MOCK_BASE_URL", base_url)
    return record(tmp_path / "store", LLM_AGENT, env)


def test_openai_chat_and_stream(openai_server: MockOpenAIServer, openai_recorded: Trace, monkeypatch):
    recorded = openai_recorded
    monkeypatch.setenv("LLM_AGENT_SDK", "openai")
    monkeypatch.setenv("MOCK_BASE_URL", openai_server.base_url)
    before = len(openai_server.requests)
    result = replay(recorded, str(LLM_AGENT))
    assert result.status == "passed", result.detail
    assert len(openai_server.requests) == before  # no network call
    assert result.trace is not None
    assert tree(result.trace) == tree(recorded)
    assert (result.served, result.live) == (3, 0)  # two HTTP exchanges (one streamed) and one tool result


def test_openai_async_client_and_tool(openai_server: MockOpenAIServer, tmp_path: Path, monkeypatch):
    recorded = _record_llm(tmp_path, monkeypatch, "openai_async", openai_server.base_url)
    before = len(openai_server.requests)
    result = replay(recorded, str(LLM_AGENT))
    assert result.status == "passed", result.detail
    assert len(openai_server.requests) == before
    assert result.trace is not None
    assert tree(result.trace) == tree(recorded)
    assert (result.served, result.live) == (3, 0)  # AsyncHTTPTransport exchanges and an async tool_call


def test_openai_divergence_then_live(openai_server: MockOpenAIServer, openai_recorded: Trace, monkeypatch):
    recorded = openai_recorded
    monkeypatch.setenv("LLM_AGENT_SDK", "openai")
    monkeypatch.setenv("MOCK_BASE_URL", openai_server.base_url)
    monkeypatch.setenv("LLM_AGENT_PROMPT", "Weather in Rome?")
    before = len(openai_server.requests)
    diverged = replay(recorded, str(LLM_AGENT))
    assert diverged.status == "diverged"
    assert diverged.diverged_at is not None
    assert diverged.diverged_at.startswith("span chat gpt-4o-mini (#1): expected POST /v1/chat/completions")
    assert "got POST /v1/chat/completions model=gpt-4o-mini (body " in diverged.diverged_at
    assert len(openai_server.requests) == before
    live = replay(recorded, str(LLM_AGENT), allow_live=True)
    assert live.status == "passed", live.detail
    assert live.live == 1  # the changed request went to the server; the streamed one was still served
    assert len(openai_server.requests) == before + 1


def test_truncated_recording_is_reported(openai_server: MockOpenAIServer, tmp_path: Path, monkeypatch):
    recorded = _record_llm(
        tmp_path, monkeypatch, "openai", openai_server.base_url, OTEL_AGENT_TRACE_MAX_ATTRIBUTE_BYTES="3000"
    )
    result = replay(recorded, str(LLM_AGENT))
    assert result.status == "error"
    assert "span chat gpt-4o-mini (#2)'s recording was truncated" in result.detail


def test_anthropic_message_and_stream(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from tests.instrumentation.anthropic.conftest import MockServer

    with serving(MockServer()) as server:
        recorded = _record_llm(tmp_path, monkeypatch, "anthropic", server.base_url)
        before = len(server.requests)
        result = replay(recorded, str(LLM_AGENT))
        assert len(server.requests) == before
    assert result.status == "passed", result.detail
    assert result.trace is not None
    assert tree(result.trace) == tree(recorded)
    assert (result.served, result.live) == (3, 0)


def test_litellm_completions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    pytest.importorskip("litellm")
    from tests.instrumentation.litellm.conftest import MockServer

    with serving(MockServer()) as server:
        recorded = _record_llm(tmp_path, monkeypatch, "litellm", server.api_base)
        before = len(server.requests)
        result = replay(recorded, str(LLM_AGENT))
        assert len(server.requests) == before
    assert result.status == "passed", result.detail
    assert result.trace is not None
    assert tree(result.trace) == tree(recorded)


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
        monkeypatch.setenv("MOCK_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}/v1")
        recorded = record(tmp_path / "store", PROGRAMS / "graph_agent.py")
        before = len(server.requests)  # type: ignore[attr-defined]
        result = replay(recorded, str(PROGRAMS / "graph_agent.py"))
        assert len(server.requests) == before  # type: ignore[attr-defined]
    assert result.status == "passed", result.detail
    assert result.trace is not None
    assert len(recorded.spans) > 6
    # LangChain gives every message a random uuid4, which the state snapshots (and their hashes) contain: the
    # documented limit of replay (randomness outside instrumented calls); everything else is equal.
    assert tree(result.trace, STATE_HASHES) == tree(recorded, STATE_HASHES)
    assert result.served == 2  # two LLM calls; the LangChain tools ran for real (they are not manual-API tools)

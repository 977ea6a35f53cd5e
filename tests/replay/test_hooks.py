"""In-process checks of the recording and serving hooks (no subprocess): manual-API tools and the httpx recorder."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from typing import Any

import httpx
import pytest

import otel_agent_trace as oat
from otel_agent_trace._internal.replay import ReplayStop, set_replay_server
from otel_agent_trace._internal.settings import Settings
from otel_agent_trace.exporters.otlp_json import spans_to_otlp_json
from otel_agent_trace.instrumentation.httpx._record import disable_recording, enable_recording
from otel_agent_trace.model import Trace, group_traces, spans_from_otlp
from otel_agent_trace.rca._replay_cassette import build_cassette
from otel_agent_trace.replay import CassetteServer
from otel_agent_trace.semconv import replay as rp
from tests.core.conftest import Recorder, recording
from tests.instrumentation._servers import JSONHandler, serving

RECORD = Settings(capture_content=True, record_replay=True)
TOKEN = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"


def _trace(rec: Recorder) -> Trace:
    (trace,) = group_traces(spans_from_otlp(spans_to_otlp_json(rec.spans())))
    return trace


@contextmanager
def _server(cassette: dict[str, Any]) -> Iterator[CassetteServer]:
    server = CassetteServer(cassette)
    set_replay_server(server)
    try:
        yield server
    finally:
        set_replay_server(None)


def _tools(calls: list[str], marker: str) -> dict[str, Callable[..., Any]]:
    """The same tool names with bodies that answer ``marker``: a replay must return the recorded values instead."""

    @oat.tool_call("lookup")
    def lookup(q: str) -> dict[str, Any]:
        calls.append("lookup")
        return {"q": q, "by": marker}

    @oat.tool_call("code")
    def code() -> str:
        calls.append("code")
        return "007" if marker == "recorded" else "live"

    @oat.tool_call("fetch")
    async def fetch(x: int) -> list[int]:
        calls.append("fetch")
        return [x, len(marker)]

    @oat.tool_call("broken")
    def broken() -> None:
        calls.append("broken")
        raise ValueError(f"bad {marker}")

    @oat.tool_call("secret")
    def secret() -> str:
        calls.append("secret")
        return f"token {TOKEN}"

    return {"lookup": lookup, "code": code, "fetch": fetch, "broken": broken, "secret": secret}


def _run(tools: dict[str, Callable[..., Any]], q: str = "otel") -> list[Any]:
    with oat.agent_run("agent"):
        out = [tools["lookup"](q), tools["code"](), asyncio.run(tools["fetch"](3))]
        with pytest.raises(ValueError, match="bad recorded") as caught:
            tools["broken"]()
        out.append(type(caught.value))
        return out


@pytest.fixture(scope="module")
def recorded() -> Trace:
    with recording(RECORD) as rec:
        tools = _tools([], "recorded")
        with oat.agent_run("outer"):
            _run(tools)
            tools["secret"]()
        return _trace(rec)


def test_recording_off_adds_nothing():
    with recording(Settings(capture_content=True)) as rec:
        _run(_tools([], "recorded"))
        spans = rec.spans()
    assert not [k for s in spans for k in (s.attributes or {}) if k.startswith("agent_trace.replay.")]


def test_recording_on_marks_result_kind_and_arguments(recorded: Trace):
    code = next(s for s in recorded.spans if s.name == "execute_tool code")
    lookup = next(s for s in recorded.spans if s.name == "execute_tool lookup")
    assert code.attributes[rp.REPLAY_RESULT_KIND] == "str"
    assert lookup.attributes[rp.REPLAY_RESULT_KIND] == "json"
    assert len(lookup.attributes[rp.REPLAY_ARGUMENTS_HASH]) == 16


def test_served_tools_do_not_run_and_keep_types(recorded: Trace):
    calls: list[str] = []
    with recording(Settings(capture_content=True)), _server(build_cassette(recorded)) as server:
        out = _run(_tools(calls, "live"))
    assert out == [{"q": "otel", "by": "recorded"}, "007", [3, 8], ValueError]  # "007" stays a str
    assert calls == []
    assert server.served == 4


def test_other_arguments_diverge_or_run_live(recorded: Trace):
    calls: list[str] = []
    cassette = build_cassette(recorded)
    with recording(Settings(capture_content=True)), _server(cassette) as server, pytest.raises(ReplayStop):
        _tools(calls, "live")["lookup"]("other")
    expected = 'span execute_tool lookup (#1): expected lookup({"q":"otel"}), got lookup({"q":"other"})'
    assert server.diverged_at == expected
    with recording(Settings(capture_content=True)), _server(build_cassette(recorded, allow_live=True)) as server:
        assert _tools(calls, "live")["lookup"]("other") == {"q": "other", "by": "live"}
    assert (server.live, calls) == (1, ["lookup"])


def test_redacted_result_is_not_served(recorded: Trace):
    cassette = build_cassette(recorded)
    with recording(Settings(capture_content=True)), _server(cassette) as server, pytest.raises(ReplayStop):
        _tools([], "live")["secret"]()
    assert server.problem == (
        "span execute_tool secret (#1)'s recorded result has a redacted value; the replay needs it (see redact_disable)"
    )


def test_truncated_result_is_not_served():
    with recording(Settings(capture_content=True, record_replay=True, max_attribute_bytes=256)) as rec:
        oat.tool_call("big")(lambda: "x" * 1000)()
        trace = _trace(rec)
    cassette = build_cassette(trace)
    with recording(Settings(capture_content=True)), _server(cassette) as server, pytest.raises(ReplayStop):
        oat.tool_call("big")(lambda: "live")()
    assert server.problem is not None
    assert "execute_tool big (#1)'s recording was truncated" in server.problem


class _Handler(JSONHandler):
    def do_GET(self) -> None:
        raw = json.dumps({"path": self.path, "pad": "y" * (5000 if self.path == "/big" else 10)}).encode()
        body = gzip.compress(raw)
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-encoding", "gzip")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_httpx_recorder_decodes_gzip_and_respects_the_budget():
    enable_recording(True)
    try:
        with serving(ThreadingHTTPServer(("127.0.0.1", 0), _Handler)) as srv:
            base = f"http://127.0.0.1:{srv.server_address[1]}"
            with recording(Settings(capture_content=True, record_replay=True, max_attribute_bytes=1024)) as rec:
                with oat.agent_run("agent"), httpx.Client() as client:
                    small = client.get(f"{base}/small").json()
                    big = client.get(f"{base}/big").json()
                (run,) = [s for s in rec.spans() if s.name == "invoke_agent agent"]
    finally:
        disable_recording()
    assert small["path"] == "/small"
    assert big["path"] == "/big"  # the client's answer is untouched by the tee
    events = [dict(e.attributes or {}) for e in run.events if e.name == rp.REPLAY_HTTP_EVENT]
    assert [e[rp.REPLAY_REQUEST_PATH] for e in events] == ["/small", "/big"]
    assert json.loads(events[0][rp.REPLAY_RESPONSE_BODY]) == small  # stored decoded
    assert events[0][rp.REPLAY_RESPONSE_COMPLETE] is True
    assert ["content-encoding"] not in [h[:1] for h in json.loads(events[0][rp.REPLAY_RESPONSE_HEADERS])]
    assert events[1][rp.REPLAY_RESPONSE_COMPLETE] is False
    assert rp.REPLAY_RESPONSE_BODY not in events[1]

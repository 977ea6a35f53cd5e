"""Record/replay of framework tools: OpenAI Agents SDK function tools, LlamaIndex ``FunctionTool``s, smolagents tools.

Each program is shaped like its framework's quick start with one tool, recorded in a subprocess against the local
mock LLM server of that framework's instrumentation tests, then replayed: (a) unchanged, the replay reproduces the
span tree with every attribute (tool results included) and sends the server nothing; (b) the tool span overridden
by its original span id changes the final answer; (c) a served tool's body never runs (each real run appends a line
to ``TOOL_CALLS_FILE``); (d) a tool call with no recording diverges, or runs for real with ``allow_live``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from otel_agent_trace.model import Span, Trace
from otel_agent_trace.rca import analyze, baseline_profile, verify
from otel_agent_trace.rca._replay_cassette import OverrideError, build_cassette
from otel_agent_trace.rca.replay import ReplayResult, replay
from tests.instrumentation._servers import JSONHandler, serving

from .conftest import PROGRAMS, record, tree


@dataclass
class Recorded:
    """A recorded run, the requests its mock server got, and the file counting real tool runs."""

    trace: Trace
    requests: list[Any]
    calls: Path

    def tool_runs(self) -> int:
        return len(self.calls.read_text(encoding="utf-8").splitlines()) if self.calls.exists() else 0


def _tool_span(trace: Trace, name: str) -> Span:
    return next(s for s in trace.spans if s.name == f"execute_tool {name}")


def _without(trace: Trace, span: Span) -> Trace:
    """``trace`` without ``span``: a recording that lacks that tool call."""
    return Trace(trace.trace_id, tuple(s for s in trace.spans if s.span_id != span.span_id))


def _replay(recorded: Recorded, program: Path, **kwargs: Any) -> ReplayResult:
    before = len(recorded.requests)
    result = replay(recorded.trace if "trace" not in kwargs else kwargs.pop("trace"), str(program), **kwargs)
    if not kwargs.get("allow_live"):
        assert len(recorded.requests) == before  # no network call
    return result


def _check_exact(recorded: Recorded, program: Path, served: int) -> None:
    runs = recorded.tool_runs()
    result = _replay(recorded, program)
    assert result.status == "passed", result.detail
    assert result.trace is not None
    assert tree(result.trace) == tree(recorded.trace)
    assert (result.served, result.live) == (served, 0)
    assert recorded.tool_runs() == runs  # the tool was served: its body did not run


def _check_override(recorded: Recorded, program: Path, tool: str, value: object) -> None:
    """Override the tool's span: the replayed tool returns ``value`` and the final answer says it."""
    runs = recorded.tool_runs()
    span = _tool_span(recorded.trace, tool)
    result = _replay(recorded, program, override={span.span_id: value}, allow_live=True)
    assert result.status == "passed", result.detail
    assert result.overridden == (span.span_id,)
    assert result.trace is not None
    replayed = _tool_span(result.trace, tool)
    assert str(value) in str(replayed.attributes.get("gen_ai.tool.call.result"))
    assert recorded.tool_runs() == runs
    answer = _final_answer(result.trace)
    assert str(value) in answer
    assert str(value) not in _final_answer(recorded.trace)


def _final_answer(trace: Trace) -> str:
    llm = [s for s in trace.spans if "gen_ai.output.messages" in s.attributes]
    return str(max(llm, key=lambda s: s.end_ns).attributes["gen_ai.output.messages"])


def _with_arguments(trace: Trace, tool: str, arguments: str) -> Trace:
    """``trace`` as if its tool span had recorded other arguments."""
    span = _tool_span(trace, tool)
    other = replace(span, attributes={**span.attributes, "gen_ai.tool.call.arguments": arguments})
    return Trace(trace.trace_id, tuple(other if s is span else s for s in trace.spans))


def _check_unrecorded(
    recorded: Recorded, program: Path, changed: Trace, diverged_at: str, *, live: bool = True
) -> None:
    """A replay of ``changed`` (a recording lacking the call made) diverges there; with ``allow_live`` it runs."""
    runs = recorded.tool_runs()
    diverged = _replay(recorded, program, trace=changed)
    assert diverged.status == "diverged", diverged.detail
    assert str(diverged.diverged_at).startswith(diverged_at), diverged.diverged_at
    assert recorded.tool_runs() == runs
    if not live:
        return
    live_run = _replay(recorded, program, trace=changed, allow_live=True)
    assert live_run.status == "passed", live_run.detail
    assert live_run.live >= 1
    assert recorded.tool_runs() == runs + 1  # allowed live, the body ran


# -- OpenAI Agents SDK --------------------------------------------------------------------------------------------

AGENTS_PROGRAM = PROGRAMS / "agents_sdk_agent.py"


@pytest.fixture(scope="module")
def agents_recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Recorded, Any]]:
    pytest.importorskip("agents")
    from tests.instrumentation.openai_agents.mock_server import serve, text, tool_call

    def echo(request: dict[str, Any]) -> dict[str, Any]:
        """Ask for the tool, then answer with what it returned (so that a changed tool output changes the answer)."""
        items = request.get("input") or ()
        outputs = [i for i in items if isinstance(i, dict) and i.get("type") == "function_call_output"]
        if outputs:
            return text("resp_2", f"The weather: {outputs[-1].get('output')}")
        return tool_call("resp_1", "get_weather", {"city": "Paris"}, "call_1")

    tmp = tmp_path_factory.mktemp("agents")
    with serve() as mock, pytest.MonkeyPatch.context() as mp:
        mock.next_body = echo  # type: ignore[method-assign]
        mp.setenv("MOCK_OPENAI_URL", mock.base_url)
        mp.setenv("TOOL_CALLS_FILE", str(tmp / "calls.txt"))
        trace = record(tmp / "store", AGENTS_PROGRAM)
        yield Recorded(trace, mock.requests, tmp / "calls.txt"), mock


def test_agents_sdk_replays_exactly_and_uploads_nothing(agents_recorded: tuple[Recorded, Any]) -> None:
    recorded, mock = agents_recorded
    assert mock.ingested  # the recorded run uploaded its SDK traces (to the mock)
    uploads = len(mock.ingested)
    _check_exact(recorded, AGENTS_PROGRAM, served=3)  # two model calls, one tool
    assert len(mock.ingested) == uploads  # the replay did not


def test_agents_sdk_cassette_keys_tools_by_framework_and_maps_overrides(agents_recorded: tuple[Recorded, Any]) -> None:
    trace = agents_recorded[0].trace
    span = _tool_span(trace, "get_weather")
    cassette = build_cassette(trace, override={span.span_id: "x"})
    (entry,) = cassette["tools"]["openai_agents:get_weather"]
    assert list(cassette["tools"]) == ["openai_agents:get_weather"]  # numbered apart from other frameworks' tools
    assert (entry["kind"], entry["result"], entry["args_full"]) == ("str", "sunny in Paris", '{"city": "Paris"}')
    assert cassette["overrides"] == [
        {"span_id": span.span_id, "kind": "tool", "name": "openai_agents:get_weather", "index": 0, "value": "x"}
    ]
    agent = next(s for s in trace.spans if s.name == "invoke_agent Assistant")
    with pytest.raises(OverrideError, match="cannot be overridden"):
        build_cassette(trace, override={agent.span_id: "x"})


def test_agents_sdk_redacted_or_cut_tool_result_is_not_served(agents_recorded: tuple[Recorded, Any]) -> None:
    """A recorded tool result the processor redacted, or cut for the budget, is not served: the cassette says why."""
    recorded = agents_recorded[0]
    span = _tool_span(recorded.trace, "get_weather")
    redacted = replace(span, attributes={**span.attributes, "gen_ai.tool.call.result": "sunny, key [REDACTED:api_key]"})
    cut = replace(span, attributes={**span.attributes, "agent_trace.truncated": ("gen_ai.tool.call.result",)})
    problems = []
    for changed in (redacted, cut):
        trace = Trace(recorded.trace.trace_id, tuple(changed if s is span else s for s in recorded.trace.spans))
        (entry,) = build_cassette(trace)["tools"]["openai_agents:get_weather"]
        problems.append(entry["problem"])
    assert problems == [
        "span execute_tool get_weather (#1)'s recorded result has a redacted value; the replay needs it (see "
        "redact_disable)",
        "span execute_tool get_weather (#1)'s recording was truncated (its result exceeded max_attribute_bytes)",
    ]
    # the replay stops with that problem when it needs the value (run for the manual API's tools in test_hooks.py)


def test_agents_sdk_tool_override_changes_the_answer(agents_recorded: tuple[Recorded, Any]) -> None:
    _check_override(agents_recorded[0], AGENTS_PROGRAM, "get_weather", "snowing in Paris")


def test_agents_sdk_tool_call_with_other_arguments_is_not_served(agents_recorded: tuple[Recorded, Any]) -> None:
    """The recorded result belongs to the recorded arguments: a call with others diverges (naming both)."""
    recorded = agents_recorded[0]
    changed = _with_arguments(recorded.trace, "get_weather", '{"city": "Rome"}')
    expected = (
        'span execute_tool get_weather (#1): expected get_weather({"city": "Rome"}), got get_weather({"city": "Paris"})'
    )
    _check_unrecorded(recorded, AGENTS_PROGRAM, changed, expected)


# -- LlamaIndex ---------------------------------------------------------------------------------------------------

LLAMA_PROGRAM = PROGRAMS / "llama_index_agent.py"


@pytest.fixture(scope="module")
def llama_recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorded]:
    pytest.importorskip("llama_index.core")
    tmp = tmp_path_factory.mktemp("llama")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TOOL_CALLS_FILE", str(tmp / "calls.txt"))
        yield Recorded(record(tmp / "store", LLAMA_PROGRAM), [], tmp / "calls.txt")


def test_llama_index_replays_exactly(llama_recorded: Recorded) -> None:
    _check_exact(llama_recorded, LLAMA_PROGRAM, served=1)  # the model is in-process (not HTTP): only the tool


def test_llama_index_tool_override_changes_the_answer(llama_recorded: Recorded) -> None:
    _check_override(llama_recorded, LLAMA_PROGRAM, "get_weather", "snowing in Paris")


def test_llama_index_tool_call_with_other_arguments_is_not_served(llama_recorded: Recorded) -> None:
    changed = _with_arguments(llama_recorded.trace, "get_weather", '{"city":"Rome"}')
    expected = (
        'span execute_tool get_weather (#1): expected get_weather({"city":"Rome"}), got get_weather({"city":"Paris"})'
    )
    _check_unrecorded(llama_recorded, LLAMA_PROGRAM, changed, expected, live=False)  # live: as for the others


# -- smolagents ---------------------------------------------------------------------------------------------------

SMOL_PROGRAM = PROGRAMS / "smolagents_agent.py"


@pytest.fixture(scope="module")
def smol_recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorded]:
    pytest.importorskip("smolagents")
    from tests.instrumentation.smolagents.conftest import ScriptedServer, tool_call_reply

    class SmolEcho(JSONHandler):
        """Chat completions asking for ``get_weather``, then for ``final_answer`` with what it returned."""

        def do_POST(self) -> None:
            body: dict[str, Any] = self.read_json()
            self.server.requests.append(body)  # type: ignore[attr-defined]
            messages = [m for m in body.get("messages", []) if m.get("role") == "user"]
            texts = [part.get("text", "") for m in messages for part in m["content"]]
            seen = [t.removeprefix("Observation:\n") for t in texts if t.startswith("Observation:")]
            if seen:
                self.send_json(200, tool_call_reply("final_answer", {"answer": f"The weather: {seen[-1]}"}, "call_2"))
            else:
                self.send_json(200, tool_call_reply("get_weather", {"city": "Paris"}, "call_1"))

    tmp = tmp_path_factory.mktemp("smol")
    server = ScriptedServer()
    server.RequestHandlerClass = SmolEcho
    with serving(server), pytest.MonkeyPatch.context() as mp:
        mp.setenv("MOCK_OPENAI_URL", server.base_url)
        mp.setenv("TOOL_CALLS_FILE", str(tmp / "calls.txt"))
        yield Recorded(record(tmp / "store", SMOL_PROGRAM), server.requests, tmp / "calls.txt")


def test_smolagents_replays_exactly(smol_recorded: Recorded) -> None:
    _check_exact(smol_recorded, SMOL_PROGRAM, served=4)  # two model calls, get_weather and final_answer


def test_smolagents_tool_override_changes_the_answer(smol_recorded: Recorded) -> None:
    _check_override(smol_recorded, SMOL_PROGRAM, "get_weather", "snowing in Paris")


def test_smolagents_unrecorded_tool_call_diverges(smol_recorded: Recorded) -> None:
    missing = _without(smol_recorded.trace, _tool_span(smol_recorded.trace, "get_weather"))
    _check_unrecorded(smol_recorded, SMOL_PROGRAM, missing, "span execute_tool get_weather (#1): expected no such call")


def test_smolagents_verify_confirms_the_faulty_tool(smol_recorded: Recorded, tmp_path: Path) -> None:
    """``rca --verify``'s verification on a run whose tool answered 100x too hot: replacing that tool span's output
    by the passing run's makes the run pass (confirmed); the rest of the corrected run is served from the passing
    run, with no request and no tool body run."""
    failing = record(tmp_path / "store", SMOL_PROGRAM, {"WEATHER_FAULT": "1"})
    passing = smol_recorded.trace
    report = analyze(failing, baseline=baseline_profile([passing]))
    before, runs = len(smol_recorded.requests), smol_recorded.tool_runs()
    result = verify(report, failing, str(SMOL_PROGRAM), baseline=[passing])
    assert result.control.reproduced, result.control
    verdicts = {v.name: v for v in result.verdicts}
    tool = verdicts.pop("execute_tool get_weather")
    assert (tool.verdict, tool.value, tool.replay_status, tool.live) == (
        "confirmed",
        "sunny in Paris, 21 C",
        "passed",
        0,
    )
    assert all(v.verdict != "confirmed" for v in verdicts.values()), verdicts
    assert (len(smol_recorded.requests), smol_recorded.tool_runs()) == (before, runs)

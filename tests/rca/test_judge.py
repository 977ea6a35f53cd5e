"""The optional LLM judge: what it is sent (bounded, only the top-k), how its verdict is merged, how it fails.

The OpenAI-compatible judge talks to a local stdlib mock server started by the tests; never the network.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from otel_agent_trace.model import Span, Trace, group_traces, spans_from_otlp
from otel_agent_trace.rca import analyze
from otel_agent_trace.rca.blame import BlameResult
from otel_agent_trace.rca.corpus import generate_run
from otel_agent_trace.rca.judge import (
    JUDGE_API_KEY_ENV,
    Judge,
    JudgeError,
    JudgeRequest,
    JudgeVerdict,
    OpenAIJudge,
    build_request,
    judge_blame,
    merge_verdict,
    parse_verdict,
)
from tests.instrumentation._servers import JSONHandler, serving


class ChatServer(JSONHandler):
    """An OpenAI-compatible chat endpoint answering with ``reply`` (a chat completion's message content)."""

    requests: ClassVar[list[dict[str, Any]]] = []
    headers_seen: ClassVar[list[dict[str, str]]] = []
    reply: ClassVar[Any] = '{"ranking": ["C2", "C1"], "rationale": "the rate it returned was wrong"}'
    status: ClassVar[int] = 200
    delay: ClassVar[float] = 0.0

    def do_POST(self) -> None:
        type(self).requests.append({"path": self.path, "body": self.read_json()})
        type(self).headers_seen.append(dict(self.headers))
        if self.delay:
            time.sleep(self.delay)
        if self.status != 200:
            self.send_json(self.status, {"error": {"message": "boom"}})
            return
        if isinstance(self.reply, str):
            self.send_json(200, {"choices": [{"message": {"role": "assistant", "content": self.reply}}]})
        else:
            self.send_json(200, self.reply)


@pytest.fixture
def chat() -> Iterator[tuple[type[ChatServer], str]]:
    class Handler(ChatServer):
        requests: ClassVar[list[dict[str, Any]]] = []
        headers_seen: ClassVar[list[dict[str, str]]] = []

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with serving(server):
        yield Handler, f"http://127.0.0.1:{server.server_address[1]}/v1"


def _trace(category: str = "wrong_tool_output", seed: int = 3) -> Trace:
    run = generate_run(category, seed=seed)
    (trace,) = group_traces(spans_from_otlp(run.document))
    return trace


def _blamed(trace: Trace) -> BlameResult:
    blamed = analyze(trace).blame
    assert len(blamed.steps) >= 4, "the scenario needs more candidates than the judge sees"
    return blamed


def test_openai_judge_sends_only_the_top_k_bounded(chat, monkeypatch) -> None:
    handler, base_url = chat
    monkeypatch.setenv(JUDGE_API_KEY_ENV, "sk-judge-test")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-not-this-one")
    trace = _trace()
    blamed = _blamed(trace)
    merged, outcome = judge_blame(trace, blamed, OpenAIJudge("judge-model", base_url=base_url), top_k=3)

    [sent] = handler.requests
    assert sent["path"] == "/v1/chat/completions"
    assert sent["body"]["model"] == "judge-model"
    assert sent["body"]["temperature"] == 0
    assert handler.headers_seen[0]["Authorization"] == "Bearer sk-judge-test"
    prompt = sent["body"]["messages"][1]["content"]
    shown = [s.span_id for s in blamed.steps[:3]]
    hidden = [s.span_id for s in blamed.steps[3:]]
    assert all(f"span_id={i}" in prompt for i in shown)
    assert not any(f"span_id={i}" in prompt for i in hidden)
    assert outcome.used and outcome.model == "judge-model"
    assert outcome.ranking == (shown[1], shown[0])
    assert merged.steps[0].span_id == shown[1]


def test_the_key_falls_back_to_openai_api_key(chat, monkeypatch) -> None:
    handler, base_url = chat
    monkeypatch.delenv(JUDGE_API_KEY_ENV, raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fallback")
    trace = _trace()
    judge_blame(trace, _blamed(trace), OpenAIJudge("m", base_url=base_url))
    assert handler.headers_seen[0]["Authorization"] == "Bearer sk-fallback"


def _huge_trace() -> Trace:
    """Four failing-ish spans carrying a megabyte of input and output each."""
    blob = "lorem ipsum " * 90_000
    spans = [Span("t" * 32, "r" * 16, None, "invoke_agent big", 0, 100, attributes={"gen_ai.agent.name": "big"})]
    for i in range(4):
        attributes = {"agent_trace.step.input": blob, "agent_trace.step.output": blob, "agent_trace.step.index": i}
        spans.append(Span("t" * 32, f"{i:016x}", "r" * 16, f"step s{i}", 10 * i, 10 * i + 5, attributes=attributes))
    return Trace("t" * 32, tuple(spans))


def test_the_prompt_stays_within_its_character_budget() -> None:
    trace = _huge_trace()
    from otel_agent_trace.rca.blame import StepBlame

    steps = tuple(StepBlame(f"{i:016x}", f"step s{i}", "step", "big", None, 0.25) for i in range(4))
    blamed = BlameResult(trace.trace_id, "3" * 16, steps, {}, {"big": 1.0})
    for budget in (2_000, 12_000):
        request = build_request(trace, blamed, top_k=3, max_chars=budget, reason="x" * 100_000)
        assert len(request.prompt()) <= budget
        assert len(request.candidates) == 3


def _check_distribution(blamed: BlameResult) -> None:
    assert math.isclose(sum(s.score for s in blamed.steps), 1.0, abs_tol=1e-9)
    assert math.isclose(sum(blamed.agents.values()), 1.0, abs_tol=1e-9)
    if blamed.tools:
        assert math.isclose(sum(blamed.tools.values()), 1.0, abs_tol=1e-9)
    assert [s.score for s in blamed.steps] == sorted((s.score for s in blamed.steps), reverse=True)


def test_merge_keeps_distributions_marks_evidence_and_leaves_the_rest() -> None:
    trace = _trace()
    blamed = _blamed(trace)
    request = build_request(trace, blamed, top_k=3)
    before = [(s.span_id, s.score) for s in blamed.steps]
    merged = merge_verdict(blamed, request, JudgeVerdict(("C3",), "the third one", "m"), weight=0.7)

    assert [(s.span_id, s.score) for s in blamed.steps] == before  # pure
    _check_distribution(merged)
    third = blamed.steps[2].span_id
    assert merged.steps[0].span_id == third
    judged = [e for e in merged.steps[0].evidence if e.kind == "judge"]
    assert len(judged) == 1 and "ranked it #1 of 3" in judged[0].detail and "the third one" in judged[0].detail
    outside = {s.span_id: s.score for s in blamed.steps[3:]}
    assert {s.span_id: s.score for s in merged.steps if s.span_id in outside} == outside
    assert all(not any(e.kind == "judge" for e in s.evidence) for s in merged.steps if s.span_id != third)


def test_weight_zero_changes_nothing_but_the_evidence() -> None:
    trace = _trace()
    blamed = _blamed(trace)
    request = build_request(trace, blamed)
    merged = merge_verdict(blamed, request, JudgeVerdict(("C2",), ""), weight=0.0)
    assert [s.score for s in merged.steps] == pytest.approx([s.score for s in blamed.steps])


@pytest.mark.parametrize(
    "reply",
    [
        "I think it is the second one.",
        '{"ranking": "C2"}',
        "{not json}",
        '{"ranking": ["C9", "nonsense"], "rationale": "?"}',
        {"unexpected": "shape"},
        {"choices": [{"message": {"content": None}}]},
    ],
)
def test_malformed_replies_leave_the_blame_alone_with_a_note(chat, reply) -> None:
    handler, base_url = chat
    handler.reply = reply
    trace = _trace()
    blamed = _blamed(trace)
    merged, outcome = judge_blame(trace, blamed, OpenAIJudge("m", base_url=base_url, api_key="k"))
    assert merged is blamed
    assert not outcome.used and outcome.note


def test_http_errors_timeouts_and_no_server_leave_a_note(chat) -> None:
    handler, base_url = chat
    trace = _trace()
    blamed = _blamed(trace)
    handler.status = 500
    _, outcome = judge_blame(trace, blamed, OpenAIJudge("m", base_url=base_url))
    assert "HTTP 500" in outcome.note
    handler.status, handler.delay = 200, 1.0
    started = time.monotonic()
    _, outcome = judge_blame(trace, blamed, OpenAIJudge("m", base_url=base_url, timeout=0.2))
    assert time.monotonic() - started < 0.9
    assert not outcome.used and "cannot reach" in outcome.note
    _, outcome = judge_blame(trace, blamed, OpenAIJudge("m", base_url="http://127.0.0.1:9/v1", timeout=1))
    assert not outcome.used and "cannot reach" in outcome.note


class _Raising:
    model = "broken"

    def judge(self, request: JudgeRequest) -> JudgeVerdict:
        raise RuntimeError("plug-in bug")


class _Scripted:
    model = "scripted"

    def __init__(self) -> None:
        self.seen: list[JudgeRequest] = []
        self.lock = threading.Lock()

    def judge(self, request: JudgeRequest) -> JudgeVerdict:
        self.seen.append(request)
        return JudgeVerdict((request.candidates[-1].label,), "last", self.model)


def test_any_judge_plugs_in_and_a_broken_one_never_crashes() -> None:
    trace = _trace()
    blamed = _blamed(trace)
    assert isinstance(_Scripted(), Judge)
    merged, outcome = judge_blame(trace, blamed, _Raising())
    assert merged is blamed and "plug-in bug" in outcome.note
    scripted = _Scripted()
    merged, outcome = judge_blame(trace, blamed, scripted, top_k=2)
    assert len(scripted.seen[0].candidates) == 2
    assert outcome.used and merged.steps[0].span_id == blamed.steps[1].span_id
    _check_distribution(merged)


def test_parse_verdict_reads_fenced_json() -> None:
    verdict = parse_verdict('Here:\n```json\n{"ranking": [" C1 "], "rationale": "r"}\n```', "m")
    assert verdict == JudgeVerdict(("C1",), "r", "m")
    with pytest.raises(JudgeError):
        parse_verdict("[]")


def test_request_json_is_what_the_prompt_says(chat) -> None:
    handler, base_url = chat
    trace = _trace()
    blamed = _blamed(trace)
    request = build_request(trace, blamed, top_k=3)
    OpenAIJudge("m", base_url=base_url).judge(request)
    sent = handler.requests[0]["body"]["messages"]
    assert sent[1]["content"] == request.prompt()
    assert "JSON" in sent[0]["content"]
    assert json.dumps(sent)  # plain JSON on the wire

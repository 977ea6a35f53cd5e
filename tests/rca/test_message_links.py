"""Exact links by message id (``rca/message_links.py``): what a step received, traced to who wrote it."""

from __future__ import annotations

import json

from otel_agent_trace.model import Span, Trace
from otel_agent_trace.rca.context import build_context
from otel_agent_trace.rca.message_links import message_ids, message_sources
from otel_agent_trace.rca.view import TraceView

TRACE = "ef" * 16
S = 10**9


def _step(n: int, name: str, start: int, *, given: object = None, said: object = None) -> Span:
    attrs: dict[str, object] = {"agent_trace.step.action_type": "message", "gen_ai.agent.name": name}
    if given is not None:
        attrs["agent_trace.step.input"] = json.dumps(given)
    if said is not None:
        attrs["agent_trace.step.output"] = json.dumps(said)
    return Span(TRACE, f"{n:016x}", f"{1:016x}", f"step {name}", start * S, (start + 1) * S, attributes=attrs)


def _graph_run() -> Trace:
    """A LangGraph-like run: each node gets the state's messages (with ids) and returns its new message."""
    human = {"id": "msg-human-1", "type": "human", "content": "How much is 160 EUR in USD?"}
    tool = {"id": "msg-tool-77", "type": "tool", "content": "0.0108"}
    ai = {"id": "msg-ai-90", "type": "ai", "content": "It is 1.73 USD."}
    root = Span(TRACE, f"{1:016x}", None, "invoke_agent graph", 0, 10 * S, attributes={"agent_trace.step.input": "go"})
    return Trace(
        TRACE,
        (
            root,
            _step(2, "agent", 1, given={"messages": [human]}, said={"messages": [{"id": "msg-ai-1", "type": "ai",
                  "content": "", "tool_calls": [{"name": "rate"}]}]}),
            _step(3, "tools", 3, given={"messages": [human]}, said={"messages": [tool]}),
            _step(4, "agent", 5, given={"messages": [human, tool]}, said={"messages": [ai]}),
        ),
    )  # fmt: skip


def test_message_ids_are_found_in_nested_and_encoded_payloads() -> None:
    payload = {"state": json.dumps({"messages": [{"id": "abc-123", "role": "user", "content": "hi"}]})}
    assert message_ids(payload) == ["abc-123"]
    assert message_ids({"id": "abc-123"}) == []  # an id alone is no message
    assert message_ids([{"id": "x", "content": "short id"}]) == []
    assert message_ids("plain text") == []


def test_a_received_message_links_to_the_span_that_first_wrote_it() -> None:
    view = TraceView(_graph_run())
    sources = message_sources(view)
    # the second agent turn received the human message (given, nobody wrote it in the run) and the tool's message
    assert sources[f"{4:016x}"] == [(f"{3:016x}", 0.5)]
    assert f"{3:016x}" not in sources  # the tools node received only the human message


def test_exact_links_reach_provenance_where_text_overlap_cannot() -> None:
    ctx = build_context(_graph_run())
    # "0.0108" shares no three-word shingle with anything: only the message id ties it to the tools node
    assert (f"{3:016x}", 0.5) in ctx.provenance.fed[f"{4:016x}"]
    assert f"{3:016x}" in ctx.provenance.upstream(f"{4:016x}")


def test_no_ids_no_work() -> None:
    trace = Trace(TRACE, (_step(2, "a", 1, given="hello there", said="general kenobi"),))
    assert message_sources(TraceView(trace)) == {}

"""An AG2 Network (the README's two-agent ``conversation`` quick-start) against the mock."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_agent_trace.instrumentation.ag2 import _middleware, _network

from ._run import conversation, named, parent_of
from .mock_server import MockChat, text_reply


def test_channel_is_a_workflow_and_each_handled_message_a_step(
    instrumented: MockChat, exporter: InMemorySpanExporter
) -> None:
    instrumented.reset(*(text_reply(f"reply {i}") for i in range(8)))
    texts = asyncio.run(conversation(instrumented, ("planner", "reviewer"), "What first?", 4))
    assert len(texts) >= 4
    spans = exporter.get_finished_spans()
    (workflow,) = named(spans, "invoke_workflow")
    assert workflow.name == "invoke_workflow conversation"
    assert workflow.attributes["agent_trace.termination.condition"] == "closed"
    assert workflow.attributes["gen_ai.conversation.id"] == texts[0].channel_id
    turns = [s for s in named(spans, "step ") if parent_of(spans, s) is workflow]
    assert len(turns) >= 3
    # the reviewer answered the planner's opening message, then they alternate
    by_id = {e.envelope_id: e for e in texts}
    first = turns[0]
    assert first.attributes["gen_ai.agent.name"] == "reviewer"
    assert first.attributes["agent_trace.step.reply_to"] == texts[0].envelope_id
    assert first.attributes["agent_trace.message.answered_author"] == "planner"
    assert first.attributes["agent_trace.message.answered_recipients"] == ("reviewer",)
    for turn in turns:
        answered = by_id[str(turn.attributes["agent_trace.step.reply_to"])]
        assert turn.attributes["agent_trace.message.answered_author"] != turn.attributes["gen_ai.agent.name"]
        assert turn.attributes.get("agent_trace.message.causation_id") == answered.causation_id
        (run,) = [s for s in named(spans, "invoke_agent") if parent_of(spans, s) is turn]
        assert run.attributes["gen_ai.agent.name"] == turn.attributes["gen_ai.agent.name"]
    # each reply the hub logged names the message it answered: our steps point at the same ones
    answered_ids = [t.attributes["agent_trace.step.reply_to"] for t in turns]
    assert answered_ids[:3] == [texts[0].envelope_id, texts[1].envelope_id, texts[2].envelope_id]
    assert [t.attributes["agent_trace.step.index"] for t in turns] == list(range(len(turns)))
    assert {s.context.trace_id for s in spans if s.name != "chat"} == {workflow.context.trace_id}


class _Hostile:
    """An object whose every attribute access raises."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"hostile {name}")


@pytest.mark.parametrize("value", [None, 42, object(), "x" * 10, [1, 2]], ids=["none", "int", "object", "str", "list"])
def test_hostile_inputs_never_raise(value: Any) -> None:
    assert isinstance(_middleware.agent_name(value), str)
    assert isinstance(_middleware.result_text(value), str)
    assert _middleware.reply_text(value) is None or isinstance(_middleware.reply_text(value), str)
    assert isinstance(_network._name_for(value, value), str)


def test_hostile_envelope_and_client_call_through(instrumented: MockChat, provider: Any) -> None:
    """Our turn wrapper on garbage arguments: the wrapped handler still runs with them, unchanged."""
    from opentelemetry import trace

    config = _middleware.Config(trace.get_tracer("t", tracer_provider=provider), lambda: True)
    wrapper = _network.TurnWrapper(_network.Channels(config))
    seen: list[Any] = []

    async def handler(*args: Any) -> str:
        seen.append(args)
        return "handled"

    hostile = _Hostile()
    assert asyncio.run(wrapper(handler, None, (hostile, hostile), {})) == "handled"
    assert seen == [(hostile, hostile)]

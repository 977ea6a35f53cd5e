"""Network ``discussion``, ``workflow`` and ``consulting`` channels against the mock: who speaks next is a decision."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ._channels import Run, run_channel
from ._run import named, parent_of, to_trace
from .mock_server import MockChat, text_reply, tool_reply


def _tree(spans: Sequence[ReadableSpan]) -> tuple[ReadableSpan, list[ReadableSpan], list[ReadableSpan]]:
    """The channel's workflow span, its decisions and its steps (in start order)."""
    (workflow,) = named(spans, "invoke_workflow")
    children = [s for s in spans if parent_of(spans, s) is workflow]
    decisions = named(children, "decision speaker_selection")
    steps = named(children, "step ")
    assert len(decisions) + len(steps) == len(children)
    return workflow, decisions, steps


def _check_steps(spans: Sequence[ReadableSpan], decisions: list[ReadableSpan], steps: list[ReadableSpan]) -> None:
    """Every step ran its agent (no empty step of a skipped turn); steps and decisions share one index."""
    for step in steps:
        (run,) = [s for s in named(spans, "invoke_agent") if parent_of(spans, s) is step]
        assert run.attributes["gen_ai.agent.name"] == step.attributes["gen_ai.agent.name"]
    indexes = sorted(int(s.attributes["agent_trace.step.index"]) for s in (*decisions, *steps))
    assert indexes == list(range(len(decisions) + len(steps)))


def _chosen_then_spoke(run: Run, decisions: list[ReadableSpan], steps: list[ReadableSpan]) -> None:
    """Each decision follows one logged message, and the speaker it chose wrote the next one, answering it."""
    by_id = {e.envelope_id: e for e in run.envelopes}
    for decision in decisions:
        envelope = by_id[str(decision.attributes["agent_trace.step.reply_to"])]
        assert decision.attributes["agent_trace.message.answered_author"] == run.names[envelope.sender_id]
        position = run.envelopes.index(envelope)
        if position + 1 < len(run.envelopes):
            following = run.envelopes[position + 1]
            assert decision.attributes["agent_trace.decision.chosen"] == run.names[following.sender_id]
            (step,) = [s for s in steps if s.attributes["agent_trace.step.reply_to"] == envelope.envelope_id]
            assert step.attributes["gen_ai.agent.name"] == decision.attributes["agent_trace.decision.chosen"]


def test_discussion_round_robin_is_a_decision_per_message(
    instrumented: MockChat, exporter: InMemorySpanExporter
) -> None:
    instrumented.reset(*(text_reply(f"point {i}") for i in range(12)))
    run = asyncio.run(run_channel(instrumented, ("chair", "analyst", "critic"), "discussion", "Agenda?", 5))
    assert len(run.envelopes) >= 5
    spans = exporter.get_finished_spans()
    workflow, decisions, steps = _tree(spans)
    assert workflow.name == "invoke_workflow discussion"
    assert len(decisions) >= 5
    for decision in decisions:
        assert decision.attributes["agent_trace.decision.name"] == "speaker_selection"
        assert decision.attributes["agent_trace.step.action_type"] == "decision"
        assert decision.attributes["agent_trace.decision.condition"] == "round_robin"
        assert decision.attributes["agent_trace.decision.options"] == ("chair", "analyst", "critic")
        assert decision.attributes["agent_trace.run.id"] == workflow.attributes["agent_trace.run.id"]
        assert "agent_trace.decision.rationale" not in decision.attributes
    chosen = [d.attributes["agent_trace.decision.chosen"] for d in decisions[:5]]
    assert chosen == ["analyst", "critic", "chair", "analyst", "critic"]
    # each message reaches the two others; only the expected one answers: one step per answer, none for the skip
    assert len(steps) >= 4
    assert len(steps) <= len(run.envelopes)
    _check_steps(spans, decisions, steps)
    _chosen_then_spoke(run, decisions, steps)


def _graph(ids: dict[str, str], **extra: Any) -> dict[str, Any]:
    from ag2.network import AgentTarget, FromSpeaker, TerminateTarget, Transition, TransitionGraph

    graph = TransitionGraph(
        initial_speaker=ids["writer"],
        transitions=[Transition(when=FromSpeaker(ids["writer"]), then=AgentTarget(ids["editor"]))],
        default_target=TerminateTarget(reason="edited"),
        **extra,
    )
    return {"graph": graph.to_dict()}


def test_workflow_transition_graph_choices_and_termination(
    instrumented: MockChat, exporter: InMemorySpanExporter
) -> None:
    instrumented.reset(*(text_reply(f"draft {i}") for i in range(6)))
    run = asyncio.run(run_channel(instrumented, ("writer", "editor"), "workflow", "Write it.", 10, _graph))
    assert (run.state, run.close_reason) == ("closed", "edited")
    assert [run.names[e.sender_id] for e in run.envelopes] == ["writer", "editor"]
    spans = exporter.get_finished_spans()
    workflow, decisions, steps = _tree(spans)
    assert workflow.name == "invoke_workflow workflow"
    assert workflow.attributes["agent_trace.termination.condition"] == "closed"
    assert workflow.attributes["agent_trace.termination.reason"] == "edited"
    first, last = decisions
    assert first.attributes["agent_trace.decision.options"] == ("writer", "editor", "terminate")
    assert first.attributes["agent_trace.decision.chosen"] == "editor"
    rule = "from_speaker(agent_id=writer) -> agent(agent_id=editor)"
    assert first.attributes["agent_trace.decision.condition"] == rule
    assert last.attributes["agent_trace.decision.chosen"] == "terminate"
    assert last.attributes["agent_trace.decision.condition"] == "default -> terminate(reason=edited)"
    assert last.attributes["agent_trace.termination.reason"] == "edited"
    assert last.attributes["agent_trace.message.answered_author"] == "editor"
    (step,) = steps
    assert step.attributes["gen_ai.agent.name"] == "editor"
    _check_steps(spans, decisions, steps)
    _chosen_then_spoke(run, decisions, steps)


def test_workflow_max_turns_ends_it(instrumented: MockChat, exporter: InMemorySpanExporter) -> None:
    from ag2.network import RoundRobinTarget, TransitionGraph

    def knobs(ids: dict[str, str]) -> dict[str, Any]:
        graph = TransitionGraph(initial_speaker=ids["writer"], default_target=RoundRobinTarget(), max_turns=3)
        return {"graph": graph.to_dict()}

    instrumented.reset(*(text_reply(f"turn {i}") for i in range(6)))
    run = asyncio.run(run_channel(instrumented, ("writer", "editor"), "workflow", "Go.", 10, knobs))
    assert (run.state, run.close_reason) == ("closed", "max_turns")
    spans = exporter.get_finished_spans()
    workflow, decisions, steps = _tree(spans)
    assert workflow.attributes["agent_trace.termination.reason"] == "max_turns"
    assert [d.attributes["agent_trace.decision.chosen"] for d in decisions] == ["editor", "writer", "terminate"]
    assert decisions[0].attributes["agent_trace.decision.condition"] == "default -> round_robin"
    assert decisions[-1].attributes["agent_trace.decision.condition"] == "max_turns"
    assert [s.attributes["gen_ai.agent.name"] for s in steps] == ["editor", "writer"]
    _check_steps(spans, decisions, steps)


def test_consulting_one_question_one_answer(instrumented: MockChat, exporter: InMemorySpanExporter) -> None:
    instrumented.reset(text_reply("The answer."))
    run = asyncio.run(run_channel(instrumented, ("asker", "expert"), "consulting", "A question?", 2))
    assert (run.state, run.close_reason) == ("closed", "consulting_complete")
    spans = exporter.get_finished_spans()
    workflow, decisions, steps = _tree(spans)
    assert workflow.attributes["agent_trace.termination.reason"] == "consulting_complete"
    (decision,) = decisions  # the answer completes the exchange: nobody is chosen after it
    assert decision.attributes["agent_trace.decision.condition"] == "initiator_then_respondent"
    assert decision.attributes["agent_trace.decision.options"] == ("asker", "expert")
    assert decision.attributes["agent_trace.decision.chosen"] == "expert"
    (step,) = steps
    assert step.attributes["gen_ai.agent.name"] == "expert"
    _check_steps(spans, decisions, steps)
    _chosen_then_spoke(run, decisions, steps)


def _handoff_graph(ids: dict[str, str]) -> dict[str, Any]:
    from ag2.network import AgentTarget, FromSpeaker, TerminateTarget, Transition, TransitionGraph

    graph = TransitionGraph(
        initial_speaker=ids["customer"],
        transitions=[Transition(when=FromSpeaker(ids["customer"]), then=AgentTarget(ids["router"]))],
        default_target=TerminateTarget(reason="resolved"),
    )
    return {"graph": graph.to_dict()}


def _handoff_run(chat: MockChat) -> Run:
    from ag2 import tool
    from ag2.network import Handoff

    @tool
    def route(reason: str) -> Handoff:
        """Send the customer to billing."""
        return Handoff(target="billing", reason=reason)

    chat.reset(
        tool_reply(("route", {"reason": "a payment question"})), text_reply("Billing will help."), text_reply("Paid.")
    )
    names = ("customer", "router", "billing")
    return asyncio.run(run_channel(chat, names, "workflow", "My card fails.", 10, _handoff_graph, {"router": [route]}))


@pytest.mark.parametrize("instrumented", [True, False], ids=["content", "no-content"], indirect=True)
def test_workflow_handoff_tool_picks_the_speaker(
    instrumented: MockChat, exporter: InMemorySpanExporter, request: pytest.FixtureRequest
) -> None:
    run = _handoff_run(instrumented)
    assert (run.state, run.close_reason) == ("closed", "resolved")
    assert [run.names[e.sender_id] for e in run.envelopes] == ["customer", "router", "billing"]
    spans = exporter.get_finished_spans()
    _, decisions, steps = _tree(spans)
    assert [d.attributes["agent_trace.decision.chosen"] for d in decisions] == ["router", "billing", "terminate"]
    handoff = decisions[1]
    assert handoff.attributes["agent_trace.decision.condition"] == "handoff via route"
    assert handoff.attributes["agent_trace.message.answered_author"] == "router"
    if request.node.callspec.id == "content":
        assert handoff.attributes["agent_trace.decision.rationale"] == "a payment question"
    else:
        assert "agent_trace.decision.rationale" not in handoff.attributes
    assert [s.attributes["gen_ai.agent.name"] for s in steps] == ["router", "billing"]
    _check_steps(spans, decisions, steps)
    _chosen_then_spoke(run, decisions, steps)
    # the RCA reads them as decisions of the run
    from opentelemetry.trace import format_span_id

    from otel_agent_trace.rca.view import TraceView

    view = TraceView(to_trace(spans))
    span_id = format_span_id(handoff.context.span_id)
    assert view.kind[span_id] == "decision"
    assert view.decision(span_id) == {
        "name": "speaker_selection",
        "options": ["customer", "router", "billing", "terminate"],
        "chosen": "billing",
        "confidence": None,
    }


def test_uninstrument_restores_the_hub_and_adapters(instrumented: MockChat, exporter: InMemorySpanExporter) -> None:
    import wrapt
    from ag2.network.adapters.consulting import ConsultingAdapter
    from ag2.network.adapters.discussion import DiscussionAdapter
    from ag2.network.adapters.workflow import WorkflowAdapter
    from ag2.network.hub.core import Hub

    from otel_agent_trace.instrumentation.ag2 import AG2Instrumentor

    owners = [(c, "on_accepted") for c in (DiscussionAdapter, WorkflowAdapter, ConsultingAdapter)]
    owners.append((Hub, "_post_envelope_impl"))
    assert all(isinstance(vars(cls)[name], wrapt.FunctionWrapper) for cls, name in owners)
    AG2Instrumentor().uninstrument()
    assert not any(isinstance(vars(cls)[name], wrapt.FunctionWrapper) for cls, name in owners)
    instrumented.reset(*(text_reply(f"point {i}") for i in range(6)))
    run = asyncio.run(run_channel(instrumented, ("chair", "critic"), "discussion", "Agenda?", 3))
    assert len(run.envelopes) >= 3
    spans = exporter.get_finished_spans()
    assert spans  # the openai instrumentor is still on
    assert [s.name for s in spans if not s.name.startswith("chat ")] == []


class _Hostile:
    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"hostile {name}")


@pytest.mark.parametrize("value", [None, 42, "x", _Hostile()], ids=["none", "int", "str", "hostile"])
def test_selection_wrappers_call_through_on_garbage(value: Any, provider: Any) -> None:
    """Our on_accepted and hub wrappers on garbage: the wrapped call's result comes back unchanged, nothing raises."""
    from opentelemetry import trace

    from otel_agent_trace.instrumentation.ag2 import _middleware, _network, _selection

    config = _middleware.Config(trace.get_tracer("t", tracer_provider=provider), lambda: True)
    accepted = _selection.AcceptedWrapper(_network.Channels(config))
    marker = object()
    assert accepted(lambda *a, **k: marker, value, (value, value, value), {}) is marker

    async def post(*args: Any) -> Any:
        return marker

    assert asyncio.run(_selection.PostWrapper()(post, value, (value,), {})) is marker

"""The RCA on a recorded failing AG2 Classic group chat: a tool gives a wrong value, later agents relay it.

The researcher asks for ``lookup``; the user proxy executes it (AG2 routes a tool call to its executor) and the tool
answers a wrong boiling point; the researcher states it and the writer puts it in the report. The blame must land
on the step where the wrong value entered the chat (the tool's), not on the report where the symptom surfaced.
"""

from __future__ import annotations

from typing import Any

import autogen
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_agent_trace.rca import analyze
from otel_agent_trace.rca.message_links import message_sources
from otel_agent_trace.rca.view import TraceView
from tests.ag2_classic_env._agents import llm_config, ours, to_trace
from tests.autogen_env._mock_llm import Answer, Call, MockLLMServer

pytestmark = [pytest.mark.usefixtures("instrumented"), pytest.mark.filterwarnings("ignore::UserWarning")]

WRONG = "Water boils at 50 degrees Celsius at sea level."
RIGHT = "Water boils at 100 degrees Celsius at sea level."


def _run(llm: MockLLMServer, tool_value: str, writer_value: str) -> None:
    def lookup(topic: str) -> str:
        """Look a fact up."""
        return tool_value

    llm.script = {
        "researcher": [Call("lookup", {"topic": "boiling point"}), Answer(f"Fact found: {tool_value}")],
        "writer": [Answer(f"Final report: {writer_value} TERMINATE")],
    }
    user = autogen.UserProxyAgent("user_proxy", human_input_mode="NEVER", code_execution_config=False)
    researcher = autogen.AssistantAgent(
        "researcher", llm_config=llm_config(llm), system_message="[agent:researcher] R."
    )
    writer = autogen.AssistantAgent("writer", llm_config=llm_config(llm), system_message="[agent:writer] W.")
    autogen.register_function(lookup, caller=researcher, executor=user, name="lookup", description="Facts")
    order = iter(["researcher", "user_proxy", "researcher", "writer"])

    def pick(last: Any, chat: Any) -> Any:
        return chat.agent_by_name(next(order))

    chat = autogen.GroupChat([user, researcher, writer], messages=[], max_round=8, speaker_selection_method=pick)
    manager = autogen.GroupChatManager(
        chat, llm_config=llm_config(llm), is_termination_msg=lambda m: "TERMINATE" in str(m.get("content") or "")
    )
    user.initiate_chat(manager, message="At what temperature does water boil at sea level? Write a one-line report.")


@pytest.mark.parametrize("capture", [True, False], ids=["capture", "no-capture"], indirect=True)
def test_message_links_tie_each_turn_to_the_turn_that_wrote_its_messages(
    llm: MockLLMServer, exporter: InMemorySpanExporter, capture: bool
) -> None:
    _run(llm, WRONG, WRONG)
    spans = exporter.get_finished_spans()
    recorded = str([dict(s.attributes or {}) for s in spans])
    assert (WRONG in recorded) is capture  # content only with capture; the ids link either way
    steps = {s.name + str(i): f"{s.context.span_id:016x}" for i, s in enumerate(ours(spans, "step "))}
    assert list(steps) == ["step researcher0", "step user_proxy1", "step researcher2", "step writer3"]
    sources = message_sources(TraceView(to_trace(spans)))
    writers = {step: {w for w, _ in sources.get(span_id, [])} for step, span_id in steps.items()}
    # each turn's input holds the messages the earlier turns wrote (the user's task is no step's)
    # (the researcher's tool call, id ``call_researcher_0``, also links back to the LLM span that wrote it)
    step_ids = set(steps.values())
    assert writers["step writer3"] & step_ids == {
        steps[k] for k in ("step researcher0", "step researcher2", "step user_proxy1")
    }
    assert writers["step researcher2"] & step_ids == {steps["step researcher0"], steps["step user_proxy1"]}
    assert writers["step user_proxy1"] & step_ids == {steps["step researcher0"]}


@pytest.mark.parametrize(
    ("tool_value", "writer_value", "culprit"),
    [(WRONG, WRONG, "user_proxy"), (RIGHT, WRONG, "writer")],
    ids=["tool-gave-it-others-relayed", "writer-got-it-wrong-itself"],
)
def test_blame_lands_where_the_wrong_value_entered(
    llm: MockLLMServer, exporter: InMemorySpanExporter, tool_value: str, writer_value: str, culprit: str
) -> None:
    _run(llm, tool_value, writer_value)
    trace = to_trace(exporter.get_finished_spans())
    report = analyze(trace, failed=True, expected=RIGHT, reason="the boiling point in the report is wrong")
    assert report.root_cause is not None, report.to_dict()["candidates"]
    assert report.root_cause.agent == culprit, report.to_dict()["candidates"]

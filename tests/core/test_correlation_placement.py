"""Where correlation ids go: our session id on every span, ``gen_ai.conversation.id`` on GenAI operations only.

Jaeger's UI opens its GenAI tab on any span carrying a ``gen_ai.*`` conversation id; the convention puts the id on
GenAI operation spans (inference, invoke_agent, execute_tool...), so steps, decisions and plain spans go without.
"""

from __future__ import annotations

from otel_agent_trace import agent_run, agent_session, agent_step, decision, tool_call
from otel_agent_trace._internal.tracing import get_tracer
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import gen_ai as G

from .conftest import Recorder


def test_conversation_id_only_on_genai_operations(recorder: Recorder) -> None:
    @tool_call("lookup")
    def lookup(city: str) -> str:
        return city.upper()

    with agent_session("sess-42", user_id="u-1"), agent_run("planner"):
        with agent_step("plan", action_type="reasoning"):
            lookup("oslo")
        with decision("route", options=["a", "b"]) as d:
            d.choose("a")
        with get_tracer().start_as_current_span("chat gpt-test", attributes={}):
            pass
        with get_tracer().start_as_current_span("db query"):
            pass
    spans = {s.name: dict(s.attributes or {}) for s in recorder.spans()}
    assert all(attrs.get(A.SESSION_ID) == "sess-42" for attrs in spans.values()), spans
    with_conversation = sorted(n for n, attrs in spans.items() if G.GEN_AI_CONVERSATION_ID in attrs)
    assert with_conversation == ["chat gpt-test", "execute_tool lookup", "invoke_agent planner"], spans
    assert spans["invoke_agent planner"][G.GEN_AI_CONVERSATION_ID] == "sess-42"

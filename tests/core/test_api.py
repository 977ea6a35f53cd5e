from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from opentelemetry.trace import StatusCode

from otel_agent_trace import (
    agent_run,
    agent_session,
    agent_step,
    decision,
    propagate_context,
    record_error,
    snapshot_state,
    step,
    tool_call,
)
from otel_agent_trace.instrumentation.threading import ThreadingInstrumentor
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import decision as D
from otel_agent_trace.semconv import error as E
from otel_agent_trace.semconv import gen_ai as G
from otel_agent_trace.semconv import state as S
from otel_agent_trace.semconv import tool as T


def test_run_steps_tools_decisions_tree(content_recorder):
    @tool_call("search", call_id="call_1")
    def search(query: str) -> dict:
        return {"hits": [query.upper()]}

    @agent_step(action_type="tool_call")
    def act(query: str) -> dict:
        return search(query)

    with agent_run("planner", agent_id="p-1", version="2", config={"model": "m"}) as run:
        act("hello")
        with decision("route", condition="hits > 0", options=["answer", "retry"]) as d:
            d.choose("answer", rationale="found a hit", confidence=0.9)
        run.set_output("done")

    rec = content_recorder
    root = rec.by_name("invoke_agent planner")
    step_span = rec.by_name("step act")
    tool = rec.by_name("execute_tool search")
    dec = rec.by_name("decision route")
    assert root.parent is None
    assert step_span.parent.span_id == root.context.span_id
    assert tool.parent.span_id == step_span.context.span_id
    assert dec.parent.span_id == root.context.span_id
    assert root.attributes[G.GEN_AI_OPERATION_NAME] == "invoke_agent"
    assert root.attributes[G.GEN_AI_AGENT_ID] == "p-1"
    assert root.attributes[G.GEN_AI_AGENT_VERSION] == "2"
    assert len(root.attributes[A.AGENT_CONFIG_HASH]) == 16
    assert [
        step_span.attributes[A.AGENT_STEP_INDEX],
        tool.attributes[A.AGENT_STEP_INDEX],
        dec.attributes[A.AGENT_STEP_INDEX],
    ] == [0, 1, 2]
    assert step_span.attributes[A.AGENT_STEP_ACTION_TYPE] == "tool_call"
    assert json.loads(step_span.attributes[A.AGENT_STEP_INPUT]) == {"query": "hello"}
    assert tool.attributes[G.GEN_AI_TOOL_CALL_ID] == "call_1"
    assert json.loads(tool.attributes[G.GEN_AI_TOOL_CALL_ARGUMENTS]) == {"query": "hello"}
    assert json.loads(tool.attributes[G.GEN_AI_TOOL_CALL_RESULT]) == {"hits": ["HELLO"]}
    assert tool.attributes[T.TOOL_STATUS] == "ok"
    assert tool.attributes[T.TOOL_LATENCY_MS] >= 0
    assert dec.attributes[D.DECISION_OPTIONS] == ("answer", "retry")
    assert dec.attributes[D.DECISION_CHOSEN] == "answer"
    assert dec.attributes[D.DECISION_RATIONALE] == "found a hit"
    assert dec.attributes[D.DECISION_CONFIDENCE] == 0.9
    run_ids = {s.attributes[A.AGENT_RUN_ID] for s in rec.spans()}
    assert len(run_ids) == 1


def test_content_off_by_default(recorder):
    @tool_call("lookup")
    def lookup(secret_query: str) -> str:
        return "private answer"

    with agent_run("a"):
        lookup("private question")
        with decision("d") as d:
            d.choose("x", rationale="because private")
        snapshot_state(working_memory={"notes": "private"}, confidence={"plan": 0.5})
    dumped = json.dumps([dict(s.attributes) for s in recorder.spans()])
    assert "private" not in dumped
    tool = recorder.by_name("execute_tool lookup")
    assert tool.attributes[G.GEN_AI_TOOL_NAME] == "lookup"
    root = recorder.by_name("invoke_agent a")
    assert root.attributes[S.STATE_CONFIDENCE] == '{"plan":0.5}'


def test_user_exception_propagates_unchanged_and_is_recorded(recorder):
    class Boom(Exception):
        pass

    original = Boom("no")

    @tool_call("fail")
    def fail() -> None:
        raise original

    with pytest.raises(Boom) as info:
        fail()
    assert info.value is original
    span = recorder.by_name("execute_tool fail")
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes[E.ERROR_TYPE].endswith("Boom")
    assert span.attributes[T.TOOL_STATUS] == "error"
    assert any(e.name == "exception" and "exception.stacktrace" in e.attributes for e in span.events)


async def test_async_and_generators(content_recorder):
    @agent_step
    async def think(x: int) -> int:
        await asyncio.sleep(0)
        return x * 2

    @agent_step("gen")
    def gen(n: int):
        yield from range(n)

    @tool_call("agen")
    async def agen(n: int):
        for i in range(n):
            yield i

    async with agent_run("async-agent"):
        assert await think(2) == 4
        assert list(gen(3)) == [0, 1, 2]
        assert [i async for i in agen(2)] == [0, 1]
    names = {s.name for s in content_recorder.spans()}
    assert names == {"invoke_agent async-agent", "step think", "step gen", "execute_tool agen"}
    assert json.loads(content_recorder.by_name("step gen").attributes[A.AGENT_STEP_OUTPUT]) == [0, 1, 2]
    assert json.loads(content_recorder.by_name("step think").attributes[A.AGENT_STEP_OUTPUT]) == 4


def test_session_ids_on_every_span_across_tasks_and_threads(recorder):
    instrumentor = ThreadingInstrumentor()
    instrumentor.instrument()
    try:

        async def child() -> None:
            with step("in-task"):
                await asyncio.sleep(0)

        def in_thread() -> None:
            with step("in-thread"):
                pass

        with (
            agent_session("sess-1", user_id="u-1", request_id="r-1", environment="test", tags={"team": "x"}),
            agent_run("root"),
        ):
            asyncio.run(asyncio.wait_for(child(), 5))
            t = threading.Thread(target=in_thread)
            t.start()
            t.join()
            with ThreadPoolExecutor(2) as pool:
                pool.submit(in_thread).result()
        # a thread started with a manually propagated context, threading instrumentor off
        instrumentor.uninstrument()
        with agent_session("sess-2"):
            t = threading.Thread(target=propagate_context(in_thread))
            t.start()
            t.join()
    finally:
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()
    spans = recorder.spans()
    sess1 = [s for s in spans if s.attributes.get(A.SESSION_ID) == "sess-1"]
    assert len(sess1) == 4
    for s in sess1:
        assert s.attributes[A.USER_ID] == "u-1"
        assert s.attributes[A.REQUEST_ID] == "r-1"
        # the GenAI conversation id only where the convention puts it: the GenAI operation (the run), not steps
        assert s.attributes.get(G.GEN_AI_CONVERSATION_ID) == ("sess-1" if s.name.startswith("invoke_agent") else None)
        assert s.attributes[A.ENVIRONMENT] == "test"
        assert s.attributes[A.TAGS] == ("team=x",)
    root = next(s for s in sess1 if s.name == "invoke_agent root")
    for s in sess1:
        if s is not root:
            assert s.parent.span_id == root.context.span_id
            assert s.context.trace_id == root.context.trace_id
    assert [s.attributes.get(A.SESSION_ID) for s in spans if s not in sess1] == ["sess-2"]


def test_sub_agent_records_parent(recorder):
    with agent_run("boss", agent_id="b"), agent_run("worker"):
        pass
    worker = recorder.by_name("invoke_agent worker")
    assert worker.attributes[A.AGENT_PARENT_NAME] == "boss"
    assert worker.attributes[A.AGENT_PARENT_ID] == "b"
    assert worker.attributes[A.AGENT_STEP_ACTION_TYPE] == "handoff"
    assert worker.attributes[A.AGENT_RUN_ID] != recorder.by_name("invoke_agent boss").attributes[A.AGENT_RUN_ID]


def test_snapshot_state_hash_and_unchanged(content_recorder):
    class Unserializable:
        def __repr__(self) -> str:
            return "<Unserializable>"

    cyclic: dict = {"name": "loop"}
    cyclic["self"] = cyclic
    with agent_run("stateful"):
        with step("one"):
            h1 = snapshot_state(working_memory={"obj": Unserializable(), "cyc": cyclic}, goal_stack=["a", "b"])
        with step("two"):
            h2 = snapshot_state(working_memory={"obj": Unserializable(), "cyc": cyclic}, goal_stack=["a", "b"])
        with step("three"):
            h3 = snapshot_state(working_memory={"big": "x" * 100_000}, beliefs={"sky": "blue"})
    assert h1 == h2 != h3
    one = content_recorder.by_name("step one")
    two = content_recorder.by_name("step two")
    three = content_recorder.by_name("step three")
    memory = json.loads(one.attributes[S.STATE_WORKING_MEMORY])
    assert memory == {"obj": "<Unserializable>", "cyc": {"name": "loop", "self": "<cycle>"}}
    assert two.attributes[S.STATE_UNCHANGED] is True
    assert S.STATE_WORKING_MEMORY not in two.attributes
    assert two.attributes[S.STATE_PREVIOUS_HASH] == h1
    big = three.attributes[S.STATE_WORKING_MEMORY]
    assert len(big.encode()) <= 16 * 1024
    assert "truncated" in json.loads(big)["big"]
    assert S.STATE_WORKING_MEMORY in three.attributes[A.TRUNCATED]
    assert any(e.name == S.STATE_EVENT_NAME for e in three.events)


def test_record_error_handled_and_unhandled(content_recorder):
    with agent_run("r"):
        with step("retrying") as s:
            try:
                raise TimeoutError("slow tool")
            except TimeoutError as exc:
                record_error(exc, code=504, handler="retry", retry_attempt=1, post_state={"retries": 1})
            s.set_output("ok")
        with step("giving-up"):
            record_error("quota exhausted", code="quota", handled=False)
    retrying = content_recorder.by_name("step retrying")
    assert retrying.status.status_code is StatusCode.UNSET
    event = next(e for e in retrying.events if e.name == E.ERROR_EVENT_NAME)
    assert event.attributes[E.EXCEPTION_TYPE] == "TimeoutError"
    assert event.attributes[E.ERROR_HANDLER] == "retry"
    assert event.attributes[E.ERROR_CODE] == "504"
    assert json.loads(event.attributes[E.ERROR_POST_STATE]) == {"retries": 1}
    assert "Traceback" in event.attributes[E.EXCEPTION_STACKTRACE]
    giving_up = content_recorder.by_name("step giving-up")
    assert giving_up.status.status_code is StatusCode.ERROR
    assert giving_up.attributes[E.ERROR_HANDLED] is False


def test_failed_span_gets_latest_state_attached(content_recorder):
    def run() -> None:
        with agent_run("r"):
            snapshot_state(working_memory={"k": 1}, label="before")
            with step("breaks"):
                raise ValueError("bad")

    with pytest.raises(ValueError, match="bad"):
        run()
    breaks = content_recorder.by_name("step breaks")
    assert breaks.status.status_code is StatusCode.ERROR
    assert json.loads(breaks.attributes[S.STATE_WORKING_MEMORY]) == {"k": 1}
    assert breaks.attributes[S.STATE_LABEL] == "before"


def test_manual_handle_without_with(content_recorder):
    handle = tool_call("manual", call_id="c9").start()
    handle.set_result({"ok": True})
    handle.stop()
    handle.stop()  # idempotent
    failing = tool_call("manual-fail").start()
    failing.fail(RuntimeError("x"))
    assert json.loads(content_recorder.by_name("execute_tool manual").attributes[G.GEN_AI_TOOL_CALL_RESULT]) == {
        "ok": True
    }
    assert content_recorder.by_name("execute_tool manual-fail").status.status_code is StatusCode.ERROR
    assert len(content_recorder.spans()) == 2


def test_decision_decorator_records_return_as_chosen(recorder):
    @decision("pick", options=["a", "b"])
    def pick() -> str:
        return "b"

    assert pick() == "b"
    assert recorder.by_name("decision pick").attributes[D.DECISION_CHOSEN] == "b"


def test_api_works_without_sdk_configured():
    from otel_agent_trace._internal.tracing import set_default_tracer_provider

    set_default_tracer_provider(None)

    @tool_call("noop")
    def f() -> int:
        return 3

    with agent_session("s"), agent_run("x"), step("y"):
        assert f() == 3
        assert snapshot_state(working_memory={"a": 1}) is not None

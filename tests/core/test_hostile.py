"""Property tests: no hostile value makes the manual API raise, and something useful is still exported.

Every public function and handle method gets values from ``HOSTILE`` (raising ``__str__``/``__repr__``/``__eq__``/
``__hash__``/``__len__``/``__iter__``/``items()``/``__getattr__``/``model_dump()``, huge ints, NaN/inf, bytes, cycles,
10,000-deep nesting, infinite generators, 100,000-char strings, composed recursively), through the real
AgentSpanProcessor into an in-memory exporter, with content capture on; a few examples run with no SDK at all.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.trace import StatusCode

from otel_agent_trace import (
    agent_run,
    agent_session,
    agent_step,
    decision,
    propagate_context,
    record_error,
    record_outcome,
    snapshot_state,
    step,
    tool_call,
)
from otel_agent_trace._internal.errors import reset_internal_error_log
from otel_agent_trace._internal.jsonable import MIN_BUDGET
from otel_agent_trace._internal.serialize import content_hash, safe_json_dumps, to_jsonable
from otel_agent_trace._internal.settings import Settings
from otel_agent_trace._internal.tracing import set_default_tracer_provider
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import decision as D
from otel_agent_trace.semconv import gen_ai as G
from otel_agent_trace.semconv import state as S

from ._hostile import HOSTILE, Boom, LogCounter
from .conftest import Recorder, recording

SETTINGS = settings(deadline=None, suppress_health_check=list(HealthCheck), database=None)


@pytest.fixture(scope="module")
def rec() -> Iterator[Recorder]:
    with recording(Settings(capture_content=True)) as recorder:
        yield recorder


@pytest.fixture(scope="module")
def log() -> Iterator[LogCounter]:
    counter = LogCounter()
    logger = logging.getLogger("otel_agent_trace")
    logger.addHandler(counter)
    yield counter
    logger.removeHandler(counter)


def _json_or_marker(value: Any, given: Any) -> None:
    """An exported content attribute: text (empty only for an empty string), valid JSON unless given a string."""
    assert isinstance(value, str)
    assert value or given == ""
    if not isinstance(given, str):
        json.loads(value)


@settings(SETTINGS, max_examples=300)
@given(value=HOSTILE, budget=st.sampled_from([None, MIN_BUDGET, 1000, 16 * 1024]))
def test_serializers_are_total_valid_and_bounded(value: Any, budget: int | None) -> None:
    text = safe_json_dumps(value, budget)
    limit = max(budget or 16 * 1024, MIN_BUDGET)
    assert len(text.encode("utf-8")) <= limit
    if not isinstance(value, str):
        json.loads(text)
    json.dumps(to_jsonable(value, max_bytes=budget))
    digest = content_hash(value)
    assert len(digest) == 16 and digest == content_hash(value)


@settings(SETTINGS, max_examples=400)
@given(value=HOSTILE, other=HOSTILE, no_sdk=st.booleans())
def test_every_function_and_handle_method_survives(
    rec: Recorder, log: LogCounter, value: Any, other: Any, no_sdk: bool
) -> None:
    rec.exporter.clear()
    reset_internal_error_log()
    if no_sdk:
        set_default_tracer_provider(None)
    try:
        with (
            agent_session(value, user_id=other, agent_config=value, tags=other, environment=value),
            agent_run(value, agent_id=other, description=value, version=other, config=value) as run,
        ):
            with step(value, action_type=other) as s:
                s.set_input(value)
                s.set_output(other)
                s.set_attribute(value, other)
                snapshot_state(working_memory=value, goal_stack=other, beliefs=value, confidence=other, label=other)
                snapshot_state(beliefs=other, span=value)
            with tool_call(value, call_id=other, arguments=value, description=other, tool_type=value) as t:
                t.set_arguments(other)
                t.set_result(value)
            with decision(value, condition=other, options=value, chosen=other, rationale=value) as d:
                d.choose(value, rationale=other, confidence=value)
            record_error(value, code=other, handler=value, handled=other, post_state=value, retry_attempt=other)
            record_outcome(value, score=other, label=value, expected=other, actual=value, reason=other)
            record_outcome(True, trace_id=value, span_id=other, name=value)
            run.set_output(value)
            manual = tool_call(other).start()
            manual.fail(value)
            manual.stop()
        assert propagate_context(lambda x: x)(value) is value
    finally:
        if no_sdk:
            set_default_tracer_provider(rec.provider)
    if no_sdk:
        return
    faults = {str(r.args[0]) for r in log.records if r.args}
    log.records.clear()
    # the only internal errors allowed: ids that are not ids (a user error, logged); nothing in serialization
    assert faults <= {"otel_agent_trace.api._outcome.record_outcome"}, faults
    tool = next(
        sp
        for sp in rec.spans()
        if sp.name.startswith("execute_tool") and G.GEN_AI_TOOL_CALL_RESULT in (sp.attributes or {})
    )
    _json_or_marker(tool.attributes[G.GEN_AI_TOOL_CALL_RESULT], value)
    _json_or_marker(tool.attributes[G.GEN_AI_TOOL_CALL_ARGUMENTS], other)
    dec = next(sp for sp in rec.spans() if sp.name.startswith("decision"))
    _json_or_marker(dec.attributes[D.DECISION_CHOSEN], value)
    assert D.DECISION_NAME in dec.attributes and A.AGENT_STEP_INDEX in dec.attributes
    stp = next(sp for sp in rec.spans() if sp.name.startswith("step"))
    assert len(stp.attributes[S.STATE_HASH]) == 16
    run_span = next(sp for sp in rec.spans() if sp.name.startswith("invoke_agent"))
    if value is not None:  # None means "not given": nothing to record
        _json_or_marker(stp.attributes[S.STATE_WORKING_MEMORY], value)
        assert len(run_span.attributes[A.AGENT_CONFIG_HASH]) == 16
        _json_or_marker(run_span.attributes[A.AGENT_CONFIG], value)
    manual_span = [sp for sp in rec.spans() if sp.name.startswith("execute_tool")][-1]
    assert manual_span.end_time is not None


def _make(kind: str, behaviour: str, result: Any, exc: BaseException, calls: list[int]) -> Any:
    def act(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if behaviour == "raise":
            raise exc
        return result

    if kind == "sync":
        return act
    if kind == "async":

        async def coro(*args: Any, **kwargs: Any) -> Any:
            return act()

        return coro
    if kind == "gen":

        def gen(*args: Any, **kwargs: Any) -> Any:
            yield result
            return act()

        return gen

    async def agen(*args: Any, **kwargs: Any) -> Any:
        yield result
        act()

    return agen


def _drive(kind: str, wrapped: Any, arg: Any) -> Any:
    if kind == "sync":
        return wrapped(arg, key=arg)
    if kind == "async":
        return asyncio.run(wrapped(arg, key=arg))
    if kind == "gen":
        return list(wrapped(arg, key=arg))

    async def consume() -> list[Any]:
        return [item async for item in wrapped(arg, key=arg)]

    return asyncio.run(consume())


DECORATORS = st.sampled_from(["tool_call", "step", "bare_step", "decision", "agent_run", "agent_session"])


@settings(SETTINGS, max_examples=300)
@given(
    value=HOSTILE,
    kind=st.sampled_from(["sync", "async", "gen", "agen"]),
    decorator=DECORATORS,
    behaviour=st.sampled_from(["return", "raise"]),
)
def test_decorated_functions_run_once_and_user_exceptions_pass_unchanged(
    rec: Recorder, value: Any, kind: str, decorator: str, behaviour: str
) -> None:
    rec.exporter.clear()
    calls: list[int] = []
    exc = Boom("the user's own error")
    func = _make(kind, behaviour, value, exc, calls)
    make = {
        "tool_call": lambda: tool_call(value, arguments=None),
        "step": lambda: agent_step(value),
        "decision": lambda: decision(value, options=value),
        "agent_run": lambda: agent_run(value, config=value),
        "agent_session": lambda: agent_session(value, agent_config=value),
    }
    wrapped = agent_step(func) if decorator == "bare_step" else make[decorator]()(func)
    if behaviour == "raise":
        with pytest.raises(Boom) as caught:
            _drive(kind, wrapped, value)
        assert caught.value is exc
        frames = []
        tb = caught.value.__traceback__
        while tb is not None:
            frames.append(tb.tb_frame.f_code.co_name)
            tb = tb.tb_next
        assert frames[-1] == "act"
    else:
        out = _drive(kind, wrapped, value)
        if kind in ("sync", "async"):
            assert out is value
        else:
            assert len(out) == 1 and out[0] is value
    assert len(calls) == 1
    if decorator != "agent_session":
        spans = rec.spans()
        assert spans, "a span was exported"
        if behaviour == "raise":
            assert spans[-1].status.status_code is StatusCode.ERROR


@settings(SETTINGS, max_examples=150)
@given(value=HOSTILE)
def test_context_managers_sync_and_async_and_manual_handles(rec: Recorder, value: Any) -> None:
    rec.exporter.clear()

    async def scenario() -> None:
        async with agent_run(value) as run, tool_call(value) as tool:
            tool.set_result(value)
            run.set_attribute("k", value)
        async with agent_session(value, tags=value):
            handle = decision(value, chosen=value).start()
            handle.choose(value, confidence=value)
            handle.fail(Boom("x"))
            handle.fail(Boom("again"))
            handle.stop()

    asyncio.run(scenario())
    op = step(value)
    op.__exit__(None, None, None)  # exit without enter: nothing to end, nothing raised
    names = [sp.name for sp in rec.spans()]
    assert len(names) == 3
    tool = next(sp for sp in rec.spans() if sp.name.startswith("execute_tool"))
    _json_or_marker(tool.attributes[G.GEN_AI_TOOL_CALL_RESULT], value)

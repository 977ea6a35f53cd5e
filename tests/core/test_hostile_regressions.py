"""One test per hostile case the issue names, plus the bounded-walk and logging guarantees."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest
from opentelemetry.trace import StatusCode

from otel_agent_trace import (
    agent_run,
    agent_session,
    decision,
    propagate_context,
    record_error,
    record_outcome,
    snapshot_state,
    step,
    tool_call,
)
from otel_agent_trace._internal import errors
from otel_agent_trace._internal import settings as settings_mod
from otel_agent_trace._internal.jsonable import MAX_ITEMS
from otel_agent_trace._internal.serialize import content_hash, safe_json_dumps, to_jsonable
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import decision as D
from otel_agent_trace.semconv import gen_ai as G
from otel_agent_trace.semconv import state as S

from ._hostile import (
    Boom,
    HashableRaisingStr,
    HostileBytes,
    HostileEnum,
    HostileFloat,
    HostileInt,
    HostileStr,
    RaisingClass,
    RaisingItemsDict,
    RaisingMapping,
    RaisingSignature,
    RaisingStr,
    deep,
)

BUDGET = 16 * 1024


def test_huge_int_in_set_result_choose_and_agent_config(content_recorder):
    with agent_session("s", agent_config={"n": 10**5000}), agent_run("r"):
        with tool_call("t") as t:
            t.set_result({"n": 10**5000})
        with decision("d") as d:
            d.choose({"n": 10**5000})
    tool = content_recorder.by_name("execute_tool t")
    assert json.loads(tool.attributes[G.GEN_AI_TOOL_CALL_RESULT]) == {"n": "<int with 5001 digits>"}
    assert json.loads(content_recorder.by_name("decision d").attributes[D.DECISION_CHOSEN]) == {
        "n": "<int with 5001 digits>"
    }
    assert len(tool.attributes[A.AGENT_CONFIG_HASH]) == 16


def test_snapshot_with_a_huge_int_keeps_the_rest(content_recorder):
    with agent_run("r"), step("s"):
        digest = snapshot_state(working_memory={"n": 10**5000, "ok": 1}, beliefs={"b": True})
    span = content_recorder.by_name("step s")
    assert span.attributes[S.STATE_HASH] == digest
    assert json.loads(span.attributes[S.STATE_WORKING_MEMORY]) == {"n": "<int with 5001 digits>", "ok": 1}
    assert json.loads(span.attributes[S.STATE_BELIEFS]) == {"b": True}


def test_keys_whose_str_raises_and_mappings_whose_items_raise():
    assert json.loads(safe_json_dumps({HashableRaisingStr(): 1, "k": 2})) == {
        "<unrepresentable HashableRaisingStr>": 1,
        "k": 2,
    }
    # a dict subclass is read through dict's own slots: the data is kept
    assert json.loads(safe_json_dumps(RaisingItemsDict(a=1))) == {"a": 1}
    # any other mapping: its repr (here the default one)
    assert "RaisingMapping object" in json.loads(safe_json_dumps(RaisingMapping()))
    assert json.loads(safe_json_dumps([RaisingStr()])) == ["<unrepresentable RaisingStr>"]


def test_deep_decision_options_keep_the_other_attributes(recorder):
    with agent_run("r"), decision("route", condition="c", options=[deep(10_000), "b"]) as d:
        d.choose("b", confidence=0.5)
    span = recorder.by_name("decision route")
    assert span.attributes[D.DECISION_CONDITION] == "c"
    assert span.attributes[D.DECISION_CHOSEN] == "b"
    assert span.attributes[D.DECISION_CONFIDENCE] == 0.5
    assert A.AGENT_STEP_INDEX in span.attributes
    options = list(span.attributes[D.DECISION_OPTIONS])
    assert options[1] == "b" and "nested too deep" in options[0]


def test_deep_cycles_nan_bytes_generators():
    cyclic: dict[str, Any] = {}
    cyclic["me"] = cyclic
    value = {"deep": deep(10_000), "cyc": cyclic, "nan": float("nan"), "inf": [float("inf"), float("-inf")]}
    value["bytes"] = b"\x00\x01"

    def forever() -> Iterator[int]:
        while True:
            yield 1

    gen = forever()
    value["gen"] = gen
    out = to_jsonable(value)
    assert out["cyc"] == {"me": "<cycle>"}
    assert out["nan"] == "nan" and out["inf"] == ["inf", "-inf"]
    assert out["bytes"] == "<2 bytes>"
    assert out["gen"].startswith("<generator object")
    assert next(gen) == 1  # not consumed
    assert "nested too deep" in json.dumps(out["deep"])


class CountingSequence(Sequence[int]):
    """A billion-item sequence that counts how many items were read."""

    def __init__(self) -> None:
        self.reads = 0

    def __len__(self) -> int:
        return 10**9

    def __getitem__(self, index: Any) -> Any:
        self.reads += 1
        if index >= 10**9:
            raise IndexError(index)
        return "y" * 100


class EndlessMapping(Mapping[str, str]):
    def __init__(self) -> None:
        self.reads = 0

    def __getitem__(self, key: str) -> str:
        return "v"

    def __len__(self) -> int:
        return 10**9

    def __iter__(self) -> Iterator[str]:
        n = 0
        while True:
            n += 1
            self.reads += 1
            yield f"k{n}"


def test_the_walk_stops_at_the_budget_not_at_the_end_of_the_value():
    seq, mapping = CountingSequence(), EndlessMapping()
    out = safe_json_dumps({"seq": seq, "map": mapping})
    assert len(out.encode()) <= BUDGET
    assert seq.reads <= BUDGET // 100 + 2 and mapping.reads <= MAX_ITEMS + 1
    assert "_truncated" in out
    json.loads(out)
    text = safe_json_dumps("z" * 5_000_000)
    assert len(text.encode()) <= BUDGET and text.endswith("...[truncated 5000000 chars]")


def test_5mb_tool_result_through_the_api_is_cut_to_the_budget(content_recorder):
    big = {"rows": [{"id": i, "text": "w" * 100} for i in range(50_000)]}
    with agent_run("r"), step("s"):
        with tool_call("fetch") as t:
            t.set_result(big)
        snapshot_state(working_memory=big)
        with decision("next") as d:
            d.choose(big)
    tool = content_recorder.by_name("execute_tool fetch")
    result = tool.attributes[G.GEN_AI_TOOL_CALL_RESULT]
    assert len(result.encode()) <= BUDGET
    assert "over the 16384-byte budget" in result
    assert G.GEN_AI_TOOL_CALL_RESULT in tool.attributes[A.TRUNCATED]
    assert json.loads(result)["rows"][0] == {"id": 0, "text": "w" * 100}


def test_content_hash_is_bounded_and_documented_collisions():
    a = {"k": "x" * 200_000 + "a"}
    b = {"k": "x" * 200_000 + "b"}
    longer = {"k": "x" * 200_001 + "a"}
    assert content_hash(a) == content_hash(b)  # equal beyond the 64 KiB prefix, same size: documented
    assert content_hash(a) != content_hash(longer)  # the cut's size still counts
    assert content_hash({"a": 1, "b": {2, 3}}) == content_hash({"b": {3, 2}, "a": 1})


def test_hostile_callables_and_exceptions(content_recorder):
    decorated = tool_call("hostile")(RaisingSignature())
    assert decorated(1, k=2) == ("called", 1, 1)
    assert content_recorder.by_name("execute_tool hostile").status.status_code is StatusCode.UNSET

    class Unprintable(Exception):
        def __str__(self) -> str:
            raise Boom("no str")

    error = Unprintable()
    with pytest.raises(Unprintable) as caught, tool_call("fails"):
        raise error
    assert caught.value is error
    span = content_recorder.by_name("execute_tool fails")
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description.startswith("Unprintable:")


def test_decorated_generator_forwards_send_throw_and_return(recorder):
    @step("echo")
    def echo() -> Iterator[Any]:
        received = yield "ready"
        while received != "stop":
            try:
                received = yield f"got {received}"
            except KeyError:
                received = yield "caught"
        return "done"

    gen = echo()
    assert next(gen) == "ready"
    assert gen.send(1) == "got 1"
    assert gen.throw(KeyError("k")) == "caught"
    with pytest.raises(StopIteration) as stop:
        gen.send("stop")
    assert stop.value.value == "done"
    assert recorder.by_name("step echo").end_time is not None


def test_propagate_context_is_reentrant():
    @propagate_context
    def countdown(n: int) -> int:
        return 0 if n == 0 else 1 + countdown(n - 1)

    assert countdown(5) == 5


def test_a_bad_setting_does_not_break_the_api(monkeypatch, recorder):
    monkeypatch.setenv("OTEL_AGENT_TRACE_MAX_ATTRIBUTE_BYTES", "lots")
    settings_mod.set_settings(None)
    with agent_run("r"), tool_call("t") as t:
        t.set_result({"a": 1})
        snapshot_state(working_memory={"a": 1})
    assert recorder.by_name("execute_tool t").end_time is not None


def test_internal_errors_are_logged_once_per_site_per_interval(monkeypatch, caplog):
    errors.reset_internal_error_log()
    caplog.set_level(logging.DEBUG, logger="otel_agent_trace")
    for _ in range(100):
        with errors.handle_internal_errors("test.site"):
            raise RuntimeError("ours")
    lines = [r for r in caplog.records if "test.site" in r.getMessage()]
    assert len(lines) == 1 and lines[0].exc_info is not None
    monkeypatch.setattr(errors, "LOG_INTERVAL_S", 0.0)
    with errors.handle_internal_errors("test.site"):
        raise RuntimeError("ours again")
    lines = [r for r in caplog.records if "test.site" in r.getMessage()]
    assert len(lines) == 2 and "99 more since the last report" in lines[1].getMessage()
    errors.reset_internal_error_log()


@pytest.mark.parametrize(
    "make",  # factories: pytest itself calls isinstance() on parameters
    [
        RaisingClass,
        lambda: HostileStr("hostile"),
        lambda: HostileInt(7),
        lambda: HostileFloat(1.5),
        lambda: HostileBytes(b"ab"),
        lambda: HostileEnum.A,
    ],
    ids=["raising __class__", "str subclass", "int subclass", "float subclass", "bytes subclass", "enum value"],
)
def test_builtin_subclasses_and_a_raising_class_attribute(content_recorder, caplog, make):
    value = make()
    caplog.set_level(logging.WARNING, logger="otel_agent_trace")
    errors.reset_internal_error_log()
    out = safe_json_dumps(value)
    assert out and len(content_hash(value)) == 16
    with agent_session(value, tags=value), agent_run(value, config=value), step(value):
        with tool_call(value, arguments=value) as t:
            t.set_result(value)
        with decision(value, options=value, chosen=value) as d:
            d.choose(value, rationale=value, confidence=value)
        snapshot_state(working_memory=value, label=value)
        record_error(value, code=value)
        record_outcome(value, reason=value, name=value)
    tool = next(s for s in content_recorder.spans() if s.name.startswith("execute_tool"))
    assert tool.attributes[G.GEN_AI_TOOL_CALL_RESULT] == out
    assert not [r for r in caplog.records if r.name == "otel_agent_trace"], [r.getMessage() for r in caplog.records]

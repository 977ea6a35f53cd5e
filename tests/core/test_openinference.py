"""The OpenInference view added on export (processor/_openinference.py): kinds, I/O, correlation ids, budget."""

from __future__ import annotations

import json
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider

from otel_agent_trace._internal.settings import ContentMode, Settings
from otel_agent_trace.api import agent_run, agent_session, agent_step, decision, tool_call
from otel_agent_trace.processor._enrich import default_enrichers
from otel_agent_trace.processor._openinference import OpenInferenceView, answer_text, span_kind, typed
from otel_agent_trace.processor._parts import span_bytes
from otel_agent_trace.processor._transform import SpanTransformer
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import decision as D
from otel_agent_trace.semconv import gen_ai as G
from otel_agent_trace.semconv import openinference as OI

from .conftest import recording

SECRET = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0"
ON = Settings(capture_content=True)


def _agent() -> None:
    @tool_call("get_rate", description="EUR->USD")
    def get_rate(base: str) -> dict[str, Any]:
        return {"base": base, "rate": 1.08}

    @agent_step("convert", action_type="reasoning")
    def convert(amount: float, rate: float) -> float:
        return round(amount * rate, 2)

    with agent_session("sess-1", user_id="user-7"), agent_run("booker", agent_id="b-1"):
        rate = get_rate("EUR")["rate"]
        convert(100.0, rate)
        with decision("tier", condition="usd >= 150", options=["premium", "budget"]) as tier:
            tier.choose("budget", confidence=0.8)


def _attributes(rec: Any, name: str) -> dict[str, Any]:
    return dict(rec.by_name(name).attributes or {})


def test_kinds_io_and_correlation_of_the_manual_api() -> None:
    with recording(ON) as rec:
        _agent()
    agent = _attributes(rec, "invoke_agent booker")
    tool = _attributes(rec, "execute_tool get_rate")
    step = _attributes(rec, "step convert")
    choice = _attributes(rec, "decision tier")
    assert [a[OI.OPENINFERENCE_SPAN_KIND] for a in (agent, tool, step, choice)] == ["AGENT", "TOOL", "CHAIN", "CHAIN"]
    for attributes in (agent, tool, step, choice):
        assert attributes[OI.OI_SESSION_ID] == "sess-1"
        assert attributes[OI.OI_USER_ID] == "user-7"
        assert attributes[OI.OPENINFERENCE_DERIVED] is True
        assert json.loads(attributes[OI.OI_METADATA])["run_id"] == agent[A.AGENT_RUN_ID]
    assert agent[OI.OI_AGENT_NAME] == "booker"
    assert (tool[OI.OI_INPUT_VALUE], tool[OI.OI_INPUT_MIME_TYPE]) == ('{"base":"EUR"}', "application/json")
    assert json.loads(tool[OI.OI_OUTPUT_VALUE]) == {"base": "EUR", "rate": 1.08}
    assert json.loads(step[OI.OI_INPUT_VALUE]) == {"amount": 100.0, "rate": 1.08}
    assert (step[OI.OI_OUTPUT_VALUE], step[OI.OI_OUTPUT_MIME_TYPE]) == ("108.0", "text/plain")
    assert json.loads(choice[OI.OI_INPUT_VALUE]) == {"condition": "usd >= 150", "options": ["premium", "budget"]}
    assert (choice[OI.OI_OUTPUT_VALUE], choice[OI.OI_OUTPUT_MIME_TYPE]) == ("budget", "text/plain")
    meta = json.loads(choice[OI.OI_METADATA])
    assert meta["decision"] == {
        "name": "tier",
        "condition": "usd >= 150",
        "options": ["premium", "budget"],
        "chosen": "budget",
        "confidence": 0.8,
    }
    assert meta["step_index"] == choice[A.AGENT_STEP_INDEX]
    assert choice[OI.OI_TAG_TAGS] == ("decision",)
    assert step[OI.OI_TAG_TAGS] == ("reasoning",)
    # our own attributes are untouched
    assert step[A.AGENT_STEP_INPUT] == '{"amount":100.0,"rate":1.08}'
    assert choice[D.DECISION_CHOSEN] == "budget"


def test_content_capture_off_gives_kinds_and_ids_but_no_io() -> None:
    with recording(Settings(capture_content=False)) as rec:
        _agent()
    for span in rec.spans():
        attributes = dict(span.attributes or {})
        assert attributes[OI.OPENINFERENCE_SPAN_KIND] in ("AGENT", "TOOL", "CHAIN")
        assert attributes[OI.OI_SESSION_ID] == "sess-1"
        assert not {OI.OI_INPUT_VALUE, OI.OI_OUTPUT_VALUE, OI.OI_INPUT_MIME_TYPE} & set(attributes), span.name


def test_event_only_puts_no_copy_of_the_content_on_spans() -> None:
    settings = Settings(capture_content=True, content_mode=ContentMode.EVENT_ONLY)
    view = OpenInferenceView(settings)
    attributes: dict[str, Any] = {A.AGENT_STEP_ACTION_TYPE: "reasoning", A.AGENT_STEP_INPUT: '{"q":1}'}
    view(_ended("step s"), attributes)
    assert attributes[OI.OPENINFERENCE_SPAN_KIND] == "CHAIN"
    assert OI.OI_INPUT_VALUE not in attributes


def test_switch_off_by_setting_environment_and_init(monkeypatch: pytest.MonkeyPatch) -> None:
    assert any(isinstance(e, OpenInferenceView) for e in default_enrichers(Settings()))
    assert not any(isinstance(e, OpenInferenceView) for e in default_enrichers(Settings(openinference=False)))
    monkeypatch.setenv("OTEL_AGENT_TRACE_OPENINFERENCE", "false")
    assert Settings.from_env().openinference is False
    monkeypatch.setenv("OTEL_AGENT_TRACE_OPENINFERENCE", "true")
    assert Settings.from_env().openinference is True
    with recording(Settings(capture_content=True, openinference=False)) as rec:
        _agent()
    assert not any(OI.OPENINFERENCE_SPAN_KIND in (s.attributes or {}) for s in rec.spans())


def test_init_keyword_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from otel_agent_trace._internal import settings as settings_mod
    from otel_agent_trace.configuration import init

    monkeypatch.setenv("OTEL_AGENT_TRACE_OPENINFERENCE", "true")
    try:
        provider = init("t", exporters="none", instrumentors="none", set_global=False, openinference=False)
        assert settings_mod.get_settings().openinference is False
        provider.shutdown()
        provider = init("t", exporters="none", instrumentors="none", set_global=False)
        assert settings_mod.get_settings().openinference is True
        provider.shutdown()
        monkeypatch.setenv("OTEL_AGENT_TRACE_OPENINFERENCE", "false")  # what the distro's init() reads
        provider = init("t", exporters="none", instrumentors="none", set_global=False)
        assert settings_mod.get_settings().openinference is False
        provider.shutdown()
    finally:
        settings_mod.set_settings(None)


def _ended(name: str, **attributes: Any) -> ReadableSpan:
    span = TracerProvider().get_tracer("t").start_span(name, attributes=attributes)
    span.end()
    assert isinstance(span, ReadableSpan)
    return span


def test_llm_output_value_is_the_answer_and_tools_become_llm_tools() -> None:
    answer = [{"role": "assistant", "parts": [{"type": "text", "content": "Central Plaza, 180 USD"}]}]
    tools = [{"type": "function", "name": "get_rate", "description": "rates", "parameters": {"type": "object"}}]
    attributes: dict[str, Any] = {
        G.GEN_AI_OPERATION_NAME: "chat",
        G.GEN_AI_RESPONSE_ID: "chatcmpl-1",
        G.GEN_AI_RESPONSE_MODEL: "m",
        G.GEN_AI_INPUT_MESSAGES: json.dumps([{"role": "user", "parts": [{"type": "text", "content": "hotel?"}]}]),
        G.GEN_AI_OUTPUT_MESSAGES: json.dumps(answer),
        G.GEN_AI_TOOL_DEFINITIONS: json.dumps(tools),
    }
    OpenInferenceView(ON)(_ended("chat m"), attributes)
    assert attributes[OI.OPENINFERENCE_SPAN_KIND] == "LLM"
    assert (attributes[OI.OI_OUTPUT_VALUE], attributes[OI.OI_OUTPUT_MIME_TYPE]) == (
        "Central Plaza, 180 USD",
        "text/plain",
    )
    assert json.loads(attributes[OI.OI_INPUT_VALUE])[0]["role"] == "user"
    schema = json.loads(attributes["llm.tools.0.tool.json_schema"])
    assert schema == {
        "type": "function",
        "function": {"name": "get_rate", "description": "rates", "parameters": {"type": "object"}},
    }


def test_tool_call_only_response_shows_the_calls() -> None:
    calls = [{"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "f", "arguments": {}}]}]
    attributes: dict[str, Any] = {G.GEN_AI_OPERATION_NAME: "chat", G.GEN_AI_OUTPUT_MESSAGES: json.dumps(calls)}
    OpenInferenceView(ON)(_ended("chat m"), attributes)
    assert json.loads(attributes[OI.OI_OUTPUT_VALUE]) == calls
    assert attributes[OI.OI_OUTPUT_MIME_TYPE] == "application/json"


@pytest.mark.parametrize(
    ("attributes", "kind"),
    [
        ({G.GEN_AI_OPERATION_NAME: "chat"}, "LLM"),
        ({G.GEN_AI_OPERATION_NAME: "text_completion"}, "LLM"),
        ({G.GEN_AI_OPERATION_NAME: "generate_content"}, "LLM"),
        ({G.GEN_AI_OPERATION_NAME: "embeddings"}, "EMBEDDING"),
        ({G.GEN_AI_OPERATION_NAME: "retrieval"}, "RETRIEVER"),
        ({G.GEN_AI_OPERATION_NAME: "execute_tool"}, "TOOL"),
        ({G.GEN_AI_OPERATION_NAME: "invoke_agent"}, "AGENT"),
        ({G.GEN_AI_OPERATION_NAME: "create_agent"}, "AGENT"),
        ({G.GEN_AI_OPERATION_NAME: "invoke_workflow"}, "CHAIN"),
        ({G.GEN_AI_OPERATION_NAME: "plan"}, "CHAIN"),
        ({D.DECISION_NAME: "route", A.AGENT_STEP_ACTION_TYPE: "decision"}, "CHAIN"),
        ({A.AGENT_STEP_ACTION_TYPE: "retrieval"}, "CHAIN"),
        ({A.AGENT_RUN_ID: "r", "http.request.method": "GET"}, "CHAIN"),
        ({G.GEN_AI_REQUEST_MODEL: "m"}, "LLM"),
        ({G.GEN_AI_REQUEST_MODEL: "m", A.SESSION_ID: "s", A.AGENT_RUN_ID: "r"}, "LLM"),
        ({"http.request.method": "GET"}, "UNKNOWN"),
        ({}, "UNKNOWN"),
    ],
)
def test_span_kind_table(attributes: dict[str, Any], kind: str) -> None:
    assert span_kind(attributes) == kind


def test_a_span_outside_runs_without_genai_structure_gets_nothing() -> None:
    attributes: dict[str, Any] = {"http.request.method": "GET", "url.full": "http://x/"}
    OpenInferenceView(ON)(_ended("GET"), attributes)
    assert attributes == {"http.request.method": "GET", "url.full": "http://x/"}


def test_what_a_span_already_says_is_kept() -> None:
    attributes: dict[str, Any] = {
        OI.OPENINFERENCE_SPAN_KIND: "LLM",
        OI.OI_INPUT_VALUE: "theirs",
        OI.OI_SESSION_ID: "their-session",
        G.GEN_AI_OPERATION_NAME: "execute_tool",
        G.GEN_AI_TOOL_CALL_ARGUMENTS: '{"a":1}',
        A.SESSION_ID: "ours",
    }
    OpenInferenceView(ON)(_ended("x"), attributes)
    assert attributes[OI.OPENINFERENCE_SPAN_KIND] == "LLM"
    assert attributes[OI.OI_INPUT_VALUE] == "theirs"
    assert OI.OI_INPUT_MIME_TYPE not in attributes
    assert attributes[OI.OI_SESSION_ID] == "their-session"
    assert OI.OPENINFERENCE_DERIVED not in attributes


def test_copies_are_redacted_like_the_original() -> None:
    transformer = SpanTransformer(max_attribute_bytes=4096, max_span_bytes=65536, enrichers=[OpenInferenceView(ON)])
    out = transformer.export_form(
        _ended("step s", **{A.AGENT_STEP_ACTION_TYPE: "reasoning", A.AGENT_STEP_INPUT: json.dumps({"key": SECRET})})
    )
    assert out is not None
    attributes: dict[str, Any] = dict(out.attributes or {})
    assert SECRET not in attributes[OI.OI_INPUT_VALUE]
    assert SECRET not in attributes[A.AGENT_STEP_INPUT]
    assert "REDACTED" in attributes[OI.OI_INPUT_VALUE]


def test_copies_never_cost_our_own_attributes_their_budget() -> None:
    """A span near its budget: our values come out exactly as without the view; the copies are cut and listed."""
    big_in = json.dumps({"text": "x" * 3000})
    big_out = json.dumps({"text": "y" * 3000})
    attributes = {A.AGENT_STEP_ACTION_TYPE: "reasoning", A.AGENT_STEP_INPUT: big_in, A.AGENT_STEP_OUTPUT: big_out}
    settings = Settings(capture_content=True, max_attribute_bytes=4096, max_span_bytes=8192)

    def export(enrichers: list[Any]) -> ReadableSpan:
        transformer = SpanTransformer(max_attribute_bytes=4096, max_span_bytes=8192, enrichers=enrichers)
        out = transformer.export_form(_ended("step s", **attributes))
        assert out is not None
        return out

    plain = dict(export([]).attributes or {})
    exported = export([OpenInferenceView(settings)])
    viewed: dict[str, Any] = dict(exported.attributes or {})
    assert viewed[A.AGENT_STEP_INPUT] == plain[A.AGENT_STEP_INPUT] == big_in
    assert viewed[A.AGENT_STEP_OUTPUT] == plain[A.AGENT_STEP_OUTPUT] == big_out
    assert viewed[A.TRUNCATED] == (OI.OI_INPUT_VALUE, OI.OI_OUTPUT_VALUE)  # both copies cut to the room left
    for key in (OI.OI_INPUT_VALUE, OI.OI_OUTPUT_VALUE):
        assert json.loads(viewed[key])["text"].startswith(("xxxx", "yyyy"))  # still valid JSON, cut inside
    assert span_bytes(exported) <= 8192


def test_a_copy_without_room_is_left_out_and_listed() -> None:
    attributes: dict[str, Any] = {
        A.AGENT_STEP_ACTION_TYPE: "reasoning",
        A.AGENT_STEP_INPUT: json.dumps({"text": "x" * 3750}),
        A.AGENT_STEP_OUTPUT: json.dumps({"text": "y" * 3750}),
    }
    OpenInferenceView(Settings(capture_content=True, max_attribute_bytes=4096, max_span_bytes=8192))(
        _ended("step s"), attributes
    )
    assert OI.OI_INPUT_VALUE not in attributes and OI.OI_OUTPUT_VALUE not in attributes
    assert OI.OI_INPUT_MIME_TYPE not in attributes
    dropped = (OI.OI_INPUT_VALUE, OI.OI_OUTPUT_VALUE, OI.OI_METADATA, OI.OI_TAG_TAGS)
    assert attributes[A.TRUNCATED] == tuple(f"{key} (dropped)" for key in dropped)  # context too, after the copies
    assert attributes[OI.OPENINFERENCE_SPAN_KIND] == "CHAIN"  # the kind and the ids are always there


def test_tool_definitions_beyond_the_room_are_listed() -> None:
    tools = [{"type": "function", "name": f"t{i}", "description": "d" * 400} for i in range(40)]
    attributes: dict[str, Any] = {G.GEN_AI_OPERATION_NAME: "chat", G.GEN_AI_TOOL_DEFINITIONS: json.dumps(tools)}
    OpenInferenceView(Settings(capture_content=True, max_span_bytes=32768))(_ended("chat m"), attributes)
    kept = [k for k in attributes if k.startswith("llm.tools.")]
    assert 0 < len(kept) < 40
    assert f"llm.tools: {40 - len(kept)} of 40 dropped" in attributes[A.TRUNCATED]


@pytest.mark.parametrize(
    "value",
    [
        "not json",
        "[1, 2",
        "{}",
        "[]",
        "null",
        '"just a string"',
        json.dumps([{"role": "assistant", "content": None, "parts": "nope"}]),
        json.dumps([[[[]]]]),
        "[" * 5000,
        "\ud800 lone surrogate",
        ("a", "b"),
        12,
    ],
)
def test_hostile_values_never_raise(value: Any) -> None:
    keys = (
        G.GEN_AI_OUTPUT_MESSAGES,
        G.GEN_AI_INPUT_MESSAGES,
        G.GEN_AI_TOOL_DEFINITIONS,
        A.AGENT_STEP_INPUT,
        D.DECISION_OPTIONS,
        D.DECISION_CHOSEN,
        A.TAGS,
        A.TRUNCATED,
    )
    for operation in ("chat", "execute_tool", None):
        attributes: dict[str, Any] = dict.fromkeys(keys, value)
        attributes[D.DECISION_NAME] = value
        if operation:
            attributes[G.GEN_AI_OPERATION_NAME] = operation
        OpenInferenceView(ON)(_ended("x"), attributes)
        assert isinstance(attributes[OI.OPENINFERENCE_SPAN_KIND], str)
    assert answer_text(value) is None or isinstance(answer_text(value), str)
    assert isinstance(typed(value)[0], str)


def test_semconv_strings_are_openinference_s() -> None:
    trace = pytest.importorskip("openinference.semconv.trace")
    attrs = trace.SpanAttributes
    assert OI.OPENINFERENCE_SPAN_KIND == attrs.OPENINFERENCE_SPAN_KIND
    for name in ("INPUT_VALUE", "INPUT_MIME_TYPE", "OUTPUT_VALUE", "OUTPUT_MIME_TYPE", "LLM_TOOLS", "AGENT_NAME"):
        assert getattr(OI, f"OI_{name}") == getattr(attrs, name), name
    for name in ("SESSION_ID", "USER_ID", "METADATA", "TAG_TAGS"):
        assert getattr(OI, f"OI_{name}") == getattr(attrs, name), name
    assert trace.ToolAttributes.TOOL_JSON_SCHEMA == OI.OI_TOOL_JSON_SCHEMA
    theirs = {e.value for e in trace.OpenInferenceSpanKindValues}
    assert {e.value for e in OI.OpenInferenceSpanKindValues} <= theirs
    assert {e.value for e in OI.OpenInferenceMimeTypeValues} == {e.value for e in trace.OpenInferenceMimeTypeValues}


def test_our_store_reads_back_without_the_openinference_mapping(tmp_path: Any) -> None:
    from otel_agent_trace._internal.settings import set_settings
    from otel_agent_trace._internal.tracing import set_default_tracer_provider
    from otel_agent_trace.configuration import init
    from otel_agent_trace.model import load_spans

    provider = init(
        "t", exporters="file", store_dir=tmp_path, capture_content=True, instrumentors="none", set_global=False
    )
    try:
        _agent()
    finally:
        provider.shutdown()
        set_default_tracer_provider(None)
        set_settings(None)
    spans = {s.name: s for s in load_spans(tmp_path)}
    assert spans["execute_tool get_rate"].attributes[OI.OPENINFERENCE_DERIVED] is True
    for name in ("execute_tool get_rate", "decision tier", "invoke_agent booker"):
        attributes = spans[name].attributes
        assert A.AGENT_STEP_INPUT not in attributes and A.AGENT_STEP_NAME not in attributes, name


@pytest.mark.parametrize("capture", [True, False])
@pytest.mark.parametrize("size", [100, 1500, 2999, 3600, *range(3900, 4000, 7), 5000, 9000])
def test_our_attributes_come_out_as_without_the_view_at_any_size(capture: bool, size: int) -> None:
    attributes = {
        A.AGENT_STEP_ACTION_TYPE: "reasoning",
        A.AGENT_STEP_NAME: "n" * 300,
        A.AGENT_RUN_ID: "r" * 32,
        A.SESSION_ID: "s-1",
        A.AGENT_STEP_INPUT: json.dumps({"text": "x" * size}),
        A.AGENT_STEP_OUTPUT: "y" * (size // 2),
    }
    settings = Settings(capture_content=capture, max_attribute_bytes=4096, max_span_bytes=8192)

    def export(enrichers: list[Any]) -> ReadableSpan:
        transformer = SpanTransformer(max_attribute_bytes=4096, max_span_bytes=8192, enrichers=enrichers)
        out = transformer.export_form(_ended("step s", **attributes))
        assert out is not None
        return out

    plain = dict(export([]).attributes or {})
    viewed = export([OpenInferenceView(settings)])
    ours = {k: v for k, v in (viewed.attributes or {}).items() if k in plain and k != A.TRUNCATED}
    assert ours == {k: v for k, v in plain.items() if k != A.TRUNCATED}
    assert span_bytes(viewed) <= 8192
    if size < 3000:  # room left: the view is there
        assert dict(viewed.attributes or {})[OI.OPENINFERENCE_SPAN_KIND] == "CHAIN"

"""The checker itself finds what breaks a definition (so a passing conformance test means something)."""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.trace import SpanKind, Status, StatusCode

from tests.conformance._check import conformance_problems
from tests.conformance._spec import INVOKE_AGENT, OPENAI_INFERENCE, PLAN, Fact

CHAT = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "m",
    "openai.api.type": "chat_completions",
}


def _span(name: str, attributes: dict[str, Any], kind: SpanKind = SpanKind.CLIENT, error: bool = False) -> ReadableSpan:
    span = TracerProvider().get_tracer("t").start_span(name, kind=kind, attributes=attributes)
    if error:
        span.set_status(Status(StatusCode.ERROR))
    span.end()
    assert isinstance(span, ReadableSpan)
    return span


def test_a_conforming_span_has_no_problems() -> None:
    assert conformance_problems(_span("chat m", CHAT), OPENAI_INFERENCE, {Fact.MODEL}) == []


def test_missing_required_and_conditional_attributes_are_found() -> None:
    attributes = {k: v for k, v in CHAT.items() if k != "gen_ai.provider.name"}
    problems = conformance_problems(_span("chat m", attributes), OPENAI_INFERENCE, {Fact.MODEL, Fact.SEED})
    assert any(p.startswith("gen_ai.provider.name (Required") for p in problems)
    assert any(p.startswith("gen_ai.request.seed (Conditionally Required") for p in problems)


def test_wrong_values_types_kind_and_name_are_found() -> None:
    attributes = {**CHAT, "gen_ai.provider.name": "OpenAI", "gen_ai.request.seed": "7"}
    problems = conformance_problems(
        _span("completion", attributes, SpanKind.INTERNAL), OPENAI_INFERENCE, {Fact.MODEL, Fact.SEED}
    )
    assert len(problems) == 4, problems  # kind, name, provider value, seed type
    assert any("span kind INTERNAL" in p for p in problems)
    assert any("span name 'completion'" in p for p in problems)


def test_if_and_only_if_and_opt_in_rules() -> None:
    attributes = {**CHAT, "gen_ai.request.stream": True, "gen_ai.tool.definitions": '[{"type": "function"}]'}
    problems = conformance_problems(_span("chat m", attributes), OPENAI_INFERENCE, {Fact.MODEL})
    assert any(p.startswith("gen_ai.request.stream") and "set although not" in p for p in problems)
    assert any(p.startswith("gen_ai.tool.definitions") and "without content capture" in p for p in problems)
    with_content = conformance_problems(_span("chat m", attributes), OPENAI_INFERENCE, {Fact.MODEL, Fact.CONTENT})
    assert any("lacks a string type and name" in p for p in with_content)  # the Tool Definitions schema


def test_error_status_must_match_and_carry_error_type() -> None:
    problems = conformance_problems(_span("chat m", CHAT, error=True), OPENAI_INFERENCE, {Fact.MODEL, Fact.ERROR})
    assert [p for p in problems if p.startswith("error.type")], problems
    assert conformance_problems(_span("chat m", CHAT, error=True), OPENAI_INFERENCE, {Fact.MODEL}) != []


def test_agent_without_provider_and_plan_name_deviation() -> None:
    agent = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "a"}
    problems = conformance_problems(_span("invoke_agent a", agent, SpanKind.INTERNAL), INVOKE_AGENT, {Fact.AGENT_NAME})
    assert problems == ["gen_ai.provider.name (Required) missing"]
    plan = {"gen_ai.operation.name": "plan", "gen_ai.agent.name": "a", "agent_trace.step.name": "draft"}
    span = _span("step draft", plan, SpanKind.INTERNAL)
    assert conformance_problems(span, PLAN, {Fact.AGENT_NAME}) == []  # the documented name deviation


def test_our_constants_are_the_upstream_strings() -> None:
    """The names we emit are the registry's (semconv/gen_ai.py keeps its own constants with the same strings)."""
    from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as upstream
    from opentelemetry.semconv._incubating.attributes import openai_attributes as upstream_openai

    from otel_agent_trace.semconv import gen_ai as ours

    for name in ("OPENAI_API_TYPE", "OPENAI_REQUEST_SERVICE_TIER", "OPENAI_RESPONSE_SERVICE_TIER"):
        assert getattr(ours, name) == getattr(upstream_openai, name)
    assert ours.OPENAI_RESPONSE_SYSTEM_FINGERPRINT == upstream_openai.OPENAI_RESPONSE_SYSTEM_FINGERPRINT
    for name in ("GEN_AI_REQUEST_CHOICE_COUNT", "GEN_AI_REQUEST_FREQUENCY_PENALTY", "GEN_AI_REQUEST_PRESENCE_PENALTY"):
        assert getattr(ours, name) == getattr(upstream, name)
    assert {v.value for v in ours.OpenaiApiTypeValues} == {"chat_completions", "responses"}
    assert ours.GenAiOperationNameValues.PLAN.value == "plan"  # a well-known value in the current spec (_spec.PLAN)

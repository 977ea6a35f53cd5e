"""The peer machinery on its own, in the project's environment (no peer installed here; tests/peers_env has them).

What is checked: with no peer, an LLM call's span and context are what they were before peers were handled; the
policy variable; an `AdoptedSpan` writes through to the peer's span and leaves its end to the peer; `past_peers`
never skips a wrapper that is not a peer's and never raises.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
import wrapt
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import _SUPPRESS_HTTP_INSTRUMENTATION_KEY, _SUPPRESS_INSTRUMENTATION_KEY
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from otel_agent_trace.environment_variables import OTEL_AGENT_TRACE_PEER_POLICY
from otel_agent_trace.instrumentation import _peers


@pytest.fixture
def tracer_and_exporter() -> tuple[trace.Tracer, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("test"), exporter


def test_no_peer_installed_ours_is_a_plain_span_with_http_suppressed_only(tracer_and_exporter):
    tracer, exporter = tracer_and_exporter
    assert _peers.active_peers("openai") == ()
    span, token = _peers.start_llm_span(
        "openai", tracer, "chat m", kind=SpanKind.CLIENT, attributes={"gen_ai.request.model": "m"}, suppress_http=True
    )
    try:
        assert trace.get_current_span() is span
        assert otel_context.get_value(_SUPPRESS_HTTP_INSTRUMENTATION_KEY) is True
        assert otel_context.get_value(_SUPPRESS_INSTRUMENTATION_KEY) is None
        assert otel_context.get_value(_peers.OPENLLMETRY_SUPPRESS_KEY) is None
    finally:
        otel_context.detach(token)
    span.end()
    (finished,) = exporter.get_finished_spans()
    assert finished.name == "chat m" and finished.attributes["gen_ai.request.model"] == "m"


@pytest.mark.parametrize(
    ("value", "expected"), [(None, "ours"), ("theirs", "theirs"), (" BOTH ", "both"), ("ours", "ours")]
)
def test_policy_from_the_environment(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv(OTEL_AGENT_TRACE_PEER_POLICY, raising=False)
    else:
        monkeypatch.setenv(OTEL_AGENT_TRACE_PEER_POLICY, value)
    assert _peers.policy() == expected


def test_unknown_policy_warns_once_and_means_ours(monkeypatch, caplog):
    monkeypatch.setenv(OTEL_AGENT_TRACE_PEER_POLICY, "mine-please")
    with caplog.at_level(logging.WARNING, logger="otel_agent_trace"):
        assert _peers.policy() == "ours"
        assert _peers.policy() == "ours"
    assert len([r for r in caplog.records if "mine-please" in r.getMessage()]) == 1


def test_adopted_span_writes_through_and_leaves_the_end_to_its_owner(tracer_and_exporter):
    tracer, exporter = tracer_and_exporter
    peer_span = tracer.start_span("openai.chat")
    adopted = _peers.AdoptedSpan(peer_span)
    adopted.set_attributes({"gen_ai.usage.input_tokens": 19})
    adopted.set_attribute("gen_ai.response.id", "r-1")
    adopted.record_exception(ValueError("the peer records this itself"))
    adopted.update_name("chat m")
    adopted.end()
    assert adopted.is_recording() and adopted.get_span_context() == peer_span.get_span_context()
    assert exporter.get_finished_spans() == ()
    peer_span.end()
    (finished,) = exporter.get_finished_spans()
    assert finished.name == "openai.chat"
    assert finished.attributes["gen_ai.usage.input_tokens"] == 19 and finished.attributes["gen_ai.response.id"] == "r-1"
    assert finished.events == ()


class Target:
    def create(self, value: int) -> int:
        return value


def test_past_peers_keeps_a_wrapper_that_is_not_a_peers(monkeypatch):
    calls: list[str] = []

    def users_wrapper(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        calls.append("user")
        return wrapped(*args, **kwargs)

    monkeypatch.setattr(Target, "create", wrapt.FunctionWrapper(Target.__dict__["create"], users_wrapper))
    bound = Target().create
    assert _peers.past_peers(bound) is bound
    assert _peers.past_peers(bound)(3) == 3
    assert calls == ["user"]


class Hostile(wrapt.ObjectProxy):  # type: ignore[misc]
    """A proxy whose attributes raise: past_peers must hand it back, not fail the call."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(name)


def test_past_peers_never_raises_on_a_hostile_callable():
    hostile = Hostile(lambda: 7)
    assert _peers.past_peers(hostile) is hostile
    plain = Target().create
    assert _peers.past_peers(plain) is plain

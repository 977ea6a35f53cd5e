"""``init()`` and the user's own TracerProvider: attach to it, never build a second one beside it.

Each test starts with no global provider (OTel's set-once guard is reset and restored), so the combinations of
docs/setup.md are tried as a program would meet them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.util._once import Once

import otel_agent_trace as oat
from otel_agent_trace._internal import settings as settings_mod
from otel_agent_trace._internal.tracing import set_default_tracer_provider
from otel_agent_trace.configuration import _init as init_mod
from otel_agent_trace.configuration import init
from otel_agent_trace.processor import AgentSpanProcessor


@pytest.fixture(autouse=True)
def fresh_globals() -> Iterator[None]:
    """No global provider before the test; the one before it back afterwards."""
    saved = (trace._TRACER_PROVIDER, trace._TRACER_PROVIDER_SET_ONCE)
    trace._TRACER_PROVIDER = None
    trace._TRACER_PROVIDER_SET_ONCE = Once()
    init_mod._warned.clear()
    init_mod._beside_global[0] = None
    try:
        yield
    finally:
        trace._TRACER_PROVIDER, trace._TRACER_PROVIDER_SET_ONCE = saved
        set_default_tracer_provider(None)
        settings_mod.set_settings(None)
        init_mod._warned.clear()
        init_mod._beside_global[0] = None


class SeenAtStart(SpanProcessor):
    """A user's processor that reads the attributes in ``on_start`` (what ours set there must already be there)."""

    def __init__(self) -> None:
        self.session_ids: list[object] = []

    def on_start(self, span: object, parent_context: object = None) -> None:
        self.session_ids.append((getattr(span, "attributes", None) or {}).get("agent_trace.session.id"))


def user_provider() -> tuple[TracerProvider, InMemorySpanExporter, SeenAtStart]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    seen = SeenAtStart()
    provider.add_span_processor(seen)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter, seen


def processors_of(provider: TracerProvider) -> tuple[SpanProcessor, ...]:
    return tuple(provider._active_span_processor._span_processors)


def run_agent() -> None:
    with oat.agent_session("s-1", user_id="alice"), oat.agent_run("planner"), oat.step("plan"):
        pass


def by_name(spans: list[ReadableSpan]) -> dict[str, ReadableSpan]:
    return {span.name: span for span in spans}


def test_global_sdk_provider_gets_our_processor_first_and_its_exporter_our_enriched_spans(caplog):
    provider, exporter, seen = user_provider()
    trace.set_tracer_provider(provider)
    with caplog.at_level(logging.WARNING):
        returned = init("svc", exporters="none", instrumentors="none")
    assert returned is provider
    assert trace.get_tracer_provider() is provider
    assert isinstance(processors_of(provider)[0], AgentSpanProcessor)
    assert processors_of(provider)[1:] == (seen, processors_of(provider)[2])
    run_agent()
    spans = by_name(list(exporter.get_finished_spans()))
    assert set(spans) == {"invoke_agent planner", "step plan"}
    step = spans["step plan"]
    assert step.attributes["agent_trace.session.id"] == "s-1"
    assert step.attributes["agent_trace.user.id"] == "alice"
    assert step.attributes["agent_trace.run.id"] == spans["invoke_agent planner"].attributes["agent_trace.run.id"]
    assert seen.session_ids == ["s-1", "s-1"]  # ours ran first: the user's on_start saw the stamps
    assert "Overriding" not in caplog.text


def test_our_exporters_are_added_beside_the_users(tmp_path):
    provider, exporter, _ = user_provider()
    trace.set_tracer_provider(provider)
    init(exporters="file", store_dir=tmp_path, instrumentors="none")
    run_agent()
    provider.force_flush()
    assert len(exporter.get_finished_spans()) == 2
    stored = "".join(p.read_text() for p in tmp_path.rglob("*.jsonl"))
    assert "invoke_agent planner" in stored and "step plan" in stored


def test_provider_passed_explicitly_is_used_and_made_global_when_none_is():
    provider, exporter, _ = user_provider()
    assert init(exporters="none", instrumentors="none", tracer_provider=provider) is provider
    assert trace.get_tracer_provider() is provider
    run_agent()
    assert by_name(list(exporter.get_finished_spans()))["step plan"].attributes["agent_trace.session.id"] == "s-1"


def test_provider_passed_explicitly_beside_another_global_one_is_used_and_the_global_left_alone(caplog):
    other = TracerProvider()
    trace.set_tracer_provider(other)
    provider, exporter, _ = user_provider()
    with caplog.at_level(logging.WARNING):
        assert init(exporters="none", instrumentors="none", tracer_provider=provider) is provider
    assert trace.get_tracer_provider() is other
    assert "Overriding" not in caplog.text
    run_agent()  # the manual API uses the provider init() was given
    assert len(exporter.get_finished_spans()) == 2


def test_set_global_false_builds_a_private_provider_even_beside_a_global_sdk_one():
    provider, _exporter, _ = user_provider()
    trace.set_tracer_provider(provider)
    ours = init(exporters="none", instrumentors="none", set_global=False)
    assert ours is not provider
    assert not any(isinstance(p, AgentSpanProcessor) for p in processors_of(provider))


class VendorProvider(trace.TracerProvider):
    """A provider that is not the SDK's: nothing can be added to it."""

    def get_tracer(self, *args: object, **kwargs: object) -> trace.Tracer:
        return trace.NoOpTracer()


def test_non_sdk_global_provider_warns_once_and_ours_is_built(caplog, tmp_path):
    vendor = VendorProvider()
    trace.set_tracer_provider(vendor)
    with caplog.at_level(logging.WARNING, logger="otel_agent_trace"):
        ours = init(exporters="file", store_dir=tmp_path, instrumentors="none")
        assert init(exporters="file", store_dir=tmp_path, instrumentors="none") is ours
    assert isinstance(ours, TracerProvider)
    assert trace.get_tracer_provider() is vendor
    warnings = [r for r in caplog.records if "not an OpenTelemetry SDK TracerProvider" in r.getMessage()]
    assert len(warnings) == 1 and "VendorProvider" in warnings[0].getMessage()
    run_agent()
    ours.force_flush()
    assert "step plan" in "".join(p.read_text() for p in tmp_path.rglob("*.jsonl"))


def test_non_sdk_provider_passed_explicitly_warns_and_ours_is_built(caplog):
    with caplog.at_level(logging.WARNING, logger="otel_agent_trace"):
        ours = init(exporters="none", instrumentors="none", tracer_provider=VendorProvider())  # type: ignore[arg-type]
    assert isinstance(ours, TracerProvider)
    assert "VendorProvider" in caplog.text


def test_no_provider_builds_ours_and_makes_it_global():
    ours = init(exporters="none", instrumentors="none")
    assert trace.get_tracer_provider() is ours


def test_second_init_adds_nothing_and_returns_the_same_provider(caplog):
    provider, exporter, _ = user_provider()
    trace.set_tracer_provider(provider)
    first = init(exporters="none", instrumentors="none")
    count = len(processors_of(provider))
    with caplog.at_level(logging.WARNING, logger="otel_agent_trace"):
        second = init(exporters="console", instrumentors="none")
        third = init(instrumentors="none", tracer_provider=provider)
    assert first is second is third is provider
    assert len(processors_of(provider)) == count
    assert "already called" in caplog.text
    run_agent()
    assert len(exporter.get_finished_spans()) == 2  # not stamped or exported twice

    ours = init(exporters="none", instrumentors="none", tracer_provider=TracerProvider())
    again = init(exporters="none", instrumentors="none", tracer_provider=ours)
    assert again is ours

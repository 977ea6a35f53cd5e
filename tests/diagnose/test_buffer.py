"""The recent-spans buffer: references stored as is, bounds by spans and traces, losses counted by reason."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import format_span_id

import otel_agent_trace as oat
from otel_agent_trace._internal import recent as recent_mod
from otel_agent_trace._internal.settings import ConfigurationError, Settings
from otel_agent_trace.processor import AgentSpanProcessor, RecentSpans
from otel_agent_trace.processor._recent import RUN_EVICTED, SPAN_LIMIT


def _provider(recent: RecentSpans) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(
        AgentSpanProcessor(SimpleSpanProcessor(InMemorySpanExporter()), settings=Settings(), recent=recent)
    )
    return provider


def test_spans_are_kept_by_reference_and_replaced_when_they_end() -> None:
    recent = RecentSpans(10)
    tracer = _provider(recent).get_tracer("t")
    with tracer.start_as_current_span("run") as run:
        child = tracer.start_span("child")
        held = recent._traces[run.get_span_context().trace_id].spans
        assert held[child.get_span_context().span_id] is child  # the live span itself: nothing converted
        child.end()
        ended = held[child.get_span_context().span_id]
        assert ended.end_time is not None  # the ended form the processor prepared (values sliced, no copy of data)
        assert ended.attributes is not None
        assert held[run.get_span_context().span_id] is run
    assert len(recent) == 2


def test_open_spans_are_copied_as_in_progress_without_touching_them() -> None:
    recent = RecentSpans(10)
    tracer = _provider(recent).get_tracer("t")
    with tracer.start_as_current_span("run") as run:
        with tracer.start_as_current_span("done"):
            pass
        held = recent.snapshot(run.get_span_context().trace_id)
        assert held is not None
        spans, open_ids, dropped = held
        assert open_ids == {format_span_id(run.get_span_context().span_id)}
        copy = next(s for s in spans if s.name == "run")
        assert copy is not run
        assert copy.end_time is not None and copy.end_time >= copy.start_time
        assert run.is_recording()  # the real span is still open
        assert dropped == 0


def test_one_long_trace_keeps_its_open_run_span_and_counts_the_forgotten() -> None:
    recent = RecentSpans(5)
    tracer = _provider(recent).get_tracer("t")
    with tracer.start_as_current_span("run") as run:
        for i in range(10):
            with tracer.start_as_current_span(f"step {i}"):
                pass
        trace_id = run.get_span_context().trace_id
        held = recent.snapshot(trace_id)
        assert held is not None
        spans, _open_ids, dropped = held
        names = [s.name for s in sorted(spans, key=lambda s: s.start_time or 0)]
        assert len(recent) == 5
        assert "run" in names  # the open run span survives
        assert names[-1] == "step 9"
        assert dropped == 6 == recent.dropped()[SPAN_LIMIT]
        # max_spans keeps the open spans and the latest ended ones
        spans, _, dropped = recent.snapshot(trace_id, max_spans=2) or ([], None, 0)
        assert sorted(s.name for s in spans) == ["run", "step 9"]
        assert dropped == 6 + 3


def test_least_recently_active_trace_goes_first_and_only_live_runs_count_as_lost() -> None:
    recent = RecentSpans(100, max_traces=2)
    tracer = _provider(recent).get_tracer("t")
    ids = []
    for name in ("a", "b"):
        with tracer.start_as_current_span(name) as span:
            ids.append(span.get_span_context().trace_id)
    live = tracer.start_span("live")  # a third trace, still open: evicts 'a' (finished, not a loss)
    assert recent.trace_ids() == [ids[1], live.get_span_context().trace_id]
    assert recent.dropped() == {SPAN_LIMIT: 0, RUN_EVICTED: 0}
    for name in ("d", "e"):  # two more traces: 'live' is evicted while open, a loss
        with tracer.start_as_current_span(name):
            pass
    assert recent.dropped()[RUN_EVICTED] == 1
    assert recent.snapshot(ids[0]) is None
    live.end()


def test_activity_keeps_a_trace_recent() -> None:
    recent = RecentSpans(100, max_traces=2)
    tracer = _provider(recent).get_tracer("t")
    first = tracer.start_span("first")
    with tracer.start_as_current_span("second") as second:
        pass
    first.end()  # 'first' becomes the most recently active
    with tracer.start_as_current_span("third"):
        pass
    assert first.get_span_context().trace_id in recent.trace_ids()
    assert second.get_span_context().trace_id not in recent.trace_ids()


def test_total_bound_across_traces_evicts_whole_old_traces() -> None:
    recent = RecentSpans(4, max_traces=10)
    tracer = _provider(recent).get_tracer("t")
    for name in ("a", "b", "c"):
        with tracer.start_as_current_span(name), tracer.start_as_current_span(name + "1"):
            pass
    assert len(recent) <= 4
    assert len(recent.trace_ids()) == 2


def test_processor_registers_its_buffer_and_forgets_it_at_shutdown() -> None:
    processor = AgentSpanProcessor(SimpleSpanProcessor(InMemorySpanExporter()), settings=Settings(diagnose_buffer=7))
    assert processor.recent is not None and processor.recent.max_spans == 7
    assert processor.recent in recent_mod.sources()
    processor.shutdown()
    assert processor.recent not in recent_mod.sources()
    assert (
        AgentSpanProcessor(SimpleSpanProcessor(InMemorySpanExporter()), settings=Settings(diagnose_buffer=0)).recent
        is None
    )


def test_buffer_size_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_AGENT_TRACE_DIAGNOSE_BUFFER", "0")
    assert Settings.from_env().diagnose_buffer == 0
    monkeypatch.setenv("OTEL_AGENT_TRACE_DIAGNOSE_BUFFER", "250")
    assert Settings.from_env().diagnose_buffer == 250
    monkeypatch.delenv("OTEL_AGENT_TRACE_DIAGNOSE_BUFFER")
    assert Settings.from_env().diagnose_buffer == 1000
    for bad in ("-1", "many"):
        monkeypatch.setenv("OTEL_AGENT_TRACE_DIAGNOSE_BUFFER", bad)
        with pytest.raises(ConfigurationError, match="OTEL_AGENT_TRACE_DIAGNOSE_BUFFER"):
            Settings.from_env()


@pytest.mark.parametrize(("given", "expected"), [(None, 1000), (0, 0), (32, 32)])
def test_init_diagnose_buffer(tmp_path: object, given: int | None, expected: int) -> None:
    from otel_agent_trace._internal import settings as settings_mod
    from otel_agent_trace._internal.tracing import set_default_tracer_provider

    provider = oat.init(
        "diag", exporters="file", store_dir=str(tmp_path), instrumentors="none", set_global=False, diagnose_buffer=given
    )
    try:
        ours = [p for p in provider._active_span_processor._span_processors if isinstance(p, AgentSpanProcessor)]
        assert len(ours) == 1
        assert (ours[0].recent.max_spans if ours[0].recent is not None else 0) == expected
    finally:
        provider.shutdown()
        set_default_tracer_provider(None)
        settings_mod.set_settings(None)
    with pytest.raises(ConfigurationError, match="diagnose_buffer"):
        oat.init("diag", exporters="none", instrumentors="none", set_global=False, diagnose_buffer=-3)

"""record_outcome against the real SDK (in-memory exporter behind our processor)."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
from opentelemetry.sdk.trace import ReadableSpan

from otel_agent_trace import agent_run, agent_step, record_outcome
from otel_agent_trace._internal import settings as settings_mod
from otel_agent_trace._internal.settings import Settings
from otel_agent_trace.exporters.file_store import FileSpanExporter
from otel_agent_trace.model.loaders import load_traces
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import evaluation as ev

from .conftest import recording


def _results(span: ReadableSpan) -> list[dict[str, object]]:
    return [dict(e.attributes or {}) for e in span.events if e.name == ev.GEN_AI_EVALUATION_RESULT_EVENT]


def test_failing_outcome_on_the_run_span_not_the_step(recorder):
    with agent_run("support"), agent_step("answer"):
        record_outcome(False, score=0.2, reason="wrong currency", evaluator="exact_match", name="correctness")

    run, step = recorder.by_name("invoke_agent support"), recorder.by_name("step answer")
    assert _results(step) == []
    [result] = _results(run)
    assert result == {
        ev.GEN_AI_EVALUATION_NAME: "correctness",
        ev.EVALUATION_SUCCESS: False,
        ev.GEN_AI_EVALUATION_SCORE_VALUE: 0.2,
        ev.GEN_AI_EVALUATION_SCORE_LABEL: "fail",
        ev.GEN_AI_EVALUATION_EXPLANATION: "wrong currency",
        ev.EVALUATION_EVALUATOR: "exact_match",
    }
    assert run.attributes[ev.EVALUATION_SUCCESS] is False  # mirrored on the span for UIs that hide events


def test_nearest_run_is_the_sub_agent(recorder):
    with agent_run("orchestrator"), agent_run("coder"):
        record_outcome(True)
    assert _results(recorder.by_name("invoke_agent orchestrator")) == []
    [result] = _results(recorder.by_name("invoke_agent coder"))
    assert result[ev.GEN_AI_EVALUATION_SCORE_LABEL] == "pass"
    assert result[ev.GEN_AI_EVALUATION_NAME] == ev.EVALUATION_DEFAULT_NAME


def test_without_a_run_it_goes_on_the_current_span(recorder):
    with agent_step("lonely"):
        record_outcome(False, label="incorrect")
    [result] = _results(recorder.by_name("step lonely"))
    assert result[ev.GEN_AI_EVALUATION_SCORE_LABEL] == "incorrect"


def test_expected_and_actual_are_content(recorder):
    with agent_run("a"):
        record_outcome(False, expected={"total": 12}, actual="13", reason="off by one")
    [result] = _results(recorder.by_name("invoke_agent a"))
    assert ev.EVALUATION_EXPECTED not in result
    assert ev.EVALUATION_ACTUAL not in result
    assert result[ev.GEN_AI_EVALUATION_EXPLANATION] == "off by one"


def test_expected_and_actual_with_content_capture(content_recorder):
    with agent_run("a"):
        record_outcome(False, expected={"total": 12}, actual="13")
    [result] = _results(content_recorder.by_name("invoke_agent a"))
    assert json.loads(str(result[ev.EVALUATION_EXPECTED])) == {"total": 12}
    assert result[ev.EVALUATION_ACTUAL] == "13"


def test_texts_are_bounded_and_redacted():
    with recording(Settings(capture_content=True, max_attribute_bytes=256)) as rec:
        with agent_run("a"):
            record_outcome(False, actual="x" * 1_000_000, reason="key sk-abcdefghijklmnopqrstuvwxyz0123456789 leaked")
        [result] = _results(rec.by_name("invoke_agent a"))
    actual = str(result[ev.EVALUATION_ACTUAL])
    assert len(actual.encode()) <= 256
    assert "truncated" in actual
    assert "sk-abcdefghijklmnopqrstuvwxyz0123456789" not in str(result[ev.GEN_AI_EVALUATION_EXPLANATION])


@pytest.mark.parametrize("score", [math.nan, math.inf, "0.5", True, object()])
def test_bad_scores_are_left_out(recorder, score):
    with agent_run("a"):
        record_outcome(True, score=score)
    [result] = _results(recorder.by_name("invoke_agent a"))
    assert ev.GEN_AI_EVALUATION_SCORE_VALUE not in result


def test_by_trace_id_after_the_run_ended(recorder):
    with agent_run("support") as run:
        pass
    with agent_run("evaluator"):  # the evaluator's own run must not leak onto the evaluation span
        record_outcome(False, trace_id=run.trace_id, span_id=run.span_id, reason="wrong answer", evaluator="judge")

    root = recorder.by_name("invoke_agent support")
    deferred = recorder.by_name("evaluate outcome")
    assert deferred.context.trace_id == root.context.trace_id
    assert deferred.parent.span_id == root.context.span_id
    assert deferred.attributes[ev.EVALUATION_DEFERRED] is True
    assert deferred.attributes[ev.EVALUATION_TARGET_SPAN_ID] == run.span_id
    assert A.AGENT_RUN_ID not in deferred.attributes
    [result] = _results(deferred)
    assert result[ev.EVALUATION_SUCCESS] is False
    assert result[ev.EVALUATION_TARGET_SPAN_ID] == run.span_id


def test_by_trace_id_without_span_id_and_with_int_ids(recorder):
    with agent_run("support") as run:
        pass
    record_outcome(False, trace_id=int(run.trace_id, 16))
    deferred = recorder.by_name("evaluate outcome")
    assert deferred.context.trace_id == int(run.trace_id, 16)
    assert ev.EVALUATION_TARGET_SPAN_ID not in deferred.attributes
    assert len(_results(deferred)) == 1


def test_on_a_span_that_already_ended_it_goes_beside_it(recorder):
    handle = agent_run("late").start()
    handle.stop()
    record_outcome(False, span=handle.span)
    deferred = recorder.by_name("evaluate outcome")
    assert deferred.parent.span_id == handle.span.get_span_context().span_id


@pytest.mark.parametrize(
    ("trace_id", "span_id"), [("not hex", None), ("0" * 32, None), ("ab" * 16, "zz"), (-1, None), (1 << 200, None)]
)
def test_bad_ids_never_raise_and_emit_nothing(recorder, trace_id, span_id, caplog):
    assert record_outcome(False, trace_id=trace_id, span_id=span_id) is None
    assert recorder.spans() == []


def test_read_back_by_the_model_from_the_file_store(tmp_path):
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    from otel_agent_trace._internal.tracing import set_default_tracer_provider
    from otel_agent_trace.processor import AgentSpanProcessor

    settings_mod.set_settings(Settings())
    provider = TracerProvider()
    provider.add_span_processor(AgentSpanProcessor(SimpleSpanProcessor(FileSpanExporter(tmp_path))))
    set_default_tracer_provider(provider)
    try:
        with agent_run("support") as run:
            record_outcome(False, reason="live")
        record_outcome(False, trace_id=run.trace_id, span_id=run.span_id, reason="afterwards")
    finally:
        set_default_tracer_provider(None)
        settings_mod.set_settings(None)
    [trace] = load_traces(tmp_path)
    events = [(s.name, e) for s in trace.spans for e in s.events if e.name == ev.GEN_AI_EVALUATION_RESULT_EVENT]
    assert [(name, e.attributes[ev.GEN_AI_EVALUATION_EXPLANATION]) for name, e in events] == [
        ("invoke_agent support", "live"),
        ("evaluate outcome", "afterwards"),
    ]


def test_no_sdk_is_a_no_op():
    code = (
        "from otel_agent_trace import agent_run, record_outcome\n"
        "with agent_run('a') as r:\n"
        "    record_outcome(False, reason='x')\n"
        "record_outcome(False, trace_id='ab'*16, span_id='cd'*8)\n"
        "import sys; print(any(m.startswith('opentelemetry.sdk') for m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    assert out.stderr == ""


@pytest.mark.parametrize("deferred", [False, True])
def test_the_rca_reads_the_verdict_live_or_deferred(tmp_path, deferred):
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    from otel_agent_trace._internal.tracing import set_default_tracer_provider
    from otel_agent_trace.processor import AgentSpanProcessor
    from otel_agent_trace.rca import analyze

    settings = Settings(capture_content=True)
    settings_mod.set_settings(settings)
    provider = TracerProvider()
    provider.add_span_processor(AgentSpanProcessor(SimpleSpanProcessor(FileSpanExporter(tmp_path)), settings=settings))
    set_default_tracer_provider(provider)
    try:
        with agent_run("calc") as run:
            with agent_step("add") as s:
                s.set_output(5800.0)
            if not deferred:
                record_outcome(False, expected="580.0", actual="5800.0", reason="10x too large")
        if deferred:
            record_outcome(False, trace_id=run.trace_id, span_id=run.span_id, expected="580.0", reason="10x too large")
    finally:
        set_default_tracer_provider(None)
        settings_mod.set_settings(None)
    [trace] = load_traces(tmp_path)
    report = analyze(trace)
    assert report.failure is not None
    assert (report.failure.kind, report.failure.span_id) == ("evaluation", run.span_id)
    assert report.failure.expected == "580.0"
    assert "10x too large" in report.failure.detail
    assert all(not c.name.startswith("evaluate ") for c in report.candidates)

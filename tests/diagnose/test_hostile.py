"""diagnose() never raises: odd arguments, internal faults, huge payloads; concurrent runs do not mix."""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import otel_agent_trace as oat
from otel_agent_trace._internal import recent as recent_mod
from otel_agent_trace._internal.errors import reset_internal_error_log
from otel_agent_trace._internal.settings import Settings

from .agents import hotel_agent
from .conftest import Bench, diagnosing


class Hostile:
    def __str__(self) -> str:
        raise RuntimeError("no str for you")

    def __bool__(self) -> bool:
        raise RuntimeError("no bool either")


_texts = st.one_of(st.none(), st.text(max_size=200), st.just("\x00" * 50), st.just("\ud800"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    failed=st.one_of(st.none(), st.booleans()),
    expected=_texts,
    reason=_texts,
    max_spans=st.integers(min_value=-(10**12), max_value=10**12),
    trace_id=st.one_of(st.none(), st.text(max_size=40), st.integers(min_value=-(2**130), max_value=2**130)),
    max_chars=st.integers(min_value=-10, max_value=5000),
)
def test_any_arguments(
    bench: Bench,
    failed: bool | None,
    expected: str | None,
    reason: str | None,
    max_spans: int,
    trace_id: str | int | None,
    max_chars: int,
) -> None:
    def handler() -> Any:
        return oat.diagnose(failed=failed, expected=expected, reason=reason, max_spans=max_spans, trace_id=trace_id)

    diagnosis = hotel_agent(on_failure=handler)(160)
    assert diagnosis is None or isinstance(diagnosis, oat.Diagnosis)
    if diagnosis is not None:
        assert len(diagnosis.to_prompt(max_chars=max_chars)) <= max(200, max_chars)
        json.dumps(diagnosis.to_dict())


def test_hostile_objects_as_arguments(bench: Bench) -> None:
    for kwargs in ({"expected": Hostile()}, {"reason": Hostile()}, {"failed": Hostile()}, {"max_spans": Hostile()}):
        assert hotel_agent(on_failure=lambda kw=kwargs: oat.diagnose(**kw))(160) is None  # type: ignore[arg-type]


def test_internal_fault_is_logged_and_swallowed(
    bench: Bench, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(trace_id: int, max_spans: int) -> None:
        raise RuntimeError("buffer exploded")

    reset_internal_error_log()
    monkeypatch.setattr("otel_agent_trace.api._diagnose.find_recent", broken)
    with caplog.at_level(logging.WARNING, logger="otel_agent_trace"):
        assert hotel_agent(on_failure=oat.diagnose)(160) is None
    assert "otel_agent_trace.diagnose" in caplog.text


def test_a_source_that_returns_garbage(bench: Bench, monkeypatch: pytest.MonkeyPatch) -> None:
    class Garbage:
        def recent_trace(self, trace_id: int, max_spans: int) -> recent_mod.RecentTrace:
            return recent_mod.RecentTrace({"resourceSpans": "nope"}, frozenset(), 0)

        def dropped(self) -> dict[str, int]:
            return {}

    garbage = Garbage()
    monkeypatch.setattr(recent_mod, "_sources", [])
    recent_mod.register_source(garbage)
    assert hotel_agent(on_failure=oat.diagnose)(160) is None


def test_huge_payloads_stay_bounded() -> None:
    blob = "x" * 5_000_000
    with diagnosing(Settings(capture_content=True)):

        @oat.tool_call("fetch_page")
        def fetch_page(url: str) -> dict[str, Any]:
            return {"body": blob, "status": -1}

        @oat.agent_step("parse")
        def parse(page: dict[str, Any]) -> None:
            raise ValueError(f"status {page['status']} is not a page")

        with oat.agent_run("reader"):
            oat.snapshot_state(working_memory={"page": blob}, label="start")
            try:
                parse(fetch_page("http://example.invalid/" + "p" * 100_000))
            except ValueError:
                diagnosis = oat.diagnose()
    assert diagnosis is not None
    names = {s.name for s in (diagnosis.root_cause, *diagnosis.candidates)}
    assert {"execute_tool fetch_page", "step parse"} <= names  # the page was cut by the budget: either may lead
    assert len(diagnosis.to_prompt()) <= 2000
    assert len(json.dumps(diagnosis.to_dict())) < 100_000  # the state is what the per-attribute budget kept
    assert diagnosis.rollback is not None and diagnosis.rollback.label == "start"


def test_two_threads_runs_do_not_mix(bench: Bench) -> None:
    barrier = threading.Barrier(2, timeout=30)
    results: dict[str, Any] = {}

    def worker(tool: str) -> None:
        def handler() -> Any:
            barrier.wait()  # both runs are open and interleaved in the buffer when each diagnoses
            return oat.diagnose()

        results[tool] = hotel_agent(tool=tool, on_failure=handler)(160)

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("rates_a", "rates_b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    a, b = results["rates_a"], results["rates_b"]
    assert a is not None and b is not None
    assert (a.name, b.name) == ("execute_tool rates_a", "execute_tool rates_b")
    assert a.trace_id != b.trace_id
    spans = bench.exporter.get_finished_spans()
    by_trace = {format(s.context.span_id, "016x"): format(s.context.trace_id, "032x") for s in spans}
    for diagnosis in (a, b):
        for suspect in (diagnosis.root_cause, *diagnosis.candidates):
            assert by_trace[suspect.span_id] == diagnosis.trace_id
        assert diagnosis.spans_analyzed == 6

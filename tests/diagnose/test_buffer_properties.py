"""Property test of the buffer's bookkeeping: any interleaving of starts and ends keeps every bound and count."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.trace import SpanContext

from otel_agent_trace.processor import RecentSpans


@dataclass
class _FakeSpan:
    """What the buffer reads of a span: its context and whether it ended."""

    context: SpanContext
    end_time: int | None = None
    name: str = "s"


_actions = st.lists(
    st.tuples(st.sampled_from(["start", "end"]), st.integers(1, 6), st.integers(1, 12)), min_size=1, max_size=120
)


@settings(max_examples=100, deadline=None)
@given(actions=_actions, max_spans=st.integers(1, 10), max_traces=st.integers(1, 4))
def test_bounds_and_counts_hold(actions: list[tuple[str, int, int]], max_spans: int, max_traces: int) -> None:
    recent = RecentSpans(max_spans, max_traces=max_traces)
    live: dict[tuple[int, int], _FakeSpan] = {}
    for action, trace_id, span_id in actions:
        key = (trace_id, span_id)
        if action == "start" and key not in live:
            live[key] = _FakeSpan(SpanContext(trace_id, span_id, is_remote=False))
            recent.started(live[key])  # type: ignore[arg-type]
        elif action == "end" and key in live and live[key].end_time is None:
            live[key].end_time = 1
            recent.ended(live[key])  # type: ignore[arg-type]
        held = sum(len(entry.spans) for entry in recent._traces.values())
        assert held == len(recent) <= max_spans
        assert len(recent._traces) <= max_traces
        assert all(entry.spans for entry in recent._traces.values())  # no empty trace entries linger
        for entry in recent._traces.values():
            for sid, span in entry.spans.items():
                assert span.context.span_id == sid
    assert all(count >= 0 for count in recent.dropped().values())

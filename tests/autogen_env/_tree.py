"""Span-tree helpers of the AutoGen tests: lookups by name and scope, ancestry, JSON attributes, RCA model spans."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import format_trace_id

from otel_agent_trace.model import Trace
from tests.instrumentation._spans import model_span

OURS = "otel_agent_trace.AutoGenInstrumentor"
AUTOGEN = "autogen-core"


def ours(spans: Sequence[ReadableSpan], prefix: str) -> list[ReadableSpan]:
    """Our AutoGen instrumentor's spans whose name starts with ``prefix``, in start order."""
    found = [s for s in spans if s.name.startswith(prefix) and s.instrumentation_scope.name == OURS]
    return sorted(found, key=lambda s: s.start_time or 0)


def named(spans: Sequence[ReadableSpan], prefix: str) -> list[ReadableSpan]:
    """Every span whose name starts with ``prefix`` (any instrumentation), in start order."""
    return sorted((s for s in spans if s.name.startswith(prefix)), key=lambda s: s.start_time or 0)


def is_under(spans: Sequence[ReadableSpan], child: ReadableSpan, ancestor: ReadableSpan) -> bool:
    """Whether ``ancestor`` is above ``child`` in the tree."""
    by_id = {s.context.span_id: s for s in spans}
    current: ReadableSpan | None = child
    while current is not None and current.parent is not None:
        if current.parent.span_id == ancestor.context.span_id:
            return True
        current = by_id.get(current.parent.span_id)
    return False


def attr_json(span: ReadableSpan, key: str) -> Any:
    """A JSON attribute, decoded."""
    assert span.attributes is not None and key in span.attributes, (span.name, key, dict(span.attributes or {}))
    return json.loads(str(span.attributes[key]))


def to_trace(spans: Sequence[ReadableSpan]) -> Trace:
    """The team run's trace as the RCA's model `Trace` (what the JSONL/OTLP loaders would give)."""
    out = [model_span(s) for s in spans]
    (workflow,) = ours(spans, "invoke_workflow")
    trace_id = format_trace_id(workflow.context.trace_id)
    # AutoGen's ``create_agent`` spans are made when the agents are built, before the run: traces of their own
    outside = {span.name.split(" ")[0] for span in out if span.trace_id != trace_id}
    assert outside <= {"create_agent"}, outside
    return Trace(trace_id, tuple(span for span in out if span.trace_id == trace_id))

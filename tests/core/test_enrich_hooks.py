"""The export-thread hooks of `SpanTransformer`: enrichers run before redaction and the budget, observers after."""

from __future__ import annotations

import logging
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider

from otel_agent_trace.processor._transform import SpanTransformer

SECRET = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0"


def _ended_span(**attributes: Any) -> ReadableSpan:
    provider = TracerProvider()
    span = provider.get_tracer("t").start_span("chat m", attributes=attributes)
    span.end()
    assert isinstance(span, ReadableSpan)
    return span


def test_enricher_output_is_redacted_and_budgeted() -> None:
    def add(span: ReadableSpan, attributes: dict[str, Any]) -> None:
        attributes["x.copy"] = f"key={SECRET}"
        attributes["x.big"] = "y" * 10_000

    transformer = SpanTransformer(max_attribute_bytes=1024, max_span_bytes=64 * 1024, enrichers=[add])
    out = transformer.export_form(_ended_span(a=1))
    assert out is not None
    attributes = dict(out.attributes or {})
    assert attributes["a"] == 1
    assert SECRET not in attributes["x.copy"]
    assert "REDACTED" in attributes["x.copy"]
    assert len(attributes["x.big"].encode()) <= 1024


def test_enricher_that_changes_a_value_in_place_is_exported() -> None:
    def change(span: ReadableSpan, attributes: dict[str, Any]) -> None:
        attributes["a"] = 2

    out = SpanTransformer(max_attribute_bytes=1024, max_span_bytes=65536, enrichers=[change]).export_form(
        _ended_span(a=1)
    )
    assert out is not None
    assert dict(out.attributes or {})["a"] == 2


def test_failing_enricher_and_observer_cost_nothing(caplog: Any) -> None:
    seen: list[ReadableSpan] = []

    def broken(span: ReadableSpan, attributes: dict[str, Any]) -> None:
        attributes["half"] = "done"
        raise RuntimeError("enricher bug")

    def broken_observer(span: ReadableSpan) -> None:
        raise RuntimeError("observer bug")

    transformer = SpanTransformer(
        max_attribute_bytes=1024,
        max_span_bytes=65536,
        enrichers=[broken],
        observers=[broken_observer, seen.append],
    )
    with caplog.at_level(logging.ERROR, logger="otel_agent_trace"):
        out = transformer.export_form(_ended_span(token=f"Bearer {SECRET}"))
    assert out is not None
    assert SECRET not in str(dict(out.attributes or {}))
    assert seen == [out]  # the second observer still ran, with the exported (redacted) span


def test_no_enrichers_keeps_the_unchanged_span_as_is() -> None:
    span = _ended_span(a=1)
    assert SpanTransformer(max_attribute_bytes=1024, max_span_bytes=65536).export_form(span) is span

"""Fixtures every instrumentor's tests share: an in-memory exporter behind a provider of their own."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.instrumentation._spans import Tree


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    """Collects the finished spans of one test."""
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> TracerProvider:
    """A provider passed as ``tracer_provider=`` to ``instrument()`` (the global one is never set)."""
    tp = TracerProvider()
    tp.add_span_processor(SimpleSpanProcessor(exporter))
    return tp


@pytest.fixture
def tree(exporter: InMemorySpanExporter) -> Callable[[], Tree]:
    """The finished spans so far, as a `Tree`."""
    return lambda: Tree(exporter.get_finished_spans())

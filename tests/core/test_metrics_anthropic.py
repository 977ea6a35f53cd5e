"""GenAI stream metrics of a real anthropic SDK stream (our AnthropicInstrumentor, the shared stream observer)."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_agent_trace.instrumentation.anthropic import AnthropicInstrumentor
from otel_agent_trace.processor._metrics import GenAIMetricsSpanProcessor
from tests.instrumentation._servers import serving
from tests.instrumentation.anthropic.conftest import MockServer


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with serving(MockServer()) as srv:
        yield srv


def test_anthropic_stream_records_first_chunk_and_per_chunk_times(server: MockServer) -> None:
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    provider.add_span_processor(GenAIMetricsSpanProcessor(meter_provider))
    instrumentor = AnthropicInstrumentor()
    instrumentor.instrument(tracer_provider=provider, capture_content=False)
    try:
        with anthropic.Anthropic(api_key="sk-test", base_url=server.base_url, max_retries=0) as client:
            stream = client.messages.create(
                model="claude-sonnet-4-5",
                max_tokens=64,
                messages=[{"role": "user", "content": "Capital of France?"}],
                stream=True,
            )
            events = sum(1 for _ in stream)
    finally:
        instrumentor.uninstrument()
    provider.force_flush()
    (span,) = spans.get_finished_spans()
    attrs = span.attributes or {}
    assert attrs["agent_trace.response.chunk_count"] == events
    data = reader.get_metrics_data()
    assert data is not None
    points: dict[str, list[HistogramDataPoint]] = {}
    for rm in data.resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                points.setdefault(metric.name, []).extend(
                    p for p in metric.data.data_points if isinstance(p, HistogramDataPoint)
                )
    (first,) = points["gen_ai.client.operation.time_to_first_chunk"]
    (per_chunk,) = points["gen_ai.client.operation.time_per_output_chunk"]
    assert first.sum == pytest.approx(attrs["gen_ai.response.time_to_first_chunk"])
    assert per_chunk.sum == pytest.approx(attrs["agent_trace.response.time_per_output_chunk"])
    assert (first.attributes or {})["gen_ai.provider.name"] == "anthropic"
    tokens = {p.attributes["gen_ai.token.type"]: p.sum for p in points["gen_ai.client.token.usage"] if p.attributes}
    assert tokens == {"input": attrs["gen_ai.usage.input_tokens"], "output": attrs["gen_ai.usage.output_tokens"]}
    meter_provider.shutdown()

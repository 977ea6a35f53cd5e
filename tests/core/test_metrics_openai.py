"""GenAI metrics of real openai SDK calls (our OpenAIInstrumentor) against the local mock server, streams included."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_agent_trace.instrumentation.openai import OpenAIInstrumentor
from otel_agent_trace.processor._metrics import GenAIMetricsSpanProcessor
from tests.instrumentation.openai.mock_server import MockOpenAIServer, chat_chunks, running_server

MESSAGES = [{"role": "user", "content": "Say hello"}]


class Setup:
    def __init__(self, server: MockOpenAIServer) -> None:
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])
        self.spans = InMemorySpanExporter()
        self.provider = TracerProvider()
        self.provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.provider.add_span_processor(GenAIMetricsSpanProcessor(self.meter_provider))
        self.instrumentor = OpenAIInstrumentor()
        self.instrumentor.instrument(tracer_provider=self.provider, capture_content=False)
        self.client = openai.OpenAI(api_key="sk-test", base_url=server.base_url, max_retries=0)

    def points(self) -> dict[str, list[HistogramDataPoint]]:
        self.provider.force_flush()  # drains the queued records
        out: dict[str, list[HistogramDataPoint]] = {}
        data = self.reader.get_metrics_data()
        for rm in data.resource_metrics if data is not None else ():
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    out.setdefault(metric.name, []).extend(
                        p for p in metric.data.data_points if isinstance(p, HistogramDataPoint)
                    )
        return out


@pytest.fixture(scope="module")
def server() -> Iterator[MockOpenAIServer]:
    with running_server() as srv:
        yield srv


@pytest.fixture
def setup(server: MockOpenAIServer) -> Iterator[Setup]:
    s = Setup(server)
    try:
        yield s
    finally:
        s.client.close()
        s.instrumentor.uninstrument()
        s.meter_provider.shutdown()


def test_non_streamed_chat_call(setup: Setup, server: MockOpenAIServer) -> None:
    setup.client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # type: ignore[arg-type]
    points = setup.points()
    (duration,) = points["gen_ai.client.operation.duration"]
    labels = dict(duration.attributes or {})
    assert labels["gen_ai.operation.name"] == "chat"
    assert labels["gen_ai.provider.name"] == "openai"
    assert labels["gen_ai.request.model"] == "gpt-4o-mini"
    assert labels["server.address"] == "127.0.0.1"
    assert labels["server.port"] == server.server_address[1]
    assert "error.type" not in labels
    tokens = {p.attributes["gen_ai.token.type"]: p.sum for p in points["gen_ai.client.token.usage"] if p.attributes}
    (span,) = setup.spans.get_finished_spans()
    attrs = span.attributes or {}
    assert tokens == {"input": attrs["gen_ai.usage.input_tokens"], "output": attrs["gen_ai.usage.output_tokens"]}
    assert "gen_ai.client.operation.time_to_first_chunk" not in points
    assert "gen_ai.client.operation.time_per_output_chunk" not in points


def test_streamed_chat_call_records_first_chunk_and_per_chunk_times(setup: Setup) -> None:
    stream = setup.client.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,  # type: ignore[arg-type]
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = sum(1 for _ in stream)
    assert chunks == len(chat_chunks("gpt-4o-mini", tools=False, include_usage=True))
    (span,) = setup.spans.get_finished_spans()
    attrs = span.attributes or {}
    assert attrs["agent_trace.response.chunk_count"] == chunks
    assert attrs["agent_trace.response.time_per_output_chunk"] >= 0
    points = setup.points()
    (first,) = points["gen_ai.client.operation.time_to_first_chunk"]
    (per_chunk,) = points["gen_ai.client.operation.time_per_output_chunk"]
    assert first.count == per_chunk.count == 1
    assert first.sum == pytest.approx(attrs["gen_ai.response.time_to_first_chunk"])
    assert per_chunk.sum == pytest.approx(attrs["agent_trace.response.time_per_output_chunk"])
    assert first.attributes == per_chunk.attributes
    assert (first.attributes or {})["gen_ai.response.model"] == "gpt-4o-mini-2024-07-18"
    tokens = {p.attributes["gen_ai.token.type"]: p.sum for p in points["gen_ai.client.token.usage"] if p.attributes}
    assert tokens == {"input": 11, "output": 24}


async def test_async_stream_and_failed_call(server: MockOpenAIServer, setup: Setup) -> None:
    async with openai.AsyncOpenAI(api_key="sk-test", base_url=server.base_url, max_retries=0) as client:
        stream = await client.chat.completions.create(
            model="gpt-4o-mini",
            messages=MESSAGES,  # type: ignore[arg-type]
            stream=True,
        )
        async for _ in stream:
            pass
        with pytest.raises(openai.RateLimitError):
            await client.chat.completions.create(model="error-429", messages=MESSAGES)  # type: ignore[arg-type]
    points = setup.points()
    durations = {
        (p.attributes or {}).get("gen_ai.request.model"): p for p in points["gen_ai.client.operation.duration"]
    }
    assert "error.type" not in (durations["gpt-4o-mini"].attributes or {})
    failed = durations["error-429"].attributes or {}
    (failed_span,) = [s for s in setup.spans.get_finished_spans() if s.status.status_code.name == "ERROR"]
    assert failed["error.type"] == (failed_span.attributes or {})["error.type"] == "openai.RateLimitError"
    (first,) = points["gen_ai.client.operation.time_to_first_chunk"]
    assert first.count == 1  # the failed call was no stream


def test_streamed_responses_api_call(setup: Setup) -> None:
    with setup.client.responses.create(model="gpt-4o-mini", input="hello", stream=True) as stream:
        events = sum(1 for _ in stream)
    (span,) = setup.spans.get_finished_spans()
    assert (span.attributes or {})["agent_trace.response.chunk_count"] == events
    points = setup.points()
    assert [p.count for p in points["gen_ai.client.operation.time_to_first_chunk"]] == [1]
    assert [p.count for p in points["gen_ai.client.operation.time_per_output_chunk"]] == [1]

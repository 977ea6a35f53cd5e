"""One set of tokens per LLM call: a framework's LLM span leaves usage to our provider span when one records it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider

from otel_agent_trace.instrumentation._llm import sdk_span_expected
from otel_agent_trace.instrumentation.bedrock import BedrockInstrumentor
from otel_agent_trace.instrumentation.google_genai import GoogleGenAIInstrumentor
from otel_agent_trace.instrumentation.langchain import _extract as langchain_extract


@pytest.fixture(params=[("google-genai", GoogleGenAIInstrumentor), ("bedrock", BedrockInstrumentor)])
def instrumented(request: pytest.FixtureRequest) -> Iterator[str]:
    sdk, cls = request.param
    instrumentor: Any = cls()
    instrumentor.instrument(tracer_provider=TracerProvider())
    try:
        yield sdk
    finally:
        instrumentor.uninstrument()


def test_provider_span_expected_only_while_our_instrumentor_is_on(instrumented: str) -> None:
    assert sdk_span_expected(instrumented)
    langchain = {"google-genai": "google_genai", "bedrock": "amazon_bedrock"}[instrumented]
    assert langchain_extract.provider_span_expected({"ls_provider": langchain})


def test_not_expected_when_not_instrumented() -> None:
    assert not sdk_span_expected("google-genai")
    assert not sdk_span_expected("bedrock")
    assert not langchain_extract.provider_span_expected({"ls_provider": "amazon_bedrock"})

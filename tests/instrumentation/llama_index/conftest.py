from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider

from otel_agent_trace.instrumentation.llama_index import LlamaIndexInstrumentor


@pytest.fixture
def capture() -> bool:
    """Content capture for the test; override with ``pytest.mark.parametrize``."""
    return False


@pytest.fixture
def instrumentor(provider: TracerProvider, capture: bool) -> Iterator[LlamaIndexInstrumentor]:
    inst = LlamaIndexInstrumentor()
    inst.instrument(tracer_provider=provider, capture_content=capture)
    try:
        yield inst
    finally:
        inst.uninstrument()

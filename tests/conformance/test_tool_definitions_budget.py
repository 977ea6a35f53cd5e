"""``gen_ai.tool.definitions`` stays within the per-attribute budget however many and however large the tools.

Checked on the span as the instrumentor records it (no `AgentSpanProcessor`, whose budget would hide an
unbounded extractor): the JSON is written by one bounded walk, valid, and says it was cut.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_agent_trace._internal import settings as settings_mod
from otel_agent_trace._internal.settings import Settings
from otel_agent_trace.instrumentation._genai_request import chat_tool_definition, tool_definitions_json
from otel_agent_trace.instrumentation.openai import OpenAIInstrumentor
from tests.conformance._openai_server import TierServer, running_server

BUDGET = 4096


def _tool(i: int) -> dict[str, Any]:
    properties = {f"field_{k}": {"type": "string", "description": "x" * 200} for k in range(50)}
    return {
        "type": "function",
        "function": {"name": f"tool_{i}", "description": "A tool. " * 20, "parameters": {"properties": properties}},
    }


@pytest.fixture
def small_budget() -> Iterator[None]:
    settings_mod.set_settings(Settings(capture_content=True, max_attribute_bytes=BUDGET))
    try:
        yield
    finally:
        settings_mod.set_settings(None)


@pytest.fixture(scope="module")
def server() -> Iterator[TierServer]:
    with running_server() as srv:
        yield srv


@pytest.mark.usefixtures("small_budget")
def test_many_large_tools_on_a_real_call(server: TierServer) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=provider, capture_content=True)
    tools: Any = [_tool(i) for i in range(300)]  # about 3.5 MB of schemas
    try:
        with openai.OpenAI(api_key="sk-test", base_url=server.base_url, max_retries=0) as client:
            client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], tools=tools
            )
    finally:
        instrumentor.uninstrument()
    (span,) = exporter.get_finished_spans()
    text = str((span.attributes or {})["gen_ai.tool.definitions"])
    assert len(text.encode()) <= BUDGET
    definitions = json.loads(text)  # still valid JSON
    assert definitions[0]["type"] == "function" and definitions[0]["name"] == "tool_0"
    assert "_truncated" in text  # the cut says so


@pytest.mark.usefixtures("small_budget")
def test_more_tools_than_the_item_limit() -> None:
    tools = [{"type": "function", "function": {"name": f"t{i}"}} for i in range(5000)]
    text = tool_definitions_json(tools, chat_tool_definition)
    assert text is not None and len(text.encode()) <= BUDGET
    assert json.loads(text)[0] == {"type": "function", "name": "t0"}
    assert tool_definitions_json([], chat_tool_definition) is None
    assert tool_definitions_json(iter(tools), chat_tool_definition) is None  # a generator is never consumed

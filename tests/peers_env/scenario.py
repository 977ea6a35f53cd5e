"""One program meeting peer instrumentors, run in its own process (instrumentation order is per process).

``python -m tests.peers_env.scenario LIBRARY PEERS ORDER`` (from the repo root, in ``.venv-peers``):

- LIBRARY: ``openai``, ``anthropic``, ``google-genai`` or ``bedrock``; PEERS: comma-separated ``openinference``,
  ``openllmetry``, ``openai_v2`` (openai), ``contrib`` (google-genai), ``botocore`` (bedrock);
- ORDER: ``ours-first`` (``init()`` instruments before the peers, so their wrappers are outside ours) or
  ``peers-first``.

The program sets its own SDK ``TracerProvider`` with an in-memory exporter (so ``init()`` attaches to it), calls the
library against the local mock server of tests/instrumentation (sync, streamed and async calls) inside an
``agent_session``, and prints one JSON document: every finished span (name, scope, ids, attributes) and the
WARNING/INFO messages of the ``otel_agent_trace`` logger. ``zero-code`` as ORDER runs the calls only (the process
was started by ``opentelemetry-instrument``; the spans then go to the file store, read by the test).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import otel_agent_trace as oat

PEER_CLASSES = {
    ("openai", "openinference"): ("openinference.instrumentation.openai", "OpenAIInstrumentor"),
    ("openai", "openllmetry"): ("opentelemetry.instrumentation.openai", "OpenAIInstrumentor"),
    ("openai", "openai_v2"): ("opentelemetry.instrumentation.openai_v2", "OpenAIInstrumentor"),
    ("anthropic", "openinference"): ("openinference.instrumentation.anthropic", "AnthropicInstrumentor"),
    ("anthropic", "openllmetry"): ("opentelemetry.instrumentation.anthropic", "AnthropicInstrumentor"),
    ("google-genai", "openinference"): ("openinference.instrumentation.google_genai", "GoogleGenAIInstrumentor"),
    ("google-genai", "openllmetry"): (
        "opentelemetry.instrumentation.google_generativeai",
        "GoogleGenerativeAiInstrumentor",
    ),
    ("google-genai", "contrib"): ("opentelemetry.instrumentation.google_genai", "GoogleGenAiSdkInstrumentor"),
    ("bedrock", "openinference"): ("openinference.instrumentation.bedrock", "BedrockInstrumentor"),
    ("bedrock", "openllmetry"): ("opentelemetry.instrumentation.bedrock", "BedrockInstrumentor"),
    ("bedrock", "botocore"): ("opentelemetry.instrumentation.botocore", "BotocoreInstrumentor"),
}
CALLS = {"openai": 3, "anthropic": 2, "google-genai": 4, "bedrock": 4}
"""How many LLM calls each library's program makes."""


class Messages(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {record.getMessage()}")


def instrument_peers(library: str, peers: list[str]) -> None:
    import importlib

    for peer in peers:
        module, cls = PEER_CLASSES[(library, peer)]
        getattr(importlib.import_module(module), cls)().instrument()


def call_openai() -> None:
    import openai

    from tests.instrumentation.openai.mock_server import running_server

    messages = [{"role": "user", "content": "hi"}]
    with running_server() as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="test-key", max_retries=0)
        client.chat.completions.create(model="gpt-4o-mini", messages=messages)
        stream = client.chat.completions.create(
            model="gpt-4o-mini", messages=messages, stream=True, stream_options={"include_usage": True}
        )
        for _ in stream:
            pass

        async def one() -> None:
            async_client = openai.AsyncOpenAI(base_url=server.base_url, api_key="test-key", max_retries=0)
            await async_client.chat.completions.create(model="gpt-4o-mini", messages=messages)
            await async_client.close()

        asyncio.run(one())


def call_anthropic() -> None:
    import anthropic

    from tests.instrumentation._servers import serving
    from tests.instrumentation.anthropic.conftest import MockServer

    messages = [{"role": "user", "content": "hi"}]
    with serving(MockServer()) as server:
        client = anthropic.Anthropic(base_url=server.base_url, api_key="test-key", max_retries=0)
        client.messages.create(model="claude-sonnet-4-5", max_tokens=64, messages=messages)
        stream = client.messages.create(model="claude-sonnet-4-5", max_tokens=64, messages=messages, stream=True)
        for _ in stream:
            pass


def call_google_genai() -> None:
    from google import genai

    from tests.instrumentation._servers import serving
    from tests.instrumentation.google_genai.conftest import MockServer

    with serving(MockServer()) as server:
        options = genai.types.HttpOptions(base_url=server.base_url)
        client = genai.Client(api_key="test-key", http_options=options)
        client.models.generate_content(model="gemini-2.5-flash", contents="hi")
        for _ in client.models.generate_content_stream(model="gemini-2.5-flash", contents="hi"):
            pass
        client.models.embed_content(model="text-embedding-004", contents="hi")

        async def one() -> None:
            await client.aio.models.generate_content(model="gemini-2.5-flash", contents="hi")

        asyncio.run(one())


def call_bedrock() -> None:
    from tests.instrumentation._servers import serving
    from tests.instrumentation.bedrock.conftest import MockServer, make_client

    messages = [{"role": "user", "content": [{"text": "hi"}]}]
    with serving(MockServer()) as server:
        client = make_client(server)  # made after every instrumentor: the per-client peers patch it
        client.converse(modelId="anthropic.claude-3", messages=messages)
        for _ in client.converse_stream(modelId="anthropic.claude-3", messages=messages)["stream"]:
            pass
        body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64, "messages": [
            {"role": "user", "content": "hi"}]})  # fmt: skip
        client.invoke_model(modelId="anthropic.claude-sonnet-4-5", body=body)["body"].read()
        response = client.invoke_model_with_response_stream(modelId="anthropic.claude-sonnet-4-5", body=body)
        for _ in response["body"]:
            pass


LIBRARY_CALLS = {
    "openai": call_openai,
    "anthropic": call_anthropic,
    "google-genai": call_google_genai,
    "bedrock": call_bedrock,
}


def span_record(span: Any) -> dict[str, Any]:
    return {
        "name": span.name,
        "scope": span.instrumentation_scope.name if span.instrumentation_scope else "",
        "span_id": format(span.context.span_id, "016x"),
        "parent_id": format(span.parent.span_id, "016x") if span.parent else None,
        "attributes": {k: v if isinstance(v, (str, int, float, bool)) else list(v) for k, v in span.attributes.items()},
    }


def main(library: str, peers: list[str], order: str) -> None:
    messages = Messages()
    ours = logging.getLogger("otel_agent_trace")
    ours.addHandler(messages)
    ours.setLevel(logging.INFO)  # the peer note is INFO when the policy was chosen
    calls = LIBRARY_CALLS[library]
    if order == "zero-code":
        with oat.agent_session("s-peers"):
            calls()
        print(json.dumps({"messages": messages.lines}))
        return
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    if order == "peers-first":
        instrument_peers(library, peers)
    oat.init(exporters="none", instrumentors=library.replace("-", "_"))
    if order == "ours-first":
        instrument_peers(library, peers)
    with oat.agent_session("s-peers"):
        calls()
    spans = [span_record(s) for s in exporter.get_finished_spans()]
    print(json.dumps({"spans": spans, "messages": messages.lines}))


if __name__ == "__main__":
    main(sys.argv[1], [p for p in sys.argv[2].split(",") if p], sys.argv[3])

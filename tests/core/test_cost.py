"""Cost per LLM span: real openai and anthropic SDK calls against local mock servers, through AgentSpanProcessor.

The expected amounts are genai-prices' own: its ``extract_usage`` reads the raw response body the mock server sent
and prices it, independently of how our instrumentors map usage to ``gen_ai.usage.*``.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import anthropic
import genai_prices
import openai
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_agent_trace._internal.settings import Settings
from otel_agent_trace.instrumentation.anthropic import AnthropicInstrumentor
from otel_agent_trace.instrumentation.openai import OpenAIInstrumentor
from otel_agent_trace.processor import AgentSpanProcessor
from otel_agent_trace.semconv import cost as C
from otel_agent_trace.semconv import gen_ai as G
from tests.instrumentation._servers import serving
from tests.instrumentation.anthropic.conftest import TEXT_MESSAGE, MockServer
from tests.instrumentation.openai.mock_server import MockOpenAIServer, chat_completion, running_server


class Pipeline:
    """A provider whose spans go through AgentSpanProcessor's export thread into memory."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider()
        self.processor = AgentSpanProcessor(
            exporter=self.exporter, settings=settings or Settings(), schedule_delay_millis=20
        )
        self.provider.add_span_processor(self.processor)

    def spans(self) -> list[ReadableSpan]:
        assert self.processor.force_flush()
        return list(self.exporter.get_finished_spans())

    def one(self, name: str) -> ReadableSpan:
        (span,) = [s for s in self.spans() if s.name == name]
        return span


@pytest.fixture
def pipeline() -> Iterator[Pipeline]:
    pipe = Pipeline()
    yield pipe
    pipe.provider.shutdown()


@pytest.fixture(scope="module")
def openai_server() -> Iterator[MockOpenAIServer]:
    with running_server() as server:
        yield server


@pytest.fixture(scope="module")
def anthropic_server() -> Iterator[MockServer]:
    with serving(MockServer()) as server:
        yield server


@pytest.fixture
def openai_client(pipeline: Pipeline, openai_server: MockOpenAIServer) -> Iterator[openai.OpenAI]:
    inst = OpenAIInstrumentor()
    inst.instrument(tracer_provider=pipeline.provider)
    try:
        with openai.OpenAI(api_key="sk-test", base_url=openai_server.base_url, max_retries=0) as client:
            yield client
    finally:
        inst.uninstrument()


@pytest.fixture
def anthropic_client(pipeline: Pipeline, anthropic_server: MockServer) -> Iterator[anthropic.Anthropic]:
    inst = AnthropicInstrumentor()
    inst.instrument(tracer_provider=pipeline.provider)
    try:
        with anthropic.Anthropic(api_key="sk-ant-test", base_url=anthropic_server.base_url, max_retries=0) as client:
            yield client
    finally:
        inst.uninstrument()


def _assert_priced_as(attributes: Any, expected: Any) -> None:
    """``attributes`` carry exactly genai-prices' calculation ``expected`` (a PriceCalculation)."""
    assert attributes[C.COST_STATUS] == C.CostStatusValues.PRICED.value
    assert attributes[C.LLM_COST_PROMPT] == float(expected.input_price)
    assert attributes[C.LLM_COST_COMPLETION] == float(expected.output_price)
    assert attributes[C.LLM_COST_TOTAL] == float(expected.total_price)
    assert attributes[C.LLM_COST_TOTAL] > 0
    assert attributes[C.COST_SOURCE] == "genai-prices"
    assert attributes[C.COST_SOURCE_VERSION] == genai_prices.__version__
    assert attributes[C.COST_PRICE_MODEL] == f"{expected.provider.id}/{expected.model.id}"


def test_openai_chat_cost_is_genai_prices_own_calculation(pipeline: Pipeline, openai_client: openai.OpenAI) -> None:
    openai_client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    span = pipeline.one("chat gpt-4o-mini")
    body = chat_completion("gpt-4o-mini", tools=False)  # what the mock server answered
    expected = genai_prices.extract_usage(body, provider_id="openai", api_flavor="chat").calc_price()
    assert body["usage"]["prompt_tokens_details"]["cached_tokens"] > 0  # the cached-token rate is exercised
    _assert_priced_as(span.attributes, expected)


def test_anthropic_message_cost_includes_cache_rates(pipeline: Pipeline, anthropic_client: anthropic.Anthropic) -> None:
    anthropic_client.messages.create(
        model="claude-sonnet-4-5", max_tokens=64, messages=[{"role": "user", "content": "Capital of France?"}]
    )
    (span,) = [s for s in pipeline.spans() if (s.attributes or {}).get(G.GEN_AI_OPERATION_NAME) == "chat"]
    expected = genai_prices.extract_usage(TEXT_MESSAGE, provider_id="anthropic").calc_price()
    _assert_priced_as(span.attributes, expected)
    # cache reads and writes are priced at their own rates: not the plain input rate on every token
    plain = genai_prices.calc_price(
        genai_prices.Usage(input_tokens=117, output_tokens=8), TEXT_MESSAGE["model"], provider_id="anthropic"
    )
    assert Decimal(repr(span.attributes[C.LLM_COST_TOTAL])) != plain.total_price


def test_unknown_model_is_marked_not_guessed(pipeline: Pipeline, openai_client: openai.OpenAI) -> None:
    openai_client.chat.completions.create(model="acme-frontier-9", messages=[{"role": "user", "content": "hi"}])
    attributes = pipeline.one("chat acme-frontier-9").attributes or {}
    assert attributes[G.GEN_AI_USAGE_INPUT_TOKENS] == 19  # tokens are recorded ...
    assert attributes[C.COST_STATUS] == C.CostStatusValues.UNKNOWN_MODEL.value  # ... the cost is said to be unknown
    assert not {C.LLM_COST_PROMPT, C.LLM_COST_COMPLETION, C.LLM_COST_TOTAL} & set(attributes)


def test_unknown_provider_is_marked(pipeline: Pipeline) -> None:
    tracer = pipeline.provider.get_tracer("t")
    attrs = {
        G.GEN_AI_OPERATION_NAME: "chat",
        G.GEN_AI_PROVIDER_NAME: "acme.cloud",
        G.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
        G.GEN_AI_USAGE_INPUT_TOKENS: 10,
        G.GEN_AI_USAGE_OUTPUT_TOKENS: 5,
    }
    tracer.start_span("chat gpt-4o-mini", attributes=attrs).end()
    attributes = pipeline.one("chat gpt-4o-mini").attributes or {}
    assert attributes[C.COST_STATUS] == C.CostStatusValues.UNKNOWN_PROVIDER.value
    assert C.LLM_COST_TOTAL not in attributes


def test_cost_switch_off_prices_nothing(openai_server: MockOpenAIServer) -> None:
    pipe = Pipeline(Settings(cost=False))
    inst = OpenAIInstrumentor()
    inst.instrument(tracer_provider=pipe.provider)
    try:
        with openai.OpenAI(api_key="sk-test", base_url=openai_server.base_url, max_retries=0) as client:
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    finally:
        inst.uninstrument()
    attributes = pipe.one("chat gpt-4o-mini").attributes or {}
    pipe.provider.shutdown()
    assert not [k for k in attributes if k.startswith(("llm.cost.", "agent_trace.cost."))]
    assert attributes[C.TOTAL_LLM_CALLS] == 1  # the root span's token totals stay
    assert attributes[C.TOTAL_INPUT_TOKENS] == 19
    assert C.TOTAL_COST not in attributes


def test_settings_read_the_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_AGENT_TRACE_COST", "false")
    assert Settings.from_env().cost is False
    monkeypatch.delenv("OTEL_AGENT_TRACE_COST")
    assert Settings.from_env().cost is True


def test_show_prints_the_run_cost_and_each_call_cost(
    tmp_path: Any, openai_server: MockOpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    from otel_agent_trace import agent_run
    from otel_agent_trace._internal.tracing import set_default_tracer_provider
    from otel_agent_trace.cli import main
    from otel_agent_trace.configuration import init
    from otel_agent_trace.model import load_traces

    provider = init(exporters="file", store_dir=tmp_path, instrumentors="none", set_global=False, metrics=False)
    set_default_tracer_provider(provider)
    inst = OpenAIInstrumentor()
    inst.instrument(tracer_provider=provider)
    try:
        with (
            openai.OpenAI(api_key="sk-test", base_url=openai_server.base_url, max_retries=0) as client,
            agent_run("shopper"),
        ):
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
            client.chat.completions.create(model="acme-frontier-9", messages=[{"role": "user", "content": "hi"}])
    finally:
        inst.uninstrument()
        set_default_tracer_provider(None)
        provider.shutdown()  # type: ignore[attr-defined]
    (trace,) = load_traces(tmp_path)
    (root,) = trace.roots
    run_cost = root.attributes[C.TOTAL_COST]
    assert main(["show", "--source", str(tmp_path)]) == 0
    listing = capsys.readouterr().out
    assert "COST" in listing.splitlines()[0]
    assert f"${run_cost:.8f}".rstrip("0") in listing
    assert main(["show", trace.trace_id, "--source", str(tmp_path)]) == 0
    tree = capsys.readouterr().out.splitlines()
    assert tree[0].endswith("in 2 LLM calls)")
    assert "total>=$" in tree[1] and "2 LLM calls, 38+20 tokens (partial: unpriced_calls)" in tree[1]
    (priced,) = [s for s in trace.spans if s.name == "chat gpt-4o-mini"]
    call_cost = f"cost=${priced.attributes[C.LLM_COST_TOTAL]:.8f}".rstrip("0")
    assert any("chat gpt-4o-mini" in line and call_cost in line for line in tree)
    assert any("chat acme-frontier-9" in line and "cost=unknown model" in line for line in tree)


@pytest.mark.parametrize(
    ("provider", "model", "database_provider"),
    [
        ("aws.bedrock", "us.anthropic.claude-3-5-haiku-20241022-v1:0", "aws"),
        ("gcp.gemini", "gemini-2.0-flash", "google"),
        ("gcp.vertex_ai", "gemini-1.5-pro-002", "google"),
        ("mistral_ai", "mistral-large-latest", "mistral"),
        ("x_ai", "grok-3", "x-ai"),  # the convention's underscore, the database's dash
        (None, "claude-3-5-haiku-20241022", "anthropic"),  # no provider: the database infers it from the model
    ],
)
def test_convention_provider_names_reach_the_database(provider: str | None, model: str, database_provider: str) -> None:
    from otel_agent_trace.processor._cost import Pricer, Usage

    attributes = {G.GEN_AI_REQUEST_MODEL: model, **({G.GEN_AI_PROVIDER_NAME: provider} if provider else {})}
    got = Pricer().price(attributes, Usage(input_tokens=1000, output_tokens=100), None)
    expected = genai_prices.calc_price(
        genai_prices.Usage(input_tokens=1000, output_tokens=100), model, provider_id=database_provider
    )
    assert got.status is C.CostStatusValues.PRICED
    assert got.total == expected.total_price
    assert got.price_model == f"{database_provider}/{expected.model.id}"


def test_reasoning_tokens_are_priced_at_a_reasoning_rate_where_the_model_has_one() -> None:
    from otel_agent_trace.processor._cost import Pricer, llm_usage

    attributes = {
        G.GEN_AI_OPERATION_NAME: "chat",
        G.GEN_AI_PROVIDER_NAME: "perplexity",
        G.GEN_AI_REQUEST_MODEL: "sonar-deep-research",
        G.GEN_AI_USAGE_INPUT_TOKENS: 1000,
        G.GEN_AI_USAGE_OUTPUT_TOKENS: 5000,
        G.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: 4000,
    }
    usage = llm_usage(attributes)
    assert usage is not None
    got = Pricer().price(attributes, usage, None)
    tokens = {"input_tokens": 1000, "output_tokens": 5000}
    with_reasoning = genai_prices.calc_price(
        genai_prices.Usage(**tokens, output_reasoning_tokens=4000), "sonar-deep-research", provider_id="perplexity"
    )
    plain = genai_prices.calc_price(genai_prices.Usage(**tokens), "sonar-deep-research", provider_id="perplexity")
    assert with_reasoning.total_price != plain.total_price  # the model has a reasoning rate: the test can tell
    assert got.total == with_reasoning.total_price
    too_many = llm_usage({**attributes, G.GEN_AI_USAGE_OUTPUT_TOKENS: 10})  # more reasoning than output: no count
    assert too_many is not None
    assert Pricer().price(attributes, too_many, None).status is C.CostStatusValues.INVALID_USAGE

"""Content modes against real openai calls to the local mock server, through ``init()`` and the file store.

Each mode runs the real ``openai`` SDK (instrumented by our OpenAIInstrumentor) against the mock server in
tests/instrumentation/openai, with a secret in the prompt, and reads back what ``init()``'s file store wrote:
``traces-*.jsonl`` for the spans, ``logs-*.ndjson`` for the ``gen_ai.client.inference.operation.details`` events.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from opentelemetry import _logs

from otel_agent_trace import init
from otel_agent_trace._internal.settings import ConfigurationError, ContentMode, Settings, set_settings
from otel_agent_trace.configuration._logs import disable_log_correlation
from otel_agent_trace.instrumentation.openai import OpenAIInstrumentor
from otel_agent_trace.processor._content_events import event_logger_provider, use_logger_provider
from otel_agent_trace.semconv import gen_ai
from tests.instrumentation.openai.mock_server import MockOpenAIServer, running_server

SECRET = "sk-proj-Zq3xK9vLm2Np7Rt5Wy8Bc4Df6Gh1Jk0MnPqRsTuVwXyZ12"
PROMPT = f"Summarise the weather. My key is {SECRET}"
EVENT = gen_ai.GEN_AI_CLIENT_INFERENCE_OPERATION_DETAILS
CONTENT = (gen_ai.GEN_AI_INPUT_MESSAGES, gen_ai.GEN_AI_OUTPUT_MESSAGES)


@pytest.fixture(scope="module")
def server() -> Iterator[MockOpenAIServer]:
    with running_server() as srv:
        yield srv


def _any(value: dict[str, Any]) -> Any:
    """An OTLP-JSON ``AnyValue`` as Python."""
    if "kvlistValue" in value:
        return {kv["key"]: _any(kv.get("value", {})) for kv in value["kvlistValue"].get("values", [])}
    if "arrayValue" in value:
        return [_any(v) for v in value["arrayValue"].get("values", [])]
    for key in ("stringValue", "boolValue", "doubleValue"):
        if key in value:
            return value[key]
    if "intValue" in value:
        return int(value["intValue"])
    return None


def _attributes(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {kv["key"]: _any(kv.get("value", {})) for kv in items}


def stored_spans(store: Path) -> list[dict[str, Any]]:
    spans = []
    for path in sorted(store.glob("traces-*.jsonl")):
        for line in path.read_text().splitlines():
            for rs in json.loads(line)["resourceSpans"]:
                for ss in rs["scopeSpans"]:
                    scope = ss.get("scope", {}).get("name")
                    spans.extend(
                        {**s, "attributes": _attributes(s.get("attributes", [])), "scope": scope} for s in ss["spans"]
                    )
    return spans


def stored_logs(store: Path) -> list[dict[str, Any]]:
    records = []
    for path in sorted(store.glob("logs-*.ndjson")):
        for line in path.read_text().splitlines():
            for rl in json.loads(line)["resourceLogs"]:
                resource = _attributes(rl.get("resource", {}).get("attributes", []))
                for sl in rl["scopeLogs"]:
                    for r in sl["logRecords"]:
                        records.append(
                            {
                                **r,
                                "attributes": _attributes(r.get("attributes", [])),
                                "resource": resource,
                                "scope": sl.get("scope", {}).get("name"),
                            }
                        )
    return records


class Pipeline:
    def __init__(self, store: Path, client: openai.OpenAI, provider: Any) -> None:
        self.store, self.client, self.provider = store, client, provider

    def chat(self, **extra: Any) -> Any:
        return self.client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "system", "content": "You are terse."}, {"role": "user", "content": PROMPT}],
            **extra,
        )

    def flush(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        self.provider.force_flush()
        event_logger_provider().force_flush()  # type: ignore[attr-defined]
        return stored_spans(self.store), stored_logs(self.store)


@pytest.fixture
def pipeline(server: MockOpenAIServer, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Pipeline]:
    mode = request.param
    provider = init(
        "content-app", set_global=False, exporters="file", store_dir=tmp_path, instrumentors="none", content_mode=mode
    )
    inst = OpenAIInstrumentor()
    inst.instrument(tracer_provider=provider)
    try:
        with openai.OpenAI(api_key="sk-test", base_url=server.base_url, max_retries=0) as client:
            yield Pipeline(tmp_path, client, provider)
    finally:
        inst.uninstrument()
        provider.shutdown()
        logs = event_logger_provider()
        if hasattr(logs, "shutdown"):
            logs.shutdown()
        use_logger_provider(None)
        set_settings(None)
        disable_log_correlation()


def _chat_span(spans: list[dict[str, Any]]) -> dict[str, Any]:
    (span,) = [s for s in spans if s["attributes"].get(gen_ai.GEN_AI_OPERATION_NAME) == "chat"]
    return span


@pytest.mark.parametrize("pipeline", ["SPAN_ONLY"], indirect=True)
def test_span_only_content_on_span_no_event(pipeline: Pipeline) -> None:
    pipeline.chat()
    spans, logs = pipeline.flush()
    span = _chat_span(spans)
    assert all(key in span["attributes"] for key in CONTENT)
    assert not [r for r in logs if r.get("eventName") == EVENT]


@pytest.mark.parametrize("pipeline", ["no_content", "false"], indirect=True)
def test_no_content_nowhere(pipeline: Pipeline) -> None:
    pipeline.chat()
    spans, logs = pipeline.flush()
    assert not any(key in _chat_span(spans)["attributes"] for key in CONTENT)
    assert not [r for r in logs if r.get("eventName") == EVENT]
    assert PROMPT not in json.dumps(spans)


@pytest.mark.parametrize("pipeline", ["EVENT_ONLY", "event_only"], indirect=True)
def test_event_only_content_on_event_not_span(pipeline: Pipeline) -> None:
    pipeline.chat()
    spans, logs = pipeline.flush()
    span = _chat_span(spans)
    assert not any(key in span["attributes"] for key in (*CONTENT, gen_ai.GEN_AI_SYSTEM_INSTRUCTIONS))
    assert span["attributes"][gen_ai.GEN_AI_USAGE_INPUT_TOKENS] == 19  # the rest of the span stays
    (event,) = [r for r in logs if r.get("eventName") == EVENT]
    assert (event["traceId"], event["spanId"]) == (span["traceId"], span["spanId"])
    attributes = event["attributes"]
    assert attributes[gen_ai.GEN_AI_OPERATION_NAME] == "chat"
    assert attributes[gen_ai.GEN_AI_REQUEST_MODEL] == "gpt-4o-mini"
    assert attributes[gen_ai.GEN_AI_RESPONSE_MODEL] == "gpt-4o-mini-2024-07-18"
    assert attributes[gen_ai.GEN_AI_PROVIDER_NAME] == "openai"
    assert attributes[gen_ai.GEN_AI_USAGE_INPUT_TOKENS] == 19
    assert attributes[gen_ai.GEN_AI_USAGE_OUTPUT_TOKENS] == 10
    assert attributes[gen_ai.GEN_AI_RESPONSE_FINISH_REASONS] == ["stop"]
    # content as structures (AnyValue), as the convention's event carries them
    output = attributes[gen_ai.GEN_AI_OUTPUT_MESSAGES]
    assert output[0]["role"] == "assistant"
    assert "Hello there!" in json.dumps(output)
    inputs = json.dumps(attributes[gen_ai.GEN_AI_INPUT_MESSAGES]) + json.dumps(
        attributes.get(gen_ai.GEN_AI_SYSTEM_INSTRUCTIONS)
    )
    assert "Summarise the weather" in inputs
    assert "You are terse." in inputs
    assert event["resource"]["service.name"] == "content-app"
    assert event["scope"] == span["scope"] == "otel_agent_trace.OpenAIInstrumentor"


@pytest.mark.parametrize("pipeline", ["EVENT_ONLY", "SPAN_AND_EVENT"], indirect=True)
def test_secret_in_prompt_never_reaches_the_log_exporter(pipeline: Pipeline) -> None:
    pipeline.chat()
    spans, logs = pipeline.flush()
    raw = "".join(p.read_text() for p in pipeline.store.glob("logs-*.ndjson"))
    assert raw, "no log line written"
    assert SECRET not in raw
    assert SECRET[:20] not in raw
    (event,) = [r for r in logs if r.get("eventName") == EVENT]
    assert "[REDACTED" in json.dumps(event["attributes"][gen_ai.GEN_AI_INPUT_MESSAGES])
    assert event["attributes"]["agent_trace.redacted"] >= 1
    assert SECRET not in json.dumps(spans)


@pytest.mark.parametrize("pipeline", ["SPAN_AND_EVENT"], indirect=True)
def test_span_and_event_both_carry_content(pipeline: Pipeline) -> None:
    pipeline.chat()
    spans, logs = pipeline.flush()
    span = _chat_span(spans)
    assert all(key in span["attributes"] for key in CONTENT)
    (event,) = [r for r in logs if r.get("eventName") == EVENT]
    assert event["spanId"] == span["spanId"]
    assert (
        json.loads(span["attributes"][gen_ai.GEN_AI_OUTPUT_MESSAGES])
        == event["attributes"][gen_ai.GEN_AI_OUTPUT_MESSAGES]
    )


@pytest.mark.parametrize("pipeline", ["EVENT_ONLY"], indirect=True)
def test_event_only_streamed_and_tool_calls(pipeline: Pipeline) -> None:
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    pipeline.chat(tools=tools)
    for _ in pipeline.chat(stream=True, stream_options={"include_usage": True}):
        pass
    spans, logs = pipeline.flush()
    chats = [s for s in spans if s["attributes"].get(gen_ai.GEN_AI_OPERATION_NAME) == "chat"]
    assert len(chats) == 2
    events = [r for r in logs if r.get("eventName") == EVENT]
    assert sorted(e["spanId"] for e in events) == sorted(s["spanId"] for s in chats)
    for span in chats:
        assert not any(key in span["attributes"] for key in (*CONTENT, gen_ai.GEN_AI_TOOL_DEFINITIONS))
    by_span = {e["spanId"]: e["attributes"] for e in events}
    tool_call = by_span[chats[0]["spanId"]]
    assert "get_weather" in json.dumps(tool_call[gen_ai.GEN_AI_OUTPUT_MESSAGES])
    assert tool_call[gen_ai.GEN_AI_RESPONSE_FINISH_REASONS] == ["tool_calls"]
    assert "get_weather" in json.dumps(tool_call[gen_ai.GEN_AI_TOOL_DEFINITIONS])
    streamed = by_span[chats[1]["spanId"]]
    assert "Hello" in json.dumps(streamed[gen_ai.GEN_AI_OUTPUT_MESSAGES])


def test_unknown_mode_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match=r"content_mode='SPANS'.*SPAN_ONLY"):
        init(set_global=False, exporters="none", instrumentors="none", content_mode="SPANS")
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "EVENTS")
    with pytest.raises(ConfigurationError, match=r"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT='EVENTS'"):
        init(set_global=False, exporters="none", instrumentors="none")
    set_settings(None)


def test_lazily_read_settings_warn_and_capture_nothing(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from otel_agent_trace._internal import settings as module

    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "EVENTS")
    monkeypatch.setattr(module, "_content_mode_warned", [False])
    set_settings(None)
    with caplog.at_level(logging.WARNING, logger="otel_agent_trace"):
        assert module.get_settings().mode is ContentMode.NO_CONTENT
    assert "'EVENTS' is not a content mode" in caplog.text
    set_settings(None)


@pytest.mark.parametrize(
    ("raw", "mode"),
    [
        ("SPAN_ONLY", ContentMode.SPAN_ONLY),
        ("event_only", ContentMode.EVENT_ONLY),
        (" Span_And_Event ", ContentMode.SPAN_AND_EVENT),
        ("NO_CONTENT", ContentMode.NO_CONTENT),
        ("true", ContentMode.SPAN_ONLY),
        ("FALSE", ContentMode.NO_CONTENT),
        ("", ContentMode.NO_CONTENT),
    ],
)
def test_modes_from_the_environment(monkeypatch: pytest.MonkeyPatch, raw: str, mode: ContentMode) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", raw)
    settings = Settings.from_env()
    assert settings.mode is mode
    assert settings.capture_content is (mode is not ContentMode.NO_CONTENT)  # what the instrumentors read


def test_capture_content_argument_keeps_the_environment_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "EVENT_ONLY")
    init(set_global=False, exporters="none", instrumentors="none", capture_content=True)
    from otel_agent_trace._internal.settings import get_settings

    assert get_settings().mode is ContentMode.EVENT_ONLY
    init(set_global=False, exporters="none", instrumentors="none", capture_content=False)
    assert get_settings().mode is ContentMode.NO_CONTENT
    init(set_global=False, exporters="none", instrumentors="none", capture_content=True, content_mode="SPAN_AND_EVENT")
    assert get_settings().mode is ContentMode.SPAN_AND_EVENT
    use_logger_provider(None)
    set_settings(None)


def test_event_mode_without_log_exporter_says_so(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="otel_agent_trace"):
        init(set_global=False, exporters="none", instrumentors="none", content_mode="EVENT_ONLY")
    assert "the events are not recorded" in caplog.text
    assert isinstance(_logs.get_logger_provider(), _logs.LoggerProvider)
    use_logger_provider(None)
    set_settings(None)


@pytest.mark.parametrize("pipeline", ["EVENT_ONLY"], indirect=True)
def test_framework_and_provider_spans_one_call_one_event(pipeline: Pipeline, server: MockOpenAIServer) -> None:
    langchain_openai = pytest.importorskip("langchain_openai")
    from otel_agent_trace.instrumentation.langchain import LangChainInstrumentor

    inst = LangChainInstrumentor()
    inst.instrument(tracer_provider=pipeline.provider)
    try:
        model = langchain_openai.ChatOpenAI(
            model="gpt-4o-mini", api_key="sk-test", base_url=server.base_url, max_retries=0
        )
        model.invoke(PROMPT)
    finally:
        inst.uninstrument()
    spans, logs = pipeline.flush()
    chats = [s for s in spans if s["attributes"].get(gen_ai.GEN_AI_OPERATION_NAME) == "chat"]
    assert len(chats) == 2  # LangChain's chat span around the openai SDK's
    (inner,) = [s for s in chats if s["scope"] == "otel_agent_trace.OpenAIInstrumentor"]
    (event,) = [r for r in logs if r.get("eventName") == EVENT]
    assert event["spanId"] == inner["spanId"]
    assert "[REDACTED" in json.dumps(event["attributes"][gen_ai.GEN_AI_INPUT_MESSAGES])
    for span in chats:
        assert not any(key in span["attributes"] for key in CONTENT)
    assert SECRET not in json.dumps(spans) + json.dumps(logs)

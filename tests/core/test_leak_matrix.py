"""Every secret shape x every path a span carries text on: zero leaks in the exported bytes.

Each path runs once per module, one span (or one HTTP / LLM call) per shape, through the pipeline users run
(`AgentSpanProcessor` with the local file store, content capture on), flushed, then the store's bytes are grepped
for each secret's random body. HTTP and LLM paths use the real ``requests``/``httpx``/``openai`` clients against
local servers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import openai
import pytest
import requests
from opentelemetry import trace as trace_api
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Link, Status, StatusCode

from otel_agent_trace._internal import settings as settings_mod
from otel_agent_trace._internal.settings import Settings
from otel_agent_trace._internal.tracing import set_default_tracer_provider
from otel_agent_trace.api import agent_step, decision, snapshot_state, tool_call
from otel_agent_trace.exporters.file_store import FileSpanExporter
from otel_agent_trace.instrumentation.httpx import HTTPXInstrumentor
from otel_agent_trace.instrumentation.openai import OpenAIInstrumentor
from otel_agent_trace.instrumentation.requests import RequestsInstrumentor
from otel_agent_trace.processor import AgentSpanProcessor
from tests.core._secret_samples import EXTRA_SHAPES, SAMPLES
from tests.instrumentation.http.conftest import Server
from tests.instrumentation.openai.mock_server import running_server

CASES: dict[str, tuple[str, str]] = {name: make() for name, make in sorted({**SAMPLES, **EXTRA_SHAPES}.items())}
"""shape -> (text holding the secret, the secret's random body), drawn once per run."""

Tracer = trace_api.Tracer


def _api_arguments(tracer: Tracer) -> None:
    for name, (text, _) in CASES.items():
        with tool_call("lookup", arguments={"query": text, "shape": name}):
            pass


def _api_results(tracer: Tracer) -> None:
    for text, _ in CASES.values():
        with tool_call("lookup") as handle:
            handle.set_result({"rows": [text]})
        with tool_call("fetch") as handle:
            handle.set_result(text)


def _snapshot_state(tracer: Tracer) -> None:
    for text, _ in CASES.values():
        with agent_step("plan"):
            snapshot_state(working_memory={"notes": text}, beliefs={"env": text}, label="after tool")


def _decision_options(tracer: Tracer) -> None:
    for text, _ in CASES.values():
        with decision("route", options=[text, "fallback"], condition=f"if {text}") as handle:
            handle.choose(text)


def _decision_rationale(tracer: Tracer) -> None:
    for text, _ in CASES.values():
        with decision("route", options=["a", "b"]) as handle:
            handle.choose("a", rationale=f"because the config says {text}")


def _exceptions(tracer: Tracer) -> None:
    for text, _ in CASES.values():
        try:
            with tool_call("deploy"):
                raise RuntimeError(f"deploy failed with {text}")
        except RuntimeError:
            pass


def _status_description(tracer: Tracer) -> None:
    for text, _ in CASES.values():
        with tracer.start_as_current_span("call") as span:
            span.set_status(Status(StatusCode.ERROR, f"upstream said: {text}"))


def _span_names(tracer: Tracer) -> None:
    for text, _ in CASES.values():
        with tracer.start_as_current_span(f"query {text}"):
            pass


def _custom_events(tracer: Tracer) -> None:
    for text, _ in CASES.values():
        with tracer.start_as_current_span("work") as span:
            span.add_event("progress", {"detail": text, "lines": (text, "ok")})
            span.add_event(f"note {text}")


def _link_attributes(tracer: Tracer) -> None:
    with tracer.start_as_current_span("origin") as origin:
        context = origin.get_span_context()
    for text, _ in CASES.values():
        with tracer.start_as_current_span("follow", links=[Link(context, {"reason": text})]):
            pass


def _span_attributes(tracer: Tracer) -> None:
    for text, _ in CASES.values():
        with tracer.start_as_current_span("custom") as span:
            span.set_attribute("app.detail", text)
            span.set_attribute("app.lines", [text, "second"])


def _resource(tracer: Tracer) -> None:
    with tracer.start_as_current_span("one"):
        pass


def _http_requests(tracer: Tracer, server: Server) -> None:
    for text, _ in CASES.values():
        requests.post(f"{server.base_url}/echo", json={"prompt": text}, timeout=10)


def _http_httpx(tracer: Tracer, server: Server) -> None:
    with httpx.Client(timeout=10) as client:
        for text, _ in CASES.values():
            client.post(f"{server.base_url}/echo", content=f"note={text}".encode())


def _openai(tracer: Tracer, base_url: str) -> None:
    with openai.OpenAI(api_key="test-key", base_url=base_url, max_retries=0) as client:
        for text, _ in CASES.values():
            client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": text}],
            )


PATHS: dict[str, Callable[..., None]] = {
    "api-arguments": _api_arguments,
    "api-results": _api_results,
    "snapshot-state": _snapshot_state,
    "decision-options": _decision_options,
    "decision-rationale": _decision_rationale,
    "exception": _exceptions,
    "status-description": _status_description,
    "span-name": _span_names,
    "custom-events": _custom_events,
    "link-attributes": _link_attributes,
    "span-attributes": _span_attributes,
    "resource": _resource,
    "http-requests": _http_requests,
    "http-httpx": _http_httpx,
    "openai-content": _openai,
}


@pytest.fixture(scope="module")
def http_server() -> Iterator[Server]:
    server = Server()
    yield server
    server.close()


@pytest.fixture(scope="module")
def openai_url() -> Iterator[str]:
    with running_server() as server:
        yield server.base_url


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, http_server: Server, openai_url: str) -> Callable[[str], str]:
    """``exported(path)``: the store's bytes after running that path once for every shape (cached)."""

    @functools.cache
    def run(path: str) -> str:
        store = tmp_path_factory.mktemp(path)
        settings = Settings(capture_content=True)
        resource = {"service.name": "leak-matrix"}
        if path == "resource":
            resource.update({f"deploy.note.{i}": text for i, (text, _) in enumerate(CASES.values())})
        provider = TracerProvider(resource=Resource.create(resource))
        provider.add_span_processor(AgentSpanProcessor(exporter=FileSpanExporter(store), settings=settings))
        settings_mod.set_settings(settings)
        set_default_tracer_provider(provider)
        instrumentor = {"http-requests": RequestsInstrumentor, "http-httpx": HTTPXInstrumentor}.get(path)
        if path == "openai-content":
            instrumentor = OpenAIInstrumentor
        inst = instrumentor() if instrumentor else None
        if inst is not None:
            inst.instrument(tracer_provider=provider, capture_content=True)
        try:
            tracer = provider.get_tracer("leak-matrix")
            extra: tuple[object, ...] = ()
            if path.startswith("http-"):
                extra = (http_server,)
            elif path == "openai-content":
                extra = (openai_url,)
            PATHS[path](tracer, *extra)
            assert provider.force_flush(30_000)
        finally:
            if inst is not None:
                inst.uninstrument()
            provider.shutdown()
            set_default_tracer_provider(None)
            settings_mod.set_settings(None)
        data = "".join(p.read_text(errors="replace") for p in sorted(Path(store).rglob("*")) if p.is_file())
        assert data, f"nothing exported on path {path}"
        return data

    return run


XFAIL: dict[tuple[str, str], str] = {}
"""(path, shape) pairs known to leak, with the reason (strict: they must fail, so a fix is noticed)."""


def _params() -> list[object]:
    out = []
    for path in PATHS:
        for shape in CASES:
            marks = []
            if (path, shape) in XFAIL:
                marks.append(pytest.mark.xfail(strict=True, reason=XFAIL[(path, shape)]))
            out.append(pytest.param(path, shape, marks=marks, id=f"{path}-{shape}"))
    return out


@pytest.mark.parametrize(("path", "shape"), _params())
def test_no_secret_reaches_the_exported_bytes(exported: Callable[[str], str], path: str, shape: str) -> None:
    data = exported(path)
    _, body = CASES[shape]
    assert body not in data


@pytest.mark.parametrize("path", list(PATHS))
def test_each_path_exported_something_useful(exported: Callable[[str], str], path: str) -> None:
    data = exported(path)
    assert "[REDACTED]" in data  # the path really carried the secrets to the processor


def test_processor_applies_disabled_and_extra_rules(tmp_path: Path) -> None:
    """``redact_disable`` and ``SecretRule``s given to the settings reach the exported bytes."""
    from otel_agent_trace._internal._secret_rules import SecretRule

    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0." + CASES["jwt"][1]
    custom = "acme_" + "k3y" * 6
    rule = SecretRule("acme-key", "ACME key", r"acme_[a-z0-9]{16,}", prefixes=("acme_",))
    settings = Settings(capture_content=True, redact_disable=("jwt",), redact_rules=(rule,))
    provider = TracerProvider()
    provider.add_span_processor(AgentSpanProcessor(exporter=FileSpanExporter(tmp_path), settings=settings))
    with provider.get_tracer("t").start_as_current_span("s") as span:
        span.set_attribute("app.detail", f"{jwt} {custom}")
    assert provider.force_flush(10_000)
    provider.shutdown()
    data = "".join(p.read_text() for p in tmp_path.rglob("*") if p.is_file())
    assert jwt in data  # the disabled rule no longer applies
    assert custom not in data

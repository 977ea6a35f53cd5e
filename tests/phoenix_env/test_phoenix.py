"""Against a real Arize Phoenix server: the demo agent's spans show kinds, I/O and sessions there (issue 12, item 3).

Phoenix (``arize-phoenix``) runs from its own virtualenv, ``<repo>/.venv-phoenix`` (`PHOENIX_VENV`, built on first
use and reused while its requirement is unchanged), as a subprocess on free local ports with a temporary working
directory (sqlite). The spans are made in the project's environment, by the demo agent (the real ``openai`` SDK
against the demo's local fake LLM, our OpenAI instrumentor, the manual API), exported with the OTLP HTTP exporter to
Phoenix's ``/v1/traces``, and read back through Phoenix's REST API (``GET /v1/projects/{project}/spans``). When
Phoenix cannot be installed (no registry; Python 3.10, which Phoenix 20 does not support), the test is
skipped and says why.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.phoenix_env._venv import PHOENIX_PYTHON, PHOENIX_REQUIREMENT, PHOENIX_VENV

PROJECT = "otel-agent-trace-phoenix-test"
LANGGRAPH_PROJECT = "otel-agent-trace-phoenix-langgraph"
START_TIMEOUT_S = 120.0
INGEST_TIMEOUT_S = 60.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def phoenix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a Phoenix server started for this module (skips when Phoenix cannot be installed)."""
    if sys.version_info < PHOENIX_PYTHON:
        pytest.skip(f"{PHOENIX_REQUIREMENT} needs Python >= {'.'.join(map(str, PHOENIX_PYTHON))}")
    try:
        PHOENIX_VENV.ensure()
    except (AssertionError, OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"{PHOENIX_REQUIREMENT} could not be installed into {PHOENIX_VENV.name}: {str(exc)[-600:]}")
    work = tmp_path_factory.mktemp("phoenix")
    port, grpc_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "PYTEST_", "PHOENIX_"))}
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    env.update(
        PHOENIX_HOST="127.0.0.1",
        PHOENIX_PORT=str(port),
        PHOENIX_GRPC_PORT=str(grpc_port),
        PHOENIX_WORKING_DIR=str(work),
        PHOENIX_TELEMETRY_ENABLED="false",
        PHOENIX_ALLOW_EXTERNAL_RESOURCES="false",
    )
    log = (work / "phoenix.log").open("w")
    process = subprocess.Popen(
        [str(PHOENIX_VENV.python), "-m", "phoenix.server.main", "serve"],
        cwd=work,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process, work / "phoenix.log")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        log.close()


def _wait_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline, health = time.monotonic() + START_TIMEOUT_S, f"{base}/healthz"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"Phoenix exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        with contextlib.suppress(OSError, urllib.error.URLError), urllib.request.urlopen(health, timeout=2) as r:
            if r.status == 200:
                return
        time.sleep(0.25)
    pytest.fail(f"Phoenix did not answer /healthz within {START_TIMEOUT_S:.0f} s:\n{log.read_text()[-4000:]}")


@contextlib.contextmanager
def _exporting(base: str, project: str) -> Iterator[tuple[Any, Any]]:
    """(tracer provider, what it sent) of an ``init()`` exporting to Phoenix's OTLP HTTP endpoint into ``project``."""
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from otel_agent_trace._internal.settings import set_settings
    from otel_agent_trace._internal.tracing import set_default_tracer_provider
    from otel_agent_trace.configuration import init

    provider = init(
        "phoenix-test",
        exporters="otlp_http",
        endpoint=f"{base}/v1/traces",
        capture_content=True,
        instrumentors="none",
        set_global=False,
        resource_attributes={"openinference.project.name": project},
        metrics=False,  # Phoenix takes traces only
    )
    sent = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(sent))  # what was sent, to know when Phoenix has it all
    try:
        yield provider, sent
    finally:
        provider.shutdown()
        set_default_tracer_provider(None)
        set_settings(None)


def _send_demo_runs(base: str) -> tuple[int, str]:
    """Two runs of the demo agent (one passing, one failing) exported to Phoenix; (span count, the answer text)."""
    import openai

    from otel_agent_trace.demo._agent import NoOptionsError, run_agent
    from otel_agent_trace.demo._fake_llm import FakeLLM
    from otel_agent_trace.instrumentation.openai import OpenAIInstrumentor

    with _exporting(base, PROJECT) as (provider, sent):
        instrumentor = OpenAIInstrumentor()
        instrumentor.instrument(tracer_provider=provider)
        try:
            with FakeLLM() as llm:
                client = openai.OpenAI(base_url=llm.base_url, api_key="sk-demo-not-a-real-key-00000000", max_retries=0)
                answer = run_agent(client, budget_eur=200.0, faulty_rate=False, session_id="phx-pass")
                with contextlib.suppress(NoOptionsError):
                    run_agent(client, budget_eur=160.0, faulty_rate=True, session_id="phx-fail")
        finally:
            instrumentor.uninstrument()
    return len(sent.get_finished_spans()), answer


def _spans(base: str, expected: int, project: str = PROJECT) -> list[dict[str, Any]]:
    """Every span of ``project``, once Phoenix has ingested ``expected`` of them."""
    deadline = time.monotonic() + INGEST_TIMEOUT_S
    spans: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        with contextlib.suppress(urllib.error.HTTPError):  # 404 until the first span created the project
            spans = _get(f"{base}/v1/projects/{project}/spans?limit=1000")["data"]
            if len(spans) >= expected:
                return spans
        time.sleep(0.25)
    pytest.fail(f"Phoenix holds {len(spans)} of the {expected} spans sent after {INGEST_TIMEOUT_S:.0f} s")


def test_demo_agent_renders_with_kinds_io_and_sessions_in_phoenix(phoenix: str) -> None:
    sent, answer = _send_demo_runs(phoenix)
    spans = _spans(phoenix, sent)
    assert len(spans) == sent
    kinds = {s["name"]: s["span_kind"] for s in spans}
    assert "UNKNOWN" not in kinds.values(), kinds
    assert kinds["invoke_agent hotel-booker"] == "AGENT"
    assert kinds["execute_tool get_exchange_rate"] == "TOOL"
    assert kinds["chat demo-model"] == "LLM"
    steps = [s for s in spans if s["name"].startswith(("step ", "decision "))]
    assert len(steps) == 8  # plan, convert_budget, hotel_tier, compose_answer in each run
    for span in steps:
        attributes = span["attributes"]
        assert span["span_kind"] == "CHAIN", span["name"]
        assert attributes.get("input.value") or span["name"] == "step plan", span["name"]  # plan takes no input
        if span["status_code"] != "ERROR" and span["name"] != "step plan":  # plan's body is a `with` block
            assert attributes.get("output.value"), span["name"]
    for span in spans:
        attributes = span["attributes"]
        assert attributes["session.id"] in ("phx-pass", "phx-fail"), span["name"]
        assert attributes["user.id"] == "demo-user", span["name"]
        assert attributes["metadata.run_id"] == attributes["agent_trace.run.id"]  # Phoenix unfolds metadata JSON
    decisions = [s for s in spans if s["name"] == "decision hotel_tier"]
    assert {s["attributes"]["output.value"] for s in decisions} == {"premium", "budget"}
    assert all(json.loads(s["attributes"]["input.value"])["options"] == ["premium", "budget"] for s in decisions)
    tools = [s for s in spans if s["span_kind"] == "TOOL"]
    assert all(s["attributes"].get("input.value") and s["attributes"].get("output.value") for s in tools)
    llm_outputs = [s["attributes"].get("output.value") for s in spans if s["span_kind"] == "LLM"]
    assert answer in llm_outputs  # the answer text, not Phoenix's {"id":...,"model":...} fallback
    assert not any(str(out).startswith('{"id"') for out in llm_outputs), llm_outputs
    planning = [s for s in spans if s["span_kind"] == "LLM" and "llm.tools.0.tool.json_schema" in s["attributes"]]
    assert planning, "the planning call offered a tool: llm.tools is shown"
    schema = json.loads(planning[0]["attributes"]["llm.tools.0.tool.json_schema"])
    assert schema["function"]["name"] == "get_exchange_rate"


def test_zero_code_langgraph_run_renders_in_phoenix(phoenix: str) -> None:
    """A LangGraph ReAct run under our LangChain instrumentor: framework chains, routing and tools get kind and I/O."""
    from otel_agent_trace.api import agent_session
    from otel_agent_trace.instrumentation.langchain import LangChainInstrumentor
    from tests.instrumentation.langchain.graphs import add, react_graph, tool_calling_model

    with _exporting(phoenix, LANGGRAPH_PROJECT) as (provider, sent):
        instrumentor = LangChainInstrumentor()
        instrumentor.instrument(tracer_provider=provider)
        try:
            with agent_session("phx-langgraph", user_id="u-9"):
                react_graph(tool_calling_model(), [add]).invoke({"messages": [("user", "what is 1 + 2?")]})
        finally:
            instrumentor.uninstrument()
    spans = _spans(phoenix, len(sent.get_finished_spans()), LANGGRAPH_PROJECT)
    kinds = {s["name"]: s["span_kind"] for s in spans}
    assert "UNKNOWN" not in kinds.values(), kinds
    assert [s["span_kind"] for s in spans if s["parent_id"] is None] == ["AGENT"]
    for span in spans:
        attributes = span["attributes"]
        assert attributes["session.id"] == "phx-langgraph" and attributes["user.id"] == "u-9", span["name"]
        if span["span_kind"] in ("AGENT", "TOOL", "CHAIN"):
            assert attributes.get("input.value") and attributes.get("output.value"), span["name"]
    llm_outputs = [s["attributes"].get("output.value") for s in spans if s["span_kind"] == "LLM"]
    assert "The answer is 3" in llm_outputs
    (tool,) = [s for s in spans if s["span_kind"] == "TOOL"]
    assert json.loads(tool["attributes"]["input.value"]) == {"a": 1, "b": 2}

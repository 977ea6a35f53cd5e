"""Zero-code start-up: ``opentelemetry-instrument`` with every SDK installed imports none of them (real processes).

The program's own ``import openai`` patches openai, and its call to a local mock server is traced. The
instrumentor selection (``OTEL_AGENT_TRACE_INSTRUMENTORS``, ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS``) is honoured
under ``opentelemetry-instrument``, which loads our entry points itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from otel_agent_trace.model.loaders import load_traces
from tests.core.test_lazy import run_python
from tests.instrumentation.openai.mock_server import running_server

HTTP_CLIENTS = ("requests", "urllib3", "httpx", "httpx2", "aiohttp")


def test_opentelemetry_instrument_alone_imports_no_sdk() -> None:
    out = run_python(
        """
        print("loaded", loaded())
        from opentelemetry import trace
        from otel_agent_trace.instrumentation.openai import OpenAIInstrumentor
        print("provider", type(trace.get_tracer_provider()).__name__)
        print("instrumented", OpenAIInstrumentor().is_instrumented_by_opentelemetry)
        """,
        zero_code=True,
    )
    assert "loaded []" in out  # HTTP clients included, with the default exporter (the local file store)
    assert "provider TracerProvider" in out
    assert "instrumented True" in out  # enabled: a hook waiting for the program's import


def test_otlp_http_exporter_brings_only_the_http_client_it_uses() -> None:
    out = run_python(
        "print('loaded', loaded())",
        zero_code=True,
        env={"OTEL_AGENT_TRACE_EXPORTER": "otlp_http", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"},
    )
    (line,) = [ln for ln in out.splitlines() if ln.startswith("loaded ")]
    sdks_loaded = {name.strip("[]',") for name in line.split()[1:]} - {""}
    assert sdks_loaded <= set(HTTP_CLIENTS), line  # OTel's exporter's own client at most, never an LLM SDK


def test_zero_code_openai_call_is_traced(tmp_path: Path) -> None:
    with running_server() as server:
        out = run_python(
            f"""
            import openai
            client = openai.OpenAI(api_key="sk-test", base_url={server.base_url!r})
            reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{{"role": "user", "content": "hi"}}])
            print("reply", reply.choices[0].message.content)
            """,
            zero_code=True,
            env={"OTEL_AGENT_TRACE_EXPORTER": "file", "OTEL_AGENT_TRACE_STORE_DIR": str(tmp_path / "store")},
        )
    assert "reply Hello there!" in out
    (trace,) = load_traces(tmp_path / "store")
    chats = [s for s in trace.spans if s.name == "chat gpt-4o-mini"]
    assert len(chats) == 1
    assert chats[0].attributes["gen_ai.usage.input_tokens"] == 19
    assert chats[0].attributes["gen_ai.request.model"] == "gpt-4o-mini"


SELECTION = """
import openai, httpx
print("openai", patched_openai(), "httpx", patched_httpx())
"""


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "openai True httpx True"),
        ({"OTEL_AGENT_TRACE_INSTRUMENTORS": "openai"}, "openai True httpx False"),
        ({"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "agent_openai"}, "openai False httpx True"),
        ({"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "flask, openai"}, "openai False httpx True"),
        ({"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "*"}, "openai False httpx False"),
    ],
    ids=["all", "only-openai", "disabled-full-name", "disabled-short-name", "disabled-all"],
)
def test_zero_code_honours_the_instrumentor_selection(env: dict[str, str], expected: str) -> None:
    assert expected in run_python(SELECTION, zero_code=True, env=env)


def test_an_unknown_selected_name_is_logged_not_fatal() -> None:
    out = run_python(
        SELECTION,
        zero_code=True,
        env={"OTEL_AGENT_TRACE_INSTRUMENTORS": "openai,no_such_lib"},
    )
    assert "openai True httpx False" in out
    assert "OTEL_AGENT_TRACE_INSTRUMENTORS names unknown instrumentor(s) ['agent_no_such_lib']; ignored" in out


def test_init_honours_the_disabled_list() -> None:
    out = run_python(
        "from otel_agent_trace import init\ninit(exporters='none')\n" + SELECTION,
        env={"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "openai"},
    )
    assert "openai False httpx True" in out

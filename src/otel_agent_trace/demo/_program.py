"""The demo's runs as programs: tracing set up as a user's app does (``init()``), the fake LLM, one agent run."""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ._agent import run_agent
from ._fake_llm import FakeLLM

SERVICE = "hotel-booker-demo"
FAILING_BUDGET_EUR = 160.0
"""The failing run's task: a hotel for 160 EUR per night. The passing runs ask for 120, 200 and also 160 EUR (the
same request passed before the rates service broke), so a replay of the failing run with the right rate finds every
call it makes (the hotel search for 172.8 USD, the answer) recorded in a passing run: it needs nothing live."""


@contextlib.contextmanager
def traced_client(store_dir: str | Path | None = None) -> Iterator[Any]:
    """An ``openai.OpenAI`` client on a local fake LLM, traced to the store with replay data recorded.

    ``init(capture_content=True, record_replay=True)`` records what `otel_agent_trace.rca.replay` needs to re-run
    the run offline; the spans go to ``store_dir`` (default: ``$OTEL_AGENT_TRACE_STORE_DIR`` or
    ``.otel-agent-trace``).
    """
    import openai

    from otel_agent_trace.configuration import init
    from otel_agent_trace.instrumentation.openai import OpenAIInstrumentor

    options: dict[str, Any] = {"store_dir": store_dir} if store_dir is not None else {}
    if "record_replay" in inspect.signature(init).parameters:  # the option lands with the replay engine
        options["record_replay"] = True
    provider = init(SERVICE, exporters="file", capture_content=True, instrumentors="none", set_global=False, **options)
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        with FakeLLM() as llm:
            yield openai.OpenAI(base_url=llm.base_url, api_key="sk-demo-not-a-real-key-0000000000", max_retries=0)
    finally:
        instrumentor.uninstrument()
        provider.shutdown()


def failing_run(store_dir: str | Path | None = None) -> str:
    """The demo's failing run as a program (`rca --verify --program otel_agent_trace.demo:failing_run`).

    The exchange-rate tool answers 100x too small, so `compose_answer` raises `NoOptionsError`; re-run by a replay
    with the tool's output replaced by the passing runs' value, it returns the answer instead.
    """
    with traced_client(store_dir) as client:
        return run_agent(client, budget_eur=FAILING_BUDGET_EUR, faulty_rate=True, session_id="demo-fail")

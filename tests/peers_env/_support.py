"""What the peers tests share: running a scenario process, recognising LLM spans whoever made them, the checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from otel_agent_trace.model.loaders import load_traces

REPO = Path(__file__).resolve().parents[2]
CALLS = {"openai": 3, "anthropic": 2, "google-genai": 4, "bedrock": 4}
"""How many LLM calls each library's program makes (tests/peers_env/scenario.py)."""
BIN = Path(sys.executable).parent
UNMETERED = {"google-genai": 1}
"""Calls whose response carries no token usage (google-genai's embed_content)."""


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "PYTEST_"))}
    env.update(extra)
    return env


def _run(args: list[str], env: Mapping[str, str]) -> dict[str, Any]:
    result = subprocess.run(
        args,
        cwd=REPO,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 0, f"{args}\n{result.stdout[-4000:]}\n{result.stderr[-6000:]}"
    document: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    document["stderr"] = result.stderr
    return document


def _scenario(library: str, peers: str, order: str, policy: str | None = None) -> dict[str, Any]:
    env = _env(**({"OTEL_AGENT_TRACE_PEER_POLICY": policy} if policy else {}))
    return _run([sys.executable, "-m", "tests.peers_env.scenario", library, peers, order], env)


def _zero_code(library: str, store: Path) -> dict[str, Any]:
    env = _env(
        OTEL_PYTHON_DISTRO="agent_trace",
        OTEL_PYTHON_CONFIGURATOR="agent_trace",
        OTEL_AGENT_TRACE_EXPORTER="file",
        OTEL_AGENT_TRACE_STORE_DIR=str(store),
        OTEL_SERVICE_NAME="peers-zero-code",
    )
    args = [str(BIN / "opentelemetry-instrument"), sys.executable, "-m", "tests.peers_env.scenario"]
    document = _run([*args, library, "", "zero-code"], env)
    document["spans"] = [
        {
            "name": s.name,
            "scope": s.scope,
            "span_id": s.span_id,
            "parent_id": s.parent_span_id,
            "attributes": s.attributes,
        }
        for t in load_traces(store)
        for s in t.spans
    ]
    return document


def is_llm_span(span: Mapping[str, Any]) -> bool:
    """An LLM call's span, whoever made it (GenAI semconv, OpenInference or OpenLLMetry conventions)."""
    attributes = span["attributes"]
    return (
        attributes.get("gen_ai.operation.name") in ("chat", "text_completion", "embeddings", "generate_content")
        or attributes.get("openinference.span.kind") in ("LLM", "EMBEDDING")
        or "llm.request.type" in attributes
    )


def token_spans(spans: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [
        s
        for s in spans
        if any(k.startswith(("gen_ai.usage.", "llm.token_count.", "llm.usage.")) for k in s["attributes"])
    ]


def assert_one_span_per_call(document: Mapping[str, Any], library: str) -> list[Mapping[str, Any]]:
    spans = document["spans"]
    llm = [s for s in spans if is_llm_span(s)]
    shape = [(s["name"], s["scope"], s["parent_id"]) for s in spans]
    assert len(llm) == CALLS[library], shape
    metered = token_spans(spans)
    assert all(s in llm for s in metered), shape  # usage only on LLM spans...
    assert len(metered) == CALLS[library] - UNMETERED.get(library, 0), shape  # ...every metered call's, once
    ids = {s["span_id"] for s in llm}
    assert not any(s["parent_id"] in ids for s in llm), shape  # no LLM span nested in another
    return llm


def warnings_naming(document: Mapping[str, Any], distribution: str) -> list[str]:
    return [m for m in document["messages"] if m.startswith("WARNING") and f"({distribution})" in m]

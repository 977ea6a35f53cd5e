"""With OpenInference, OpenLLMetry and openai-v2 really installed: one LLM span per call, tokens counted once.

Runs in ``.venv-peers`` (tests/instrumentation/peers/test_peers_env.py builds it). Each scenario is a fresh process
(`tests.peers_env.scenario`), for each peer and each instrumentation order, and under ``opentelemetry-instrument``;
the scenarios run a few at a time, once per session.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from otel_agent_trace.model.loaders import load_traces

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

PEER_NAMES = {
    ("openai", "openinference"): "openinference-instrumentation-openai",
    ("openai", "openllmetry"): "opentelemetry-instrumentation-openai",
    ("openai", "openai_v2"): "opentelemetry-instrumentation-openai-v2",
    ("anthropic", "openinference"): "openinference-instrumentation-anthropic",
    ("anthropic", "openllmetry"): "opentelemetry-instrumentation-anthropic",
}
CALLS = {"openai": 3, "anthropic": 2}
ORDERS = ("ours-first", "peers-first")
SINGLE = [(lib, peer, order) for (lib, peer) in PEER_NAMES for order in ORDERS]
POLICY_CASES = [
    ("theirs", "openai", "openllmetry", "ours-first"),
    ("theirs", "openai", "openai_v2", "peers-first"),
    ("theirs", "anthropic", "openinference", "peers-first"),
    ("both", "openai", "openllmetry", "peers-first"),
]
ALL_OPENAI = ("openai", "openinference,openllmetry,openai_v2", "peers-first")


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


@pytest.fixture(scope="session")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, ...], dict[str, Any]]:
    """Every scenario's spans and log messages, run three processes at a time."""
    jobs: dict[tuple[str, ...], Any] = {}
    with ThreadPoolExecutor(max_workers=3) as pool:
        for case in SINGLE:
            jobs[case] = pool.submit(_scenario, *case)
        jobs[ALL_OPENAI] = pool.submit(_scenario, *ALL_OPENAI)
        for policy, *case in POLICY_CASES:
            jobs[(policy, *case)] = pool.submit(_scenario, *case, policy)
        for library in CALLS:
            jobs[("zero-code", library)] = pool.submit(_zero_code, library, tmp_path_factory.mktemp(library))
        return {key: job.result() for key, job in jobs.items()}


def is_llm_span(span: Mapping[str, Any]) -> bool:
    """An LLM call's span, whoever made it (GenAI semconv, OpenInference or OpenLLMetry conventions)."""
    attributes = span["attributes"]
    return (
        attributes.get("gen_ai.operation.name") in ("chat", "text_completion", "embeddings")
        or attributes.get("openinference.span.kind") == "LLM"
        or "llm.request.type" in attributes
    )


def token_spans(spans: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [s for s in spans if any(k.startswith(("gen_ai.usage.", "llm.token_count.")) for k in s["attributes"])]


def assert_one_span_per_call(document: Mapping[str, Any], library: str) -> list[Mapping[str, Any]]:
    spans = document["spans"]
    llm = [s for s in spans if is_llm_span(s)]
    shape = [(s["name"], s["scope"], s["parent_id"]) for s in spans]
    assert len(llm) == CALLS[library], shape
    assert token_spans(spans) == llm, shape  # every call's usage, each on exactly one span
    ids = {s["span_id"] for s in llm}
    assert not any(s["parent_id"] in ids for s in llm), shape  # no LLM span nested in another
    return llm


def warnings_naming(document: Mapping[str, Any], distribution: str) -> list[str]:
    return [m for m in document["messages"] if m.startswith("WARNING") and f"({distribution})" in m]


@pytest.mark.parametrize(("library", "peer", "order"), SINGLE)
def test_one_llm_span_per_call_and_one_warning_naming_the_peer(results, library, peer, order):
    document = results[(library, peer, order)]
    llm = assert_one_span_per_call(document, library)
    distribution = PEER_NAMES[(library, peer)]
    (warning,) = warnings_naming(document, distribution)
    assert "OTEL_AGENT_TRACE_PEER_POLICY" in warning
    assert len([m for m in document["messages"] if m.startswith("WARNING")]) == 1, document["messages"]
    for span in llm:  # the user's exporter got our processor's stamps and our attributes, on the one span
        assert span["attributes"]["agent_trace.session.id"] == "s-peers"
        assert span["attributes"]["gen_ai.request.model"].startswith(("gpt-4o-mini", "claude-sonnet-4-5"))
        assert span["attributes"]["gen_ai.usage.input_tokens"] > 0
    ours = [s for s in llm if s["scope"].startswith("otel_agent_trace")]
    if order == "peers-first" or (peer == "openinference" and library == "openai"):
        assert ours == llm  # our wrapper is the outer one: ours is the span, the peer stepped aside
    else:  # the peer's wrapper is outside ours: one span, the peer's, or ours recorded on it
        assert not ours


def test_all_three_openai_peers_instrumented_first_still_one_span(results):
    document = results[ALL_OPENAI]
    llm = assert_one_span_per_call(document, "openai")
    assert all(s["scope"] == "otel_agent_trace.OpenAIInstrumentor" for s in llm)
    for distribution in ("openinference-instrumentation-openai", "opentelemetry-instrumentation-openai",
                         "opentelemetry-instrumentation-openai-v2"):  # fmt: skip
        assert len(warnings_naming(document, distribution)) == 1, document["messages"]


@pytest.mark.parametrize(("library", "peer", "order"), [tuple(c[1:]) for c in POLICY_CASES if c[0] == "theirs"])
def test_policy_theirs_keeps_only_the_peer_span(results, library, peer, order):
    document = results[("theirs", library, peer, order)]
    llm = assert_one_span_per_call(document, library)
    assert not [s for s in llm if s["scope"].startswith("otel_agent_trace")]
    assert not warnings_naming(document, PEER_NAMES[(library, peer)])  # chosen explicitly: INFO, not WARNING
    assert any(PEER_NAMES[(library, peer)] in m for m in document["messages"])
    assert all(s["attributes"]["agent_trace.session.id"] == "s-peers" for s in llm)  # the processor still stamps


def test_policy_both_keeps_both_spans(results):
    document = results[("both", "openai", "openllmetry", "peers-first")]
    llm = [s for s in document["spans"] if is_llm_span(s)]
    assert len(llm) == 2 * CALLS["openai"]
    assert sorted({s["scope"] for s in llm}) == [
        "opentelemetry.instrumentation.openai.v1",
        "otel_agent_trace.OpenAIInstrumentor",
    ]


TWO_PEERS_OUTSIDE = pytest.mark.xfail(
    strict=True,
    reason="under opentelemetry-instrument both anthropic peers patch after ours and nest among themselves, out of "
    "our reach (docs/setup.md, 'Limits')",
)


@pytest.mark.parametrize("library", ["openai", pytest.param("anthropic", marks=TWO_PEERS_OUTSIDE)])
def test_zero_code_with_every_peer_installed_one_span_per_call(results, library):
    document = results[("zero-code", library)]
    assert_one_span_per_call(document, library)
    for (lib, _), distribution in PEER_NAMES.items():
        if lib == library:
            assert len(warnings_naming(document, distribution)) == 1, document["messages"]


def test_zero_code_two_peers_outside_ours_ours_adds_no_span(results):
    document = results[("zero-code", "anthropic")]
    llm = [s for s in document["spans"] if is_llm_span(s)]
    assert not [s for s in llm if s["scope"].startswith("otel_agent_trace")]
    assert len(llm) == 2 * CALLS["anthropic"]  # the two peers' own spans, nested: what we cannot undo
    assert {s["scope"] for s in llm} == {
        "openinference.instrumentation.anthropic",
        "opentelemetry.instrumentation.anthropic",
    }

"""The official ``opentelemetry-instrumentation-google-genai`` beside ours: one LLM span per call, tokens once.

Runs in ``.venv-peers-genai`` (tests/instrumentation/peers/test_peers_env.py builds it: this peer needs
util-genai 1.3b0, which the openai-v2 peer of ``.venv-peers`` cannot import). Each scenario is a fresh process.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from ._support import CALLS, _scenario, assert_one_span_per_call, is_llm_span, warnings_naming

DISTRIBUTION = "opentelemetry-instrumentation-google-genai"
CASES = [(None, "ours-first"), (None, "peers-first"), ("theirs", "ours-first"), ("both", "peers-first")]


@pytest.fixture(scope="module")
def results() -> dict[tuple[str | None, str], dict[str, Any]]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        jobs = {case: pool.submit(_scenario, "google-genai", "contrib", case[1], case[0]) for case in CASES}
        return {case: job.result() for case, job in jobs.items()}


@pytest.mark.parametrize("order", ["ours-first", "peers-first"])
def test_one_llm_span_per_call_with_our_attributes(results, order):
    document = results[(None, order)]
    llm = assert_one_span_per_call(document, "google-genai")
    (warning,) = warnings_naming(document, DISTRIBUTION)
    assert "OTEL_AGENT_TRACE_PEER_POLICY" in warning
    # its spans are current (its stream proxy makes them current around each read): ours records on them
    assert all("agent_trace.step.action_type" in s["attributes"] for s in llm), [(s["name"], s["scope"]) for s in llm]
    assert all(s["attributes"]["agent_trace.session.id"] == "s-peers" for s in llm)
    scopes = {s["scope"] for s in llm}
    assert "opentelemetry.instrumentation.google_genai" in scopes  # generate_content*: its wrapper is outside ours


def test_policy_theirs_ours_records_nothing(results):
    document = results[("theirs", "ours-first")]
    llm = assert_one_span_per_call(document, "google-genai")
    assert not [s for s in llm if s["scope"].startswith("otel_agent_trace")]
    assert not [s for s in llm if "agent_trace.step.action_type" in s["attributes"]]
    assert not warnings_naming(document, DISTRIBUTION)


def test_policy_both_nests(results):
    document = results[("both", "peers-first")]
    llm = [s for s in document["spans"] if is_llm_span(s)]
    assert len(llm) == 2 * CALLS["google-genai"]

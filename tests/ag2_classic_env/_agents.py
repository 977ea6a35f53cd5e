"""Agents and trees of the AG2 Classic tests: an LLM config for the mock server, span lookups, the RCA model trace."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan

from otel_agent_trace.model import Trace
from tests.autogen_env._mock_llm import MockLLMServer
from tests.autogen_env._tree import attr_json, is_under, named
from tests.instrumentation._spans import model_span

__all__ = ["OURS", "attr_json", "is_under", "llm_config", "named", "ours", "to_trace"]

OURS = "otel_agent_trace.AG2ClassicInstrumentor"


def llm_config(llm: MockLLMServer) -> dict[str, Any]:
    """The ``llm_config`` of an agent whose LLM is the mock server (no cache: every call reaches the server)."""
    return {
        "config_list": [{"model": "gpt-4o", "api_key": "test", "base_url": llm.base_url, "max_retries": 0}],
        "cache_seed": None,
    }


def ours(spans: Sequence[ReadableSpan], prefix: str) -> list[ReadableSpan]:
    """Our spans whose name starts with ``prefix``, in start order."""
    found = [s for s in spans if s.name.startswith(prefix) and s.instrumentation_scope.name == OURS]
    return sorted(found, key=lambda s: s.start_time or 0)


def to_trace(spans: Sequence[ReadableSpan]) -> Trace:
    """The chat's trace as the RCA's model `Trace` (what the JSONL/OTLP loaders would give)."""
    out = [model_span(s) for s in spans]
    trace_ids = {span.trace_id for span in out}
    assert len(trace_ids) == 1, trace_ids
    return Trace(trace_ids.pop(), tuple(out))

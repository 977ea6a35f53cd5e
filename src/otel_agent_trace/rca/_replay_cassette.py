"""The cassette of a replay: what a recorded trace can serve back, as plain JSON for the replay subprocess.

Built from the ``agent_trace.replay.*`` recordings of a trace (semconv/replay.py): the HTTP exchanges in recorded
order, the manual API's tool results by tool name in call order, and the overrides mapped from the original span
ids to (kind, name, occurrence). Entries that cannot be served carry a ``problem`` (truncated, redacted, missing)
so that the replay stops with that reason when it needs them, instead of serving garbage.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from otel_agent_trace.model import Span, Trace
from otel_agent_trace.semconv import agent as ag
from otel_agent_trace.semconv import gen_ai
from otel_agent_trace.semconv import replay as rp

__all__ = [
    "API_SCOPE",
    "CASSETTE_VERSION",
    "FRAMEWORK_TOOLS",
    "OverrideError",
    "build_cassette",
    "replay_entries",
    "tool_name",
]

CASSETTE_VERSION = 1
API_SCOPE = "otel_agent_trace"
"""Instrumentation scope of the manual API's spans: only those are served or overridden by name and occurrence."""
REDACTION_MARK = "[REDACTED"
_ARGS_PREVIEW = 160


class OverrideError(ValueError):
    """An override names a span that is not in the trace, or one whose output a replay cannot replace."""


def _truncated(span: Span) -> tuple[str, ...]:
    value = span.attributes.get(ag.TRUNCATED, ())
    return tuple(str(v) for v in value) if isinstance(value, (list, tuple)) else (str(value),) if value else ()


def _label(span: Span, occurrence: int) -> str:
    return f"span {span.name} (#{occurrence + 1})"


FRAMEWORK_TOOLS = {
    f"{API_SCOPE}.LangChainInstrumentor": "langchain:",
    f"{API_SCOPE}.OpenAIAgentsInstrumentor": "openai_agents:",
    f"{API_SCOPE}.LlamaIndexInstrumentor": "llama_index:",
    f"{API_SCOPE}.SmolagentsInstrumentor": "smolagents:",
    f"{API_SCOPE}.CrewAIInstrumentor": "crewai:",
}
"""Instrumentation scopes whose ``execute_tool`` spans a replay serves (replay/_tools.py), and the prefix of their
cassette names (numbered apart from the manual API's tools of the same name)."""


def tool_name(cassette_name: str) -> str:
    """The tool's own name in a cassette name (``openai_agents:get_weather`` -> ``get_weather``)."""
    for prefix in FRAMEWORK_TOOLS.values():
        if cassette_name.startswith(prefix):
            return cassette_name[len(prefix) :]
    return cassette_name


def _kind(span: Span) -> str | None:
    if span.scope in FRAMEWORK_TOOLS and span.attributes.get(gen_ai.GEN_AI_OPERATION_NAME) == "execute_tool":
        return "tool"
    if span.scope != API_SCOPE:
        return None
    if span.attributes.get(gen_ai.GEN_AI_OPERATION_NAME) == "execute_tool" and span.name.startswith("execute_tool "):
        return "tool"
    if span.name.startswith("step ") and ag.AGENT_STEP_NAME in span.attributes:
        return "step"
    return None


def _op_name(span: Span, kind: str) -> str:
    if kind == "tool":
        name = str(span.attributes.get(gen_ai.GEN_AI_TOOL_NAME, span.name.removeprefix("execute_tool ")))
        return FRAMEWORK_TOOLS.get(span.scope, "") + name
    return str(span.attributes.get(ag.AGENT_STEP_NAME, span.name.removeprefix("step ")))


def _occurrences(trace: Trace) -> dict[str, tuple[str, str, int]]:
    """(kind, name, 0-based occurrence) of every manual-API tool and step span and LangChain tool, in start order."""
    counts: dict[tuple[str, str], int] = {}
    out: dict[str, tuple[str, str, int]] = {}
    for span in sorted(trace.spans, key=lambda s: (s.start_ns, s.span_id)):
        kind = _kind(span)
        if kind is None:
            continue
        name = _op_name(span, kind)
        index = counts.get((kind, name), 0)
        counts[(kind, name)] = index + 1
        out[span.span_id] = (kind, name, index)
    return out


def _exception(span: Span) -> tuple[str, str]:
    for event in reversed(span.events):
        if event.name == "exception":
            return str(span.attributes.get("error.type") or event.attributes.get("exception.type", "Exception")), str(
                event.attributes.get("exception.message", "")
            )
    return str(span.attributes.get("error.type", "Exception")), span.status_message


def _complete(span: Span, key: str, value: object) -> bool:
    """``value`` (the span's attribute ``key``) is a string as recorded: neither cut nor redacted."""
    return isinstance(value, str) and key not in _truncated(span) and REDACTION_MARK not in value


def _tool_entry(span: Span, label: str) -> dict[str, Any]:
    attrs = span.attributes
    args = attrs.get(gen_ai.GEN_AI_TOOL_CALL_ARGUMENTS)
    entry: dict[str, Any] = {
        "span_id": span.span_id,
        "label": label,
        "args_hash": attrs.get(rp.REPLAY_ARGUMENTS_HASH),
        "args": None if args is None else str(args)[:_ARGS_PREVIEW],
        "problem": None,
    }
    if span.scope in FRAMEWORK_TOOLS and _complete(span, gen_ai.GEN_AI_TOOL_CALL_ARGUMENTS, args):
        entry["args_full"] = args  # fingerprinted by the replay runner, as the replayed call's arguments will be
    result = attrs.get(gen_ai.GEN_AI_TOOL_CALL_RESULT)
    if span.is_error and result is None:
        entry["kind"] = "error"
        entry["error_type"], entry["error_message"] = _exception(span)
        return entry
    entry["kind"] = str(attrs.get(rp.REPLAY_RESULT_KIND, "auto"))
    entry["result"] = result
    if result is None:
        entry["problem"] = f"{label} has no recorded result (record with capture_content=True and record_replay=True)"
    elif gen_ai.GEN_AI_TOOL_CALL_RESULT in _truncated(span):
        entry["problem"] = f"{label}'s recording was truncated (its result exceeded max_attribute_bytes)"
    elif REDACTION_MARK in str(result):
        entry["problem"] = f"{label}'s recorded result has a redacted value; the replay needs it (see redact_disable)"
    return entry


def _http_entry(span: Span, index: int, event_attrs: Mapping[str, Any], label: str) -> dict[str, Any]:
    a = event_attrs
    entry: dict[str, Any] = {
        "seq": a.get(rp.REPLAY_SEQ, 0),
        "span_id": span.span_id,
        "label": label,
        "method": a.get(rp.REPLAY_REQUEST_METHOD),
        "path": a.get(rp.REPLAY_REQUEST_PATH),
        "hash": a.get(rp.REPLAY_REQUEST_HASH),
        "summary": a.get(rp.REPLAY_REQUEST_SUMMARY, ""),
        "status": a.get(rp.REPLAY_RESPONSE_STATUS),
        "headers": a.get(rp.REPLAY_RESPONSE_HEADERS, "[]"),
        "body": a.get(rp.REPLAY_RESPONSE_BODY),
        "body_encoding": a.get(rp.REPLAY_RESPONSE_BODY_ENCODING, "utf-8"),
        "error_type": a.get(rp.REPLAY_ERROR_TYPE),
        "error_message": a.get(rp.REPLAY_ERROR_MESSAGE),
        "problem": None,
    }
    body = entry["body"]
    cut = any(t.startswith(f"events[{index}].") for t in _truncated(span))
    if entry["error_type"] is not None:
        return entry
    if a.get(rp.REPLAY_RESPONSE_COMPLETE) is False or body is None or cut:
        entry["problem"] = (
            f"{label}'s recording was truncated (response of {a.get(rp.REPLAY_RESPONSE_SIZE, '?')} bytes; the body "
            "must fit in max_attribute_bytes and the stream be read to its end)"
        )
    elif REDACTION_MARK in str(body):
        entry["problem"] = f"{label}'s recorded response has a redacted value; the replay needs it (see redact_disable)"
    elif entry["body_encoding"] == "utf-8" and len(str(body).encode("utf-8")) != a.get(rp.REPLAY_RESPONSE_SIZE):
        entry["problem"] = f"{label}'s recording was truncated (the stored body is shorter than the response)"
    return entry


def replay_entries(trace: Trace) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """The trace's recorded HTTP exchanges (in recorded order) and tool results (by tool name, in call order)."""
    occurrences = _occurrences(trace)
    span_counts: dict[str, int] = {}
    http: list[dict[str, Any]] = []
    tools: dict[str, list[dict[str, Any]]] = {}
    for span in sorted(trace.spans, key=lambda s: (s.start_ns, s.span_id)):
        seen = span_counts.get(span.name, 0)
        span_counts[span.name] = seen + 1
        for i, event in enumerate(span.events):
            if event.name == rp.REPLAY_HTTP_EVENT:
                http.append(_http_entry(span, i, event.attributes, _label(span, seen)))
        kind, name, index = occurrences.get(span.span_id, (None, "", 0))
        if kind == "tool":
            tools.setdefault(name, []).append(_tool_entry(span, _label(span, index)))
    http.sort(key=lambda e: e["seq"] if isinstance(e["seq"], int) else 0)
    return http, tools


def _json_value(span_id: str, value: object) -> object:
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        raise OverrideError(
            f"the override for span {span_id} is not JSON-serializable: {type(value).__name__}"
        ) from None


def _llm_override(span: Span, value: object, recorded: list[dict[str, Any]]) -> dict[str, Any]:
    """An LLM span's override: its (last) recorded response is to be rewritten to answer ``value``."""
    text = _answer_text(value)
    if text is None:
        raise OverrideError(
            f"the override for LLM span {span.span_id} ({span.name}) must be the answer's text (or gen_ai output "
            f"messages with text parts only), not {_short(value)}"
        )
    recorded[-1]["override"] = {"span_id": span.span_id, "text": text}
    return {"span_id": span.span_id, "kind": "llm", "name": span.name, "index": -1, "value": text}


def _short(value: object) -> str:
    """``value`` in at most 80 characters, for messages."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _answer_text(value: object) -> str | None:
    """The text an LLM answer override stands for: a string, or ``gen_ai.output.messages`` whose parts are text."""
    if isinstance(value, str):
        return value
    messages = value if isinstance(value, list) else [value]
    texts: list[str] = []
    for message in messages:
        parts = message.get("parts") if isinstance(message, dict) else None
        if not isinstance(parts, list):
            return None
        for part in parts:
            if not (isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("content"), str)):
                return None  # a tool call, an image...: not a text answer
            texts.append(part["content"])
    return "".join(texts) if messages else None


def build_cassette(
    trace: Trace,
    *,
    override: Mapping[str, object] | None = None,
    baseline: Iterable[Trace] = (),
    allow_live: bool = False,
) -> dict[str, Any]:
    """The cassette for replaying ``trace`` (JSON-serializable).

    Raises:
        OverrideError: an override names a span not in ``trace``, one that is not a decorated ``tool_call`` or
            ``agent_step`` of the manual API nor an LLM span with a recorded response, or has a value that is not
            JSON-serializable (an LLM span's must be text).
    """
    http, tools = replay_entries(trace)
    pool_http: list[dict[str, Any]] = []
    pool_tools: dict[str, list[dict[str, Any]]] = {}
    for other in baseline:
        if other.trace_id == trace.trace_id:
            continue
        more_http, more_tools = replay_entries(other)
        pool_http.extend(more_http)
        for name, entries in more_tools.items():
            pool_tools.setdefault(name, []).extend(entries)
    occurrences = _occurrences(trace)
    overrides: list[dict[str, Any]] = []
    for span_id, value in (override or {}).items():
        span = trace.by_id.get(str(span_id))
        if span is None:
            raise OverrideError(f"no span {span_id} in trace {trace.trace_id}")
        recorded = [e for e in http if e["span_id"] == span.span_id]
        if span.span_id not in occurrences and recorded:
            overrides.append(_llm_override(span, value, recorded))
            continue
        if span.span_id not in occurrences:
            raise OverrideError(
                f"span {span_id} ({span.name}) cannot be overridden: only the outputs of decorated tool_call and "
                "agent_step functions of the manual API, LangChain, OpenAI Agents SDK, LlamaIndex, smolagents "
                "and CrewAI tools, and LLM spans with a recorded response, are replaced"
            )
        kind, name, index = occurrences[span.span_id]
        overrides.append(
            {"span_id": span.span_id, "kind": kind, "name": name, "index": index, "value": _json_value(span_id, value)}
        )
    root = min(trace.roots, key=lambda s: (s.start_ns, s.span_id), default=None)
    return {
        "version": CASSETTE_VERSION,
        "trace_id": trace.trace_id,
        "root": root.name if root is not None else None,
        "http": http,
        "tools": tools,
        "pool_http": pool_http,
        "pool_tools": pool_tools,
        "overrides": overrides,
        "allow_live": allow_live,
    }

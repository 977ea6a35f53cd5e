"""The value passing runs give for a span of a failing run: what a counterfactual replay substitutes for it.

A span is matched by name and occurrence (the n-th span of that name, start order) in each passing run, of the same
kind (`view.span_kind`). Its passing value is its output in the passing runs that gave it the same input, else its
output when it is identical in every passing run (2+ runs). A value the processor redacted or truncated is no value.

>>> from otel_agent_trace.model import Span, Trace
>>> def run(tid, rate):
...     attrs = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.call.result": f'{{"rate": {rate}}}'}
...     return Trace(tid, (Span(tid, tid + "1", None, "execute_tool rate", 0, 1, attributes=attrs),))
>>> failing = run("f", 0.0108)
>>> found = passing_value(failing, failing.spans[0], [run("a", 1.08), run("b", 1.08)])
>>> found.value, found.source
({'rate': 1.08}, 'the same in all 2 passing runs')
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from otel_agent_trace.model import Span, Trace
from otel_agent_trace.semconv import (
    AGENT_STEP_INPUT,
    AGENT_STEP_OUTPUT,
    DECISION_CHOSEN,
    GEN_AI_INPUT_MESSAGES,
    GEN_AI_OUTPUT_MESSAGES,
    GEN_AI_TOOL_CALL_ARGUMENTS,
    GEN_AI_TOOL_CALL_RESULT,
    TRUNCATED,
)

from .values import parse_payload
from .view import span_kind

__all__ = ["Substitute", "matching_span", "occurrence", "passing_value", "short"]

OUTPUT_KEYS = (GEN_AI_TOOL_CALL_RESULT, AGENT_STEP_OUTPUT, GEN_AI_OUTPUT_MESSAGES, DECISION_CHOSEN)
"""Where a span's output is, first found wins."""
INPUT_KEYS = (GEN_AI_TOOL_CALL_ARGUMENTS, AGENT_STEP_INPUT, GEN_AI_INPUT_MESSAGES)
_REDACTED = "[REDACTED"
_VOLATILE = frozenset({"id", "call_id", "tool_call_id", "created", "system_fingerprint", "usage"})
"""Keys whose values differ from run to run without meaning anything (compared without them)."""
_CUT = ("...[truncated ", '"_truncated":true', '"_truncated": true')


def _canon(value: Any) -> str:
    """``value`` as canonical JSON without per-run bookkeeping (call ids, timestamps, token usage), to compare runs."""
    return _json(_strip(value))


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if str(k).lower() not in _VOLATILE}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)


def short(value: Any, limit: int = 200) -> str:
    """``value`` as text (JSON unless a string), cut to ``limit`` characters."""
    text = value if isinstance(value, str) else _json(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _payload(span: Span, keys: Sequence[str]) -> tuple[str, Any] | None:
    for key in keys:
        if key in span.attributes:
            return key, span.attributes[key]
    return None


def occurrence(trace: Trace, span: Span) -> int:
    """How many spans of the same name start before ``span`` in ``trace``."""
    same = [s for s in trace.spans if s.name == span.name]
    return next(i for i, s in enumerate(same) if s.span_id == span.span_id)


def matching_span(trace: Trace, name: str, kind: str, index: int) -> Span | None:
    """The ``index``-th span (0-based, start order) named ``name`` in ``trace``, if it is of ``kind``."""
    same = [s for s in trace.spans if s.name == name]
    if index >= len(same):
        return None
    found = same[index]
    return found if span_kind(found) == kind else None


def _unusable(span: Span, key: str, raw: Any) -> str | None:
    text = raw if isinstance(raw, str) else _json(raw)
    cut = span.attributes.get(TRUNCATED, ())
    if (isinstance(cut, (tuple, list)) and key in cut) or any(marker in text for marker in _CUT):
        return "truncated"
    return "redacted" if _REDACTED in text else None


@dataclass(frozen=True)
class Substitute:
    """A passing value (``found``), where it came from, or why there is none (``problem``)."""

    value: Any = None
    found: bool = False
    source: str = ""
    problem: str = ""
    same_as_run: bool = False


def passing_value(trace: Trace, span: Span, baseline: Sequence[Trace]) -> Substitute:
    """The value the passing runs give for ``span``: same-input runs first, else a value stable across all."""
    kind, index = span_kind(span), occurrence(trace, span)
    label = f"'{span.name}'" + (f" (occurrence {index + 1})" if index else "")
    mine_in = _payload(span, INPUT_KEYS)
    mine_out = _payload(span, OUTPUT_KEYS)
    present: list[tuple[Span, str, Any]] = []
    for run in baseline:
        match = matching_span(run, span.name, kind, index)
        out = _payload(match, OUTPUT_KEYS) if match is not None else None
        if match is not None and out is not None:
            present.append((match, *out))
    if not present:
        return Substitute(problem=f"no passing run has an output for {label}")
    same_input = []
    if mine_in is not None:
        wanted = _canon(parse_payload(mine_in[1]))
        for match, key, raw in present:
            theirs = _payload(match, INPUT_KEYS)
            if theirs is not None and _canon(parse_payload(theirs[1])) == wanted:
                same_input.append((match, key, raw))
    if same_input and len({_canon(parse_payload(raw)) for _, _, raw in same_input}) == 1:
        chosen, source = same_input, f"its output in {len(same_input)} passing run(s) given the same input"
    elif (
        len(baseline) >= 2
        and len(present) == len(baseline)
        and len({_canon(parse_payload(r)) for *_, r in present}) == 1
    ):
        chosen, source = present, f"the same in all {len(present)} passing runs"
    else:
        seen = list(dict.fromkeys(short(parse_payload(raw), 40) for *_, raw in present))
        if len(present) < len(baseline) or len(baseline) < 2:
            why = f"only {len(present)} of {len(baseline)} passing run(s) have {label}, with no matching input"
        else:
            why = f"its output differs across the {len(present)} passing runs ({', '.join(seen[:3])}" + (
                ", …)" if len(seen) > 3 else ")"
            )
            why += ": it depends on the task, there is no single passing value"
        return Substitute(problem=why)
    match, key, raw = chosen[0]
    problem = _unusable(match, key, raw)
    if problem:
        return Substitute(problem=f"the passing runs' value of {label} was {problem}: it cannot be substituted")
    value = parse_payload(raw)
    same = mine_out is not None and _canon(parse_payload(mine_out[1])) == _canon(value)
    return Substitute(value, True, source, same_as_run=same)

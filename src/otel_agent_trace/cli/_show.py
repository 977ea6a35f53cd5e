"""``otel-agent-trace show``: list stored traces, or print one as an indented tree."""

from __future__ import annotations

import argparse
import math
import os
import time
from typing import Any, TextIO

from otel_agent_trace.model import LoadReport, Span, Trace, TraceFormatError, load_selected
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import cost as C
from otel_agent_trace.semconv import decision as D
from otel_agent_trace.semconv import gen_ai as G

_KEY_ATTRIBUTES = (
    A.AGENT_STEP_INDEX,
    A.AGENT_STEP_ACTION_TYPE,
    G.GEN_AI_REQUEST_MODEL,
    G.GEN_AI_TOOL_CALL_ID,
    G.GEN_AI_USAGE_INPUT_TOKENS,
    G.GEN_AI_USAGE_OUTPUT_TOKENS,
    D.DECISION_CHOSEN,
    "error.type",
    "http.response.status_code",
    A.SESSION_ID,
)


def default_source() -> str:
    """The local store directory."""
    return os.environ.get("OTEL_AGENT_TRACE_STORE_DIR") or ".otel-agent-trace"


def add_parser(subparsers: Any) -> None:
    """Register the ``show`` subcommand."""
    parser = subparsers.add_parser("show", help="list stored traces, or print one trace as a tree")
    parser.add_argument("trace_id", nargs="?", help="trace id (or a unique prefix of at least 6 hex digits)")
    parser.add_argument(
        "--source",
        default=None,
        help="store directory, an OTLP-JSON/Jaeger/Tempo/OpenInference JSON file, or a URL: a Jaeger or Tempo"
        " server (http://jaeger:16686, http://tempo:3200; needs TRACE_ID) or a trace endpoint (default: the store)",
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for a URL source")
    parser.add_argument("--attributes", action="store_true", help="print every attribute of every span")
    parser.add_argument("--limit", type=int, default=50, help="how many traces to list (newest first)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run ``show``; returns the exit code."""
    import sys

    out = out or sys.stdout
    source = args.source or default_source()
    report = LoadReport()
    try:
        try:
            chosen, _ = load_selected(source, [args.trace_id] if args.trace_id else [], args.timeout, report)
        finally:
            if report.bad_lines and report.good_lines:
                sys.stderr.write(f"otel-agent-trace: warning: {report.summary()}\n")
        if args.trace_id:
            print_tree(chosen[0], out, all_attributes=args.attributes)
        else:
            print_list(chosen, out, args.limit)
    except TraceFormatError as exc:
        sys.stderr.write(f"otel-agent-trace: {exc}\n")
        return 2
    return 0


def _ms(ns: int) -> str:
    return f"{ns / 1e6:.1f}ms" if ns < 10e9 else f"{ns / 1e9:.1f}s"


def print_list(traces: list[Trace], out: TextIO, limit: int) -> None:
    """One line per trace, newest first."""
    if not traces:
        out.write("no traces found\n")
        return
    out.write(f"{'TRACE ID':32}  {'STARTED (UTC)':19}  {'DURATION':>9}  {'SPANS':>5}  STATUS  {'COST':>13}  ROOT\n")
    for t in list(reversed(traces))[:limit]:
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t.start_ns / 1e9))
        root = t.roots[0].name if t.roots else "?"
        status = "ERROR" if t.has_error else "ok"
        cost = _trace_cost(t)
        usd = "-" if cost is None else cost[0]
        out.write(
            f"{t.trace_id:32}  {started:19}  {_ms(t.end_ns - t.start_ns):>9}  {len(t.spans):>5}  {status:6}  "
            f"{usd:>13}  {root}\n"
        )


def _describe(span: Span, all_attributes: bool) -> str:
    keys = sorted(span.attributes) if all_attributes else [k for k in _KEY_ATTRIBUTES if k in span.attributes]
    parts = [f"{k.removeprefix('agent_trace.')}={_short(span.attributes[k])}" for k in keys]
    if not all_attributes and (cost := _cost_note(span.attributes)):
        parts.append(cost)
    return (" [" + ", ".join(parts) + "]") if parts else ""


def _short(value: Any) -> str:
    text = ",".join(map(str, value)) if isinstance(value, tuple) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def print_tree(trace: Trace, out: TextIO, *, all_attributes: bool = False) -> None:
    """The trace as an indented tree: offset from the trace start, duration, status, name, key attributes."""
    cost = _trace_cost(trace)
    spent = f", {cost[0]} in {_calls(cost[1])}" if cost is not None else ""
    out.write(f"trace {trace.trace_id}  ({len(trace.spans)} spans, {_ms(trace.end_ns - trace.start_ns)}{spent})\n")
    for depth, span in trace.walk():
        status = "ERROR" if span.is_error else "ok"
        mark = "✗" if span.is_error else "•"
        line = (
            f"{'  ' * depth}{mark} {span.name}  +{_ms(span.start_ns - trace.start_ns)} {_ms(span.duration_ns)} "
            f"{status}{_describe(span, all_attributes)}"
        )
        out.write(line + "\n")
        if span.is_error and span.status_message:
            out.write(f"{'  ' * depth}    ! {span.status_message}\n")


# -- cost (docs/cost.md) ---------------------------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    """A finite number as a float (a stored file can hold anything: bools, huge ints, strings are no amount)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, int) and abs(value) > 2**53:
        return None
    return float(value) if math.isfinite(value) else None


def _usd(amount: float) -> str:
    """``$0.00001725``: up to 8 decimals, small LLM costs stay readable without an exponent."""
    text = f"{amount:.8f}".rstrip("0").rstrip(".")
    return f"${text}"


def _calls(n: int) -> str:
    return f"{n} LLM call{'' if n == 1 else 's'}"


def _total(attributes: Any) -> str | None:
    """The cost total of an agent or root span: ``$0.0172``, ``>=$0.0172`` (partial) or ``unknown`` (none priced).

    ``None`` when the span has no cost total.
    """
    total = _number(attributes.get(C.TOTAL_COST))
    if total is None:
        return None
    calls, unpriced = _number(attributes.get(C.TOTAL_LLM_CALLS)), _number(attributes.get(C.TOTAL_UNPRICED_LLM_CALLS))
    if calls and unpriced == calls:
        return "unknown"
    return (">=" if attributes.get(C.TOTAL_PARTIAL) is True else "") + _usd(total)


def _trace_cost(trace: Trace) -> tuple[str, int] | None:
    """(cost, LLM calls) of the trace's run, from the totals on its root span; ``None`` if it has none."""
    if len(trace.roots) != 1:
        return None
    attributes = trace.roots[0].attributes
    total = _total(attributes)
    if total is None:
        return None
    return total, int(_number(attributes.get(C.TOTAL_LLM_CALLS)) or 0)


def _cost_note(attributes: Any) -> str:
    """``cost=$…`` on an LLM span (or why it has none), ``total=$… in N LLM calls`` on an agent or root span."""
    calls = _number(attributes.get(C.TOTAL_LLM_CALLS))
    if calls is not None:
        total = _total(attributes)
        used = attributes.get(C.TOTAL_INPUT_TOKENS), attributes.get(C.TOTAL_OUTPUT_TOKENS)
        spent = ""
        if total is not None:
            spent = f"total{'' if total.startswith('>') else '='}{total} in "
        note = f"{spent or 'total='}{_calls(int(calls))}, {_short(used[0])}+{_short(used[1])} tokens"
        if attributes.get(C.TOTAL_PARTIAL) is True:
            note += f" (partial: {_short(attributes.get(C.TOTAL_PARTIAL_REASONS))})"
        return note
    cost = _number(attributes.get(C.LLM_COST_TOTAL))
    if cost is not None:
        return f"cost={_usd(cost)}"
    status = attributes.get(C.COST_STATUS)
    if isinstance(status, str) and status != C.CostStatusValues.PRICED.value:
        return f"cost={status.replace('_', ' ')}"
    return ""

"""``otel-agent-trace rca``: root-cause analysis of one run, or spectrum analysis over many."""

from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
from pathlib import Path
from typing import Any

from otel_agent_trace.model import LoadReport, Trace, TraceFormatError, find_trace, load_selected
from otel_agent_trace.rca import analyze, render_html, render_text, spectrum_analysis
from otel_agent_trace.rca.annotate import strip_annotation
from otel_agent_trace.rca.judge import JUDGE_API_KEY_ENV, JUDGE_BASE_URL_ENV, OpenAIJudge
from otel_agent_trace.rca.report import RcaReport
from otel_agent_trace.rca.spectrum import FORMULAS
from otel_agent_trace.rca.verify import verify

from . import _baseline as baseline
from ._export import add_annotation_arguments, write_annotation

_ANALYZE_PARAMETERS = frozenset(inspect.signature(analyze).parameters)


def _default_store() -> str:
    return os.environ.get("OTEL_AGENT_TRACE_STORE_DIR", ".otel-agent-trace")


def add_parser(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Register the ``rca`` subcommand."""
    parser = subparsers.add_parser(
        "rca",
        help="find the root cause of a failed agent run (or rank suspects over many runs with --spectrum)",
        description=(
            "Analyse a recorded run: the root-cause span first, then the causal chain, the traceback, blame per "
            "step/tool/agent and error propagation. Passing runs of the same agent (same root span name and "
            "service.name) in --source are the baseline unless --no-baseline. With --spectrum, rank steps, tools "
            "and arguments by how strongly they go with failing runs across every run in --source."
        ),
    )
    parser.add_argument("trace_id", nargs="?", help="trace id (or a prefix of 6+ hex digits); optional with one trace")
    parser.add_argument(
        "--source",
        default=None,
        help="local store directory, an OTLP-JSON/Jaeger/Tempo/OpenInference JSON file, or a URL: a Jaeger or Tempo"
        " server (http://jaeger:16686, with TRACE_ID), a template with {trace_id}, or a trace endpoint"
        " (default: $OTEL_AGENT_TRACE_STORE_DIR or .otel-agent-trace)",
    )
    parser.add_argument("--format", choices=("text", "json", "html"), default="text", help="report format")
    parser.add_argument("--output", "-o", help="write the report to this file instead of stdout")
    parser.add_argument("--spectrum", action="store_true", help="spectrum-based fault localisation over all runs")
    parser.add_argument("--formula", choices=FORMULAS, default="ochiai", help="ranking formula for --spectrum")
    parser.add_argument("--top", type=int, default=20, help="elements to show with --spectrum (default 20)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for a URL source")
    verdict = parser.add_argument_group("the run's verdict (a run can be wrong without raising)")
    verdict.add_argument("--failed", action="store_true", help="the run is wrong even if nothing in it failed")
    verdict.add_argument("--expected", default=None, help="with --failed: what the run should have produced")
    verdict.add_argument("--reason", default=None, help="with --failed: why the run is wrong")
    base = parser.add_argument_group("baseline")
    base.add_argument(
        "--no-baseline",
        action="store_true",
        help="do not compare with passing runs of the same agent found in --source (compared by default)",
    )
    base.add_argument(
        "--baseline-runs",
        type=int,
        default=baseline.MAX_BASELINE_RUNS,
        help=f"use at most this many passing runs, the most recent (default {baseline.MAX_BASELINE_RUNS})",
    )
    judge = parser.add_argument_group("optional LLM judge (off by default; sees only the top candidates)")
    judge.add_argument("--judge-model", default=None, help="model name of an OpenAI-compatible chat API; turns it on")
    judge.add_argument(
        "--judge-base-url",
        default=None,
        help=f"base URL of the API (default ${JUDGE_BASE_URL_ENV} or https://api.openai.com/v1); key from"
        f" ${JUDGE_API_KEY_ENV}, else $OPENAI_API_KEY",
    )
    judge.add_argument("--judge-timeout", type=float, default=60.0, help="seconds to wait for the judge")
    check = parser.add_argument_group(
        "counterfactual verification (re-runs the program with a candidate's output replaced; docs/rca.md)"
    )
    check.add_argument(
        "--verify",
        action="store_true",
        help="replay the run unchanged, then once per top candidate with its output replaced by the passing runs'"
        " value: confirmed (the run passes), refuted, diverged, untestable",
    )
    check.add_argument(
        "--program", default=None, help="with --verify: the program to re-run: app.py or module:function"
    )
    check.add_argument("--verify-k", type=int, default=3, help="candidates to verify (one replay each; default 3)")
    check.add_argument("--verify-timeout", type=float, default=60.0, help="seconds per replay (default 60)")
    check.add_argument(
        "--verify-budget", type=float, default=None, help="seconds for all replays (default (k + 1) x timeout)"
    )
    check.add_argument(
        "--allow-live",
        action="store_true",
        help="let calls the recording does not hold run for real during a replay (else the replay stops: diverged)",
    )
    add_annotation_arguments(parser)
    parser.set_defaults(func=run)


def _pick(traces: list[Trace], trace_id: str | None) -> Trace:
    if trace_id:
        return find_trace(traces, trace_id)
    if len(traces) == 1:
        return traces[0]
    if not traces:
        raise TraceFormatError("the source holds no traces")
    raise TraceFormatError(f"the source holds {len(traces)} traces; name one with TRACE_ID")


def _emit(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def run(args: argparse.Namespace) -> int:
    """Run the ``rca`` subcommand; 0 on success, 2 on unreadable input or an unknown trace."""
    source = args.source or _default_store()
    loaded = LoadReport()
    try:
        if args.spectrum:
            if args.format == "html":
                raise TraceFormatError("--spectrum reports as text or json, not html")
            _, traces = load_selected(source, [], args.timeout, loaded)
            _warn_skipped(loaded)
            result = spectrum_analysis(traces, formula=args.formula, top=args.top)
            if args.format == "json":
                _emit(json.dumps(result.to_dict(), indent=2), args.output)
            else:
                _emit(_spectrum_text(result.to_dict()), args.output)
            return 0
        chosen, traces = load_selected(source, [args.trace_id] if args.trace_id else [], args.timeout, loaded)
        _warn_skipped(loaded)
        trace = strip_annotation(chosen[0] if args.trace_id else _pick(traces, None))
    except (TraceFormatError, ValueError) as exc:
        if loaded.good_lines:  # a trace missing from a source with bad lines: say what was skipped too
            _warn_skipped(loaded)
        sys.stderr.write(f"otel-agent-trace rca: {exc}\n")
        return 2
    if args.verify and not args.program:
        sys.stderr.write("otel-agent-trace rca: --verify needs --program (the script or module:function to re-run)\n")
        return 2
    options: dict[str, Any] = {}
    if args.failed or args.expected is not None or args.reason is not None:
        options.update(failed=True, expected=args.expected, reason=args.reason)
    if args.judge_model:
        options["judge"] = OpenAIJudge(args.judge_model, base_url=args.judge_base_url, timeout=args.judge_timeout)
    passing = [] if args.no_baseline else baseline.passing_runs(trace, traces, limit=args.baseline_runs)
    used, profile = baseline.profiled(passing)
    if profile is not None:
        options["baseline"] = profile
    missing = sorted(set(options) - _ANALYZE_PARAMETERS)
    if missing:  # an analysis that predates the option: say so rather than fail with a TypeError
        sys.stderr.write(f"otel-agent-trace rca: this analysis does not take {', '.join(missing)} yet\n")
        return 2
    report = analyze(trace, **options)
    if args.verify:
        report = _verified(report, trace, passing, args)
    if not write_annotation(args, trace, report, source):
        return 2
    note = baseline.describe(len(passing), baseline.agent_label(trace), disabled=args.no_baseline)
    if args.format == "json":
        data = report.to_dict()
        data["baseline_runs"] = len(used)
        data["baseline"] = note
        _emit(json.dumps(data, indent=2), args.output)
    elif args.format == "html":
        _emit(render_html(report, trace, baseline_note=note), args.output)
    else:
        _emit(render_text(report, baseline_note=note), args.output)
    return 0


def _verified(report: RcaReport, trace: Trace, passing: list[Trace], args: argparse.Namespace) -> RcaReport:
    """The report with its top candidates verified by counterfactual replay (progress on stderr)."""
    sys.stderr.write(
        f"otel-agent-trace rca: verifying the top {args.verify_k} candidates by replaying {args.program}"
        f" (1 control + up to {args.verify_k} replays, {args.verify_timeout:g} s each)\n"
    )
    result = verify(
        report,
        trace,
        args.program,
        baseline=passing,
        k=args.verify_k,
        timeout=args.verify_timeout,
        budget_s=args.verify_budget,
        allow_live=args.allow_live,
    )
    return result.apply(report)


def _warn_skipped(loaded: LoadReport) -> None:
    if loaded.bad_lines:
        sys.stderr.write(f"otel-agent-trace rca: {loaded.summary()}\n")
        loaded.bad_lines.clear()  # said once


def _spectrum_text(result: dict[str, Any]) -> str:
    lines = [
        f"Spectrum analysis over {result['runs']} runs ({result['failing']} failing, {result['passing']} passing),"
        f" ranked by {result['ranked_by']}:",
        f"  {'ochiai':>7} {'tarant.':>7} {'dstar':>8} {'ef':>5} {'ep':>5}  element",
    ]
    for e in result["elements"]:
        dstar = e["dstar"] if isinstance(e["dstar"], str) else f"{e['dstar']:.2f}"
        lines.append(f"  {e['ochiai']:7.3f} {e['tarantula']:7.3f} {dstar:>8} {e['ef']:5d} {e['ep']:5d}  {e['element']}")
    if result["failing"] == 0:
        lines.append("  (no failing runs: nothing to localise)")
    return "\n".join(lines) + "\n"

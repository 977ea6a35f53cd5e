"""``otel-agent-trace export``: traces as a file Jaeger's UI opens, or as OTLP-JSON, optionally annotated.

With ``--annotate`` the root-cause analysis of each failed run is written onto its spans (`rca.annotate`). The
annotation options of ``rca`` live here too: ``rca --annotate FILE`` writes what ``export TRACE_ID --annotate -o FILE``
writes for the analysed run, and ``--annotate-store`` writes the annotated run next to its stored file
(`model.writers.write_annotated`), which our readers then prefer over the original.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from otel_agent_trace.model import LoadReport, Trace, TraceFormatError, load_selected
from otel_agent_trace.model.writers import to_jaeger_json, to_otlp_json, write_annotated

if TYPE_CHECKING:
    from otel_agent_trace.rca.report import RcaReport

from . import _baseline as baseline
from ._show import default_source


def add_parser(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Register the ``export`` subcommand."""
    parser = subparsers.add_parser(
        "export",
        help="write traces as Jaeger JSON (opens in Jaeger's UI with no backend) or OTLP-JSON, optionally annotated",
        description=(
            "Write the named traces (all of the source's when none is named) to one file: --format jaeger is what "
            "Jaeger's query API returns and its UI's 'JSON File' upload opens without a backend; --format otlp is "
            "OTLP-JSON for a collector or our store. With --annotate, each failed run is analysed first (passing "
            "runs of the same agent in --source as the baseline, as `rca` does) and the verdict is written onto "
            "its spans as agent_trace.rca.* attributes and an agent_trace.rca.verdict event."
        ),
    )
    parser.add_argument("trace_ids", nargs="*", help="trace ids or prefixes (6+ hex digits); default: every trace")
    parser.add_argument(
        "--source",
        default=None,
        help="store directory, trace file, or URL (a Jaeger/Tempo server with the trace ids, as for `show`/`rca`)",
    )
    parser.add_argument("--format", choices=("jaeger", "otlp"), default="jaeger", help="file format (default jaeger)")
    parser.add_argument("--output", "-o", default=None, help="file to write (default: stdout)")
    parser.add_argument("--annotate", action="store_true", help="write the RCA of each failed run onto its spans")
    parser.add_argument("--no-baseline", action="store_true", help="with --annotate: analyse without passing runs")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for a URL source")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``export``; 0 on success, 2 on unreadable input or an unknown trace id."""
    source = args.source or default_source()
    loaded = LoadReport()
    try:
        chosen, traces = load_selected(source, args.trace_ids, args.timeout, loaded)
        if not chosen:
            raise TraceFormatError("the source holds no traces")
    except (TraceFormatError, ValueError) as exc:
        sys.stderr.write(f"otel-agent-trace export: {exc}\n")
        return 2
    if args.annotate:
        chosen = [_annotated(trace, traces, no_baseline=args.no_baseline) for trace in chosen]
    text = json.dumps(document(chosen, args.format), ensure_ascii=False)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        kind = "Jaeger JSON (open it with Jaeger UI's 'JSON File' upload)" if args.format == "jaeger" else "OTLP-JSON"
        sys.stderr.write(f"wrote {len(chosen)} trace{'s' if len(chosen) != 1 else ''} to {args.output} as {kind}\n")
    else:
        sys.stdout.write(text + "\n")
    return 0


def _annotated(trace: Trace, traces: list[Trace], *, no_baseline: bool) -> Trace:
    from otel_agent_trace.rca import analyze, annotate, run_failed
    from otel_agent_trace.rca.annotate import strip_annotation

    trace = strip_annotation(trace)
    if not run_failed(trace):
        return trace
    _, profile = baseline.profiled([] if no_baseline else baseline.passing_runs(trace, traces))
    return annotate(trace, analyze(trace, baseline=profile))


def add_annotation_arguments(parser: argparse.ArgumentParser) -> None:
    """The annotation options of ``rca``."""
    group = parser.add_argument_group("write the verdict onto the run's spans (docs/viewers.md)")
    group.add_argument(
        "--annotate",
        metavar="FILE",
        default=None,
        help="also write the run with agent_trace.rca.* attributes and a verdict event on its spans to FILE"
        " (what `export TRACE_ID --annotate -o FILE` writes)",
    )
    group.add_argument(
        "--annotate-format", choices=("jaeger", "otlp"), default="jaeger", help="format of --annotate FILE"
    )
    group.add_argument(
        "--annotate-store",
        action="store_true",
        help="also write the annotated run into the local store, as a new <file>.<trace id>.rca.jsonl next to the"
        " run's file (the original is never rewritten; show/rca/export then read the annotated copy)",
    )


def document(traces: list[Trace], fmt: str) -> dict[str, Any]:
    """The export document of ``traces`` in ``fmt`` (``jaeger`` or ``otlp``)."""
    return to_jaeger_json(traces) if fmt == "jaeger" else to_otlp_json(traces)


def write_annotation(args: argparse.Namespace, trace: Trace, report: RcaReport, source: str) -> bool:
    """Write what the annotation options ask for; False (after saying why on stderr) when something failed."""
    if not args.annotate and not args.annotate_store:
        return True
    from otel_agent_trace.rca import annotate

    annotated = annotate(trace, report)
    try:
        if args.annotate:
            text = json.dumps(document([annotated], args.annotate_format), ensure_ascii=False)
            try:
                Path(args.annotate).write_text(text, encoding="utf-8")
            except OSError as exc:
                raise TraceFormatError(f"{args.annotate}: cannot write ({exc.strerror or exc})") from None
            sys.stderr.write(f"otel-agent-trace rca: wrote the annotated run to {args.annotate}\n")
        if args.annotate_store:
            path = write_annotated(annotated, source)
            sys.stderr.write(f"otel-agent-trace rca: wrote the annotated run into the store as {path}\n")
    except TraceFormatError as exc:
        sys.stderr.write(f"otel-agent-trace rca: {exc}\n")
        return False
    return True

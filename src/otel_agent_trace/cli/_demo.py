"""``otel-agent-trace demo``: run the bundled offline agent, store its traces, print the RCA."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parser(subparsers: Any) -> None:
    """Register the ``demo`` subcommand."""
    parser = subparsers.add_parser(
        "demo", help="run an offline demo agent that fails, and print the root-cause analysis of its trace"
    )
    parser.add_argument("--store", default=None, help="directory for the demo's traces (default: a new temp dir)")
    parser.add_argument("--html", default=None, help="also write the HTML report to this file")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo; returns 0 when the RCA ran."""
    from otel_agent_trace.demo import run_demo
    from otel_agent_trace.rca import render_html, render_text

    from ._baseline import agent_label, describe
    from ._show import print_tree

    result = run_demo(args.store)
    out = sys.stdout
    out.write(f"Stored {len(result.passing) + 1} runs (3 passing, 1 failing) in {result.store_dir}\n\n")
    out.write("The failing run:\n")
    print_tree(result.trace, out)
    out.write("\nRoot-cause analysis (passing runs as baseline):\n\n")
    note = describe(len(result.passing), agent_label(result.trace))
    out.write(render_text(result.report, baseline_note=note))
    if args.html:
        with open(args.html, "w", encoding="utf-8") as handle:
            handle.write(render_html(result.report, result.trace, baseline_note=note))
        out.write(f"\nHTML report: {args.html}\n")
    out.write(
        f"\nTry: otel-agent-trace show --source {result.store_dir}\n"
        f"     otel-agent-trace rca {result.trace.trace_id[:12]} --source {result.store_dir}"
        " --format html -o rca.html\n"
    )
    return 0

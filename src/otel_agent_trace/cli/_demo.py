"""``otel-agent-trace demo``: run the bundled offline agent, store its traces, print the RCA."""

from __future__ import annotations

import argparse
import sys
from typing import Any

ALLOW_LIVE = False
"""Whether the demo's verification lets calls the recording lacks run live (its LLM is a local fake either way)."""
VERIFY_OPTIONS = " --allow-live" if ALLOW_LIVE else ""


def add_parser(subparsers: Any) -> None:
    """Register the ``demo`` subcommand."""
    parser = subparsers.add_parser(
        "demo", help="run an offline demo agent that fails, and print the root-cause analysis of its trace"
    )
    parser.add_argument("--store", default=None, help="directory for the demo's traces (default: a new temp dir)")
    parser.add_argument("--html", default=None, help="also write the HTML report to this file")
    parser.add_argument(
        "--verify",
        action="store_true",
        help="also verify the top candidates by counterfactual replay of the failing run (a few seconds)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo; returns 0 when the RCA ran."""
    from otel_agent_trace.demo import PROGRAM, run_demo
    from otel_agent_trace.rca import render_html, render_text

    from ._baseline import agent_label, describe
    from ._show import print_tree

    result = run_demo(args.store)
    report = result.report
    if args.verify:
        report = _verified(result)
    out = sys.stdout
    out.write(f"Stored {len(result.passing) + 1} runs (3 passing, 1 failing) in {result.store_dir}\n\n")
    out.write("The failing run:\n")
    print_tree(result.trace, out)
    out.write("\nRoot-cause analysis (passing runs as baseline):\n\n")
    note = describe(len(result.passing), agent_label(result.trace))
    out.write(render_text(report, baseline_note=note))
    if args.html:
        with open(args.html, "w", encoding="utf-8") as handle:
            handle.write(render_html(report, result.trace, baseline_note=note))
        out.write(f"\nHTML report: {args.html}\n")
    out.write(
        f"\nTry: otel-agent-trace show --source {result.store_dir}\n"
        f"     otel-agent-trace rca {result.trace.trace_id[:12]} --source {result.store_dir}"
        " --format html -o rca.html\n"
        f"     otel-agent-trace rca {result.trace.trace_id[:12]} --source {result.store_dir}"
        f" --verify --program {PROGRAM}{VERIFY_OPTIONS}\n"
    )
    return 0


def _verified(result: Any) -> Any:
    """The demo's report with its top 3 candidates verified by replaying the failing run."""
    from otel_agent_trace.demo import PROGRAM
    from otel_agent_trace.rca.verify import verify

    sys.stderr.write(f"Verifying the top 3 candidates by replaying {PROGRAM} ...\n")
    checked = verify(
        result.report, result.trace, PROGRAM, baseline=result.passing, k=3, timeout=60.0, allow_live=ALLOW_LIVE
    )
    return checked.apply(result.report)

"""``rca --annotate FILE`` / ``--annotate-store``: the analysis written onto the run's spans, for any viewer.

``--annotate FILE`` writes what ``export TRACE_ID --annotate -o FILE`` writes (Jaeger JSON, or OTLP-JSON with
``--annotate-format otlp``) for the analysed run; ``--annotate-store`` writes the annotated run next to its stored
file (`model.writers.write_annotated`), which our readers then prefer over the original.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from otel_agent_trace.model import Trace, TraceFormatError
from otel_agent_trace.model.writers import to_jaeger_json, to_otlp_json, write_annotated
from otel_agent_trace.rca.annotate import annotate
from otel_agent_trace.rca.report import RcaReport


def add_arguments(parser: argparse.ArgumentParser) -> None:
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


def write(args: argparse.Namespace, trace: Trace, report: RcaReport, source: str) -> bool:
    """Write what the annotation options ask for; False (after saying why on stderr) when something failed."""
    if not args.annotate and not args.annotate_store:
        return True
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

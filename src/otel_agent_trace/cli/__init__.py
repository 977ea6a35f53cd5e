"""The ``otel-agent-trace`` command line."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from . import _doctor, _semconv_table, _show

_OPTIONAL = ("_rca", "_demo", "_export")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="otel-agent-trace", description="Inspect and analyse agent traces.")
    subparsers = parser.add_subparsers(dest="command", required=True)
    _show.add_parser(subparsers)
    _semconv_table.add_parser(subparsers)
    _doctor.add_parser(subparsers)
    for name in _OPTIONAL:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            continue
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``otel-agent-trace`` script."""
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())

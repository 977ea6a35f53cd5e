"""``otel-agent-trace semconv``: the reference table of every attribute name we emit (Markdown)."""

from __future__ import annotations

import argparse
import ast
import inspect
from typing import Any

from otel_agent_trace.semconv import agent, decision, error, gen_ai, state, tool

_MODULES = (gen_ai, agent, tool, decision, state, error)


def rows() -> list[tuple[str, str, str, str]]:
    """(name, constant, module, description) for every constant, read from the semconv modules' docstrings."""
    out = []
    for module in _MODULES:
        tree = ast.parse(inspect.getsource(module))
        body = tree.body
        for i, node in enumerate(body):
            if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
                continue
            if not (isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
                continue
            doc = ""
            if i + 1 < len(body):
                nxt = body[i + 1]
                if isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant):
                    doc = str(nxt.value.value).strip()
            if node.target.id == "PREFIX":
                continue
            out.append((node.value.value, node.target.id, module.__name__.rsplit(".", 1)[1], doc))
    return out


def markdown() -> str:
    """The table as Markdown."""
    lines = ["| Attribute | Constant | Module | Meaning |", "|---|---|---|---|"]
    for name, const, module, doc in rows():
        lines.append(f"| `{name}` | `{const}` | `{module}` | {doc.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def add_parser(subparsers: Any) -> None:
    """Register the ``semconv`` subcommand."""
    parser = subparsers.add_parser("semconv", help="print the attribute reference table (Markdown)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the table."""
    import sys

    sys.stdout.write(markdown())
    return 0

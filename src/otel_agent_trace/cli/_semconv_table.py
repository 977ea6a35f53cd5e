"""``otel-agent-trace semconv``: the reference table of every attribute name we emit (Markdown)."""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import pkgutil
from types import ModuleType
from typing import Any

import otel_agent_trace.semconv as semconv_pkg

_FIRST = ("gen_ai", "agent", "tool", "decision", "state", "error")


def _modules() -> list[ModuleType]:
    names = [m.name for m in pkgutil.iter_modules(semconv_pkg.__path__) if not m.name.startswith("_")]
    ordered = [n for n in _FIRST if n in names] + sorted(n for n in names if n not in _FIRST)
    return [importlib.import_module(f"{semconv_pkg.__name__}.{n}") for n in ordered]


def rows() -> list[tuple[str, str, str, str]]:
    """(name, constant, module, description) for every constant, read from the semconv modules' docstrings."""
    out = []
    for module in _modules():
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

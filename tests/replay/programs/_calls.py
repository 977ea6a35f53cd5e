"""Counting real tool-body runs across processes: a replay must not run a served tool's body."""

from __future__ import annotations

import os


def count_call(name: str) -> None:
    """Append ``name`` to the file named by ``TOOL_CALLS_FILE`` (if set): one line per real run of a tool body."""
    path = os.environ.get("TOOL_CALLS_FILE")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(name + "\n")

"""The replay runner: ``python -m otel_agent_trace.replay CASSETTE PROGRAM --store DIR --report FILE``.

Started by `otel_agent_trace.rca.replay` in a subprocess (keeps ``rca`` offline, bounds the time, isolates the
program's state). It installs a `CassetteServer` for the manual API and the httpx transports, redirects the
program's ``otel_agent_trace.init()`` to the store ``DIR`` (content capture on), runs the program once and writes
what it served to ``FILE``. See docs/replay.md.
"""

from __future__ import annotations

from ._runner import main, run_replay
from ._server import CassetteServer, RecordedToolError

__all__ = ["CassetteServer", "RecordedToolError", "main", "run_replay"]

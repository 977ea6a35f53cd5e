"""``python -m otel_agent_trace.demo.app [--store DIR]``: the demo's failing run as a script.

The same program as ``otel_agent_trace.demo:failing_run``, for ``rca --verify --program``. Exits 1 when the agent
fails (it does, unless a replay replaced the faulty exchange rate).
"""

from __future__ import annotations

import argparse
import sys

from otel_agent_trace.demo._agent import NoOptionsError
from otel_agent_trace.demo._program import failing_run


def main(argv: list[str] | None = None) -> int:
    """Run the failing demo run once; 0 when it answered, 1 when it failed."""
    parser = argparse.ArgumentParser(prog="python -m otel_agent_trace.demo.app", description=__doc__)
    parser.add_argument("--store", default=None, help="store directory (default: $OTEL_AGENT_TRACE_STORE_DIR)")
    args = parser.parse_args(argv)
    try:
        answer = failing_run(args.store)
    except NoOptionsError as exc:
        sys.stderr.write(f"the agent failed: {exc}\n")
        return 1
    sys.stdout.write(answer + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

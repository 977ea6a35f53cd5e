"""``python -m otel_agent_trace.replay``: see the package docstring."""

from __future__ import annotations

from ._runner import main

if __name__ == "__main__":
    main()

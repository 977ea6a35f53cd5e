"""``python -m otel_agent_trace.cli``."""

from __future__ import annotations

import sys

from . import main

sys.exit(main())

"""Every attribute name otel-agent-trace emits: official ``gen_ai.*`` names and our own ``agent_trace.*`` ones.

Names only, no logic. ``python -m otel_agent_trace.cli semconv`` prints the reference table (docs/semconv.md).
"""

from __future__ import annotations

from .agent import *  # noqa: F403
from .cost import *  # noqa: F403
from .decision import *  # noqa: F403
from .error import *  # noqa: F403
from .evaluation import *  # noqa: F403
from .gen_ai import *  # noqa: F403
from .graph import *  # noqa: F403
from .mcp import *  # noqa: F403
from .message import *  # noqa: F403
from .openinference import *  # noqa: F403
from .rca import *  # noqa: F403
from .replay import *  # noqa: F403
from .state import *  # noqa: F403
from .tool import *  # noqa: F403

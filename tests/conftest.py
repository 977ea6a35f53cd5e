from __future__ import annotations

from .collector import otlp_sink, rotel_collector

__all__ = ["otlp_sink", "rotel_collector"]
collect_ignore = ["crewai_env", "peers_env", "autogen_env", "adk_env"]

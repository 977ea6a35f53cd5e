"""Fixtures of the Google ADK tests, which run in their own virtualenv (``tests/instrumentation/google_adk`` makes it).

ADK 2.x pins ``opentelemetry-sdk<=1.44``; the project's environment has a newer SDK, so ADK is not installed there and
these tests are skipped in it. ADK's tracer is the global one (``trace.get_tracer("gcp.vertex.agent")`` at import):
the provider is set globally once per process, behind our processor, and the exporter is cleared per test.
"""

from __future__ import annotations

import importlib.util

if importlib.util.find_spec("google.adk") is None:  # the main environment: tests/instrumentation/google_adk runs these
    collect_ignore_glob = ["*.py"]
else:
    from tests.adk_env._fixtures import exporter, gemini, genai_instrumented, provider

    __all__ = ["exporter", "gemini", "genai_instrumented", "provider"]

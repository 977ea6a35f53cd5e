"""Fixtures of the AG2 Classic tests, run in their own virtualenv (``tests/instrumentation/ag2_classic`` makes it).

The classic framework (``import autogen``) needs ``openai<3``; the main environment has openai 3, so the main
``pytest`` run skips this directory when ``autogen`` is not the classic framework and launches it in
``.venv-ag2-classic`` instead. The test provider is also the global one (AG2's own spans, when a test turns them on,
use the provider it is given).
"""

from __future__ import annotations

import importlib.util

if importlib.util.find_spec("autogen") is None or importlib.util.find_spec("autogen.agentchat") is None:
    collect_ignore_glob = ["test_*.py"]
else:
    from otel_agent_trace.instrumentation.ag2_classic import AG2ClassicInstrumentor
    from tests.autogen_env._fixtures import capture, exporter, instrumented_fixture, llm, provider

    __all__ = ["capture", "exporter", "instrumented", "llm", "provider"]
    instrumented = instrumented_fixture(AG2ClassicInstrumentor)

"""Fixtures of the AutoGen tests, which run in their own virtualenv (``tests/instrumentation/autogen`` makes it).

autogen-core 0.7 pins ``protobuf~=5.29``, so AutoGen cannot share the project's main environment; the main ``pytest``
run skips this directory when AutoGen is not importable and launches it in ``.venv-autogen`` instead.

The test provider is also the global one: AutoGen's own spans (``invoke_agent``, ``create_agent``, runtime spans)
use the global provider, and the tests check there is no duplicate of ours among them.
"""

from __future__ import annotations

import importlib.util

if importlib.util.find_spec("autogen_agentchat") is None:  # the main environment: ``test_autogen_env`` runs us
    collect_ignore_glob = ["test_*.py"]
else:
    from otel_agent_trace.instrumentation.autogen import AutoGenInstrumentor
    from tests.autogen_env._fixtures import capture, exporter, instrumented_fixture, llm, provider

    __all__ = ["capture", "exporter", "instrumented", "llm", "provider"]
    instrumented = instrumented_fixture(AutoGenInstrumentor)

"""Instrumenting must never import litellm for the user: its import fetches a cost map over the network."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_instrument_defers_until_litellm_is_imported():
    code = textwrap.dedent(
        """
        import os, sys
        os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
        from otel_agent_trace.instrumentation.litellm import LiteLLMInstrumentor
        inst = LiteLLMInstrumentor()
        inst.instrument()
        assert "litellm" not in sys.modules, "instrument() imported litellm"
        import litellm
        assert type(litellm.completion).__name__ == "FunctionWrapper", type(litellm.completion)
        inst.uninstrument()
        assert type(litellm.completion).__name__ == "function"
        print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok")

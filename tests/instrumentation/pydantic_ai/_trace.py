"""Helpers shared by the Pydantic AI and ADK tests (importing neither): spans as a model `Trace`, zero-code runs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from opentelemetry.sdk.trace import ReadableSpan

from otel_agent_trace.model import Span as ModelSpan
from otel_agent_trace.model import Trace, load_traces
from tests.instrumentation._spans import model_span


def to_trace(spans: Sequence[ReadableSpan]) -> Trace:
    """The exported spans as the RCA's model `Trace` (what the JSONL/OTLP loaders give)."""
    out = tuple(model_span(s) for s in spans)
    assert len({span.trace_id for span in out}) == 1
    return Trace(out[0].trace_id, out)


def run_zero_code(tmp_path: Path, app: str, env: Mapping[str, str]) -> tuple[str, list[ModelSpan]]:
    """Run ``app`` under ``opentelemetry-instrument`` (our distro, spans stored in ``tmp_path``); stdout and spans.

    Content capture is left unset (off) unless ``env`` sets it. Fails the test if the program fails.
    """
    path = tmp_path / "app.py"
    path.write_text(app)
    full = {
        **os.environ,
        "OTEL_PYTHON_DISTRO": "agent_trace",
        "OTEL_PYTHON_CONFIGURATOR": "agent_trace",
        "OTEL_AGENT_TRACE_STORE_DIR": str(tmp_path / "store"),
    }
    full.pop("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", None)
    full.update(env)
    command = [str(Path(sys.executable).parent / "opentelemetry-instrument"), sys.executable, str(path)]
    result = subprocess.run(command, env=full, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout, [span for trace in load_traces(tmp_path / "store") for span in trace.spans]

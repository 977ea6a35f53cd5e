"""Helpers shared by the Pydantic AI and ADK tests (importing neither): spans as a model `Trace`, zero-code runs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import format_span_id, format_trace_id

from otel_agent_trace.model import Span, SpanEvent, Trace, load_traces
from otel_agent_trace.model import Span as ModelSpan


def to_trace(spans: Sequence[ReadableSpan]) -> Trace:
    """The exported spans as the RCA's model `Trace` (what the JSONL/OTLP loaders give)."""
    out = tuple(
        Span(
            format_trace_id(s.context.trace_id),
            format_span_id(s.context.span_id),
            format_span_id(s.parent.span_id) if s.parent is not None else None,
            s.name,
            s.start_time or 0,
            s.end_time or 0,
            kind=s.kind.name,
            status_code=s.status.status_code.name,
            status_message=s.status.description or "",
            attributes=dict(s.attributes or {}),
            events=tuple(SpanEvent(e.name, e.timestamp or 0, dict(e.attributes or {})) for e in s.events),
            scope=s.instrumentation_scope.name if s.instrumentation_scope else "",
        )
        for s in spans
    )
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

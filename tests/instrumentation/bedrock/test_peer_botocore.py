"""The contrib botocore instrumentation (its Bedrock extension) and ours on the same call: one span, in either order.

Both wrap ``BaseClient._make_api_call``. The contrib package is installed (no dependencies: it needs only what the
project already has, and ``opentelemetry-propagator-aws-xray``) into ``<repo>/.venv-bedrock-peer``, at the version
that matches the installed ``opentelemetry-instrumentation``, and put on the path of a subprocess only, so it never
reaches the other tests (``opentelemetry-instrument`` would load it). The directory is reused while the pins are
unchanged. A failed install (the package registry out of reach included) fails the test: CI reaches the registry.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from importlib.metadata import version
from pathlib import Path

import pytest

from .conftest import MockServer

REPO = Path(__file__).resolve().parents[3]
TARGET = REPO / ".venv-bedrock-peer"

SCENARIO = textwrap.dedent(
    """
    import json, sys
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
    from otel_agent_trace.instrumentation.bedrock import BedrockInstrumentor
    import boto3

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    order = [BedrockInstrumentor(), BotocoreInstrumentor()]
    if sys.argv[1] == "theirs_first":
        order.reverse()
    for instrumentor in order:
        instrumentor.instrument(tracer_provider=provider)
    client = boto3.client("bedrock-runtime", endpoint_url=sys.argv[2], region_name="us-east-1",
                          aws_access_key_id="x", aws_secret_access_key="x")
    client.converse(modelId="anthropic.claude-3", messages=[{"role": "user", "content": [{"text": "hi"}]}])
    print(json.dumps([
        {"scope": s.instrumentation_scope.name, "tokens": s.attributes.get("gen_ai.usage.input_tokens"),
         "action": s.attributes.get("agent_trace.step.action_type")}
        for s in exporter.get_finished_spans()
    ]))
    """
)


@pytest.fixture(scope="module")
def contrib_path() -> Path:
    pins = [
        f"opentelemetry-instrumentation-botocore=={version('opentelemetry-instrumentation')}",
        "opentelemetry-propagator-aws-xray",
    ]
    marker = TARGET / ".pins"
    if not (marker.is_file() and marker.read_text() == "\n".join(pins)):
        shutil.rmtree(TARGET, ignore_errors=True)
        result = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(TARGET), *pins],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-4000:]
        (TARGET / ".gitignore").write_text("*\n")
        marker.write_text("\n".join(pins))
    return TARGET


@pytest.mark.parametrize("order", ["ours_first", "theirs_first"])
def test_one_span_per_call_either_order(order: str, contrib_path: Path, mock_server: MockServer) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(contrib_path)])}
    result = subprocess.run(
        [sys.executable, "-c", SCENARIO, order, mock_server.base_url],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]
    (span,) = json.loads(result.stdout.strip().splitlines()[-1])
    assert span["action"] == "llm_call"  # our attributes are on the one span (ours, or the peer's we recorded on)
    assert span["tokens"] in (12, 112)  # contrib counts input without the 100 cache-read tokens; we add them

"""Zero-code: an unchanged boto3 Bedrock quick-start program under ``opentelemetry-instrument`` is traced."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from otel_agent_trace.model import load_traces

from .conftest import MockServer

APP = textwrap.dedent(
    """
    import boto3

    client = boto3.client("bedrock-runtime", region_name="us-east-1")
    model_id = "anthropic.claude-3-haiku-20240307-v1:0"
    conversation = [{"role": "user", "content": [{"text": "Describe the purpose of a 'hello world' program."}]}]
    response = client.converse(
        modelId=model_id, messages=conversation, inferenceConfig={"maxTokens": 512, "temperature": 0.5, "topP": 0.9}
    )
    print(response["output"]["message"]["content"][0]["text"])
    streaming = client.converse_stream(modelId=model_id, messages=conversation)
    for chunk in streaming["stream"]:
        if "contentBlockDelta" in chunk:
            print(chunk["contentBlockDelta"]["delta"].get("text", ""), end="")
    """
)


def test_quick_start_traced_under_opentelemetry_instrument(tmp_path: Path, mock_server: MockServer) -> None:
    app = tmp_path / "app.py"
    app.write_text(APP)
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": mock_server.base_url,
        "AWS_MAX_ATTEMPTS": "1",
        "OTEL_PYTHON_DISTRO": "agent_trace",
        "OTEL_PYTHON_CONFIGURATOR": "agent_trace",
        "OTEL_AGENT_TRACE_STORE_DIR": str(tmp_path / "store"),
        "OTEL_SERVICE_NAME": "bedrock-app",
    }
    bindir = Path(sys.executable).parent
    result = subprocess.run(
        [str(bindir / "opentelemetry-instrument"), sys.executable, str(app)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Paris is the capital of France.")
    spans = [span for trace in load_traces(tmp_path / "store") for span in trace.spans]
    # one span per model call; no urllib3 HTTP span beside them (suppressed under ours)
    assert sorted(s.name for s in spans) == ["chat anthropic.claude-3-haiku-20240307-v1:0"] * 2
    by_stream = {s.attributes.get("gen_ai.request.stream", False): s for s in spans}
    assert by_stream[False].attributes["gen_ai.request.max_tokens"] == 512
    assert by_stream[True].attributes["gen_ai.usage.output_tokens"] == 15

"""Zero-code: an unchanged google-genai quick-start program under ``opentelemetry-instrument`` is traced."""

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
    from google import genai

    client = genai.Client()
    response = client.models.generate_content(model="gemini-2.5-flash", contents="Explain how AI works in a few words")
    print(response.text)
    chat = client.chats.create(model="gemini-2.5-flash")
    for chunk in chat.send_message_stream("And in one word?"):
        print(chunk.text, end="")
    """
)


def test_quick_start_traced_under_opentelemetry_instrument(tmp_path: Path, mock_server: MockServer) -> None:
    app = tmp_path / "app.py"
    app.write_text(APP)
    env = {
        **os.environ,
        "GEMINI_API_KEY": "test",
        "GOOGLE_GEMINI_BASE_URL": mock_server.base_url,
        "OTEL_PYTHON_DISTRO": "agent_trace",
        "OTEL_PYTHON_CONFIGURATOR": "agent_trace",
        "OTEL_AGENT_TRACE_STORE_DIR": str(tmp_path / "store"),
        "OTEL_SERVICE_NAME": "gemini-app",
    }
    env.pop("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", None)
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
    # one span per model request, no HTTP span beside it
    assert sorted(s.name for s in spans) == ["generate_content gemini-2.5-flash"] * 2
    streamed = [s for s in spans if s.attributes.get("gen_ai.request.stream") is True]
    assert len(streamed) == 1
    assert streamed[0].attributes["gen_ai.usage.output_tokens"] == 15

"""Bedrock: instrument() imports nothing, and the extractors survive any params, body or event shape."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from otel_agent_trace.instrumentation.bedrock import _converse, _invoke, _wrappers


def test_instrument_defers_until_botocore_is_imported() -> None:
    code = textwrap.dedent(
        """
        import sys
        from otel_agent_trace.instrumentation.bedrock import BedrockInstrumentor
        inst = BedrockInstrumentor()
        inst.instrument()
        assert "botocore" not in sys.modules, "instrument() imported botocore"
        import boto3, botocore.client
        assert type(botocore.client.BaseClient.__dict__["_make_api_call"]).__name__ == "FunctionWrapper"
        inst.uninstrument()
        assert type(botocore.client.BaseClient.__dict__["_make_api_call"]).__name__ == "function"
        print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok")


_KEYS = [
    "text", "toolUse", "toolResult", "toolUseId", "name", "input", "content", "json", "status", "image", "format",
    "source", "reasoningContent", "reasoningText", "role", "messages", "system", "toolConfig", "tools", "toolSpec",
    "inferenceConfig", "maxTokens", "temperature", "topP", "stopSequences", "usage", "inputTokens", "outputTokens",
    "cacheReadInputTokens", "output", "message", "stopReason", "contentBlockDelta", "contentBlockStart", "delta",
    "start", "contentBlockIndex", "messageStop", "metadata", "type", "max_tokens", "stop_reason", "id", "model",
    "results", "tokenCount", "outputText", "completionReason", "inputTextTokenCount", "embedding", "prompt",
    "generation", "chunk", "bytes", "input_tokens", "textGenerationConfig", "amazon-bedrock-invocationMetrics",
]  # fmt: skip
_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=8))
_json = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.sampled_from(_KEYS), children, max_size=5)
    ),
    max_leaves=25,
)
_FAMILIES = [
    None,
    _invoke.ANTHROPIC,
    _invoke.NOVA,
    _invoke.TITAN_TEXT,
    _invoke.TITAN_EMBED,
    _invoke.LLAMA,
    _invoke.MISTRAL,
]


@settings(max_examples=150, deadline=None)
@given(params=_json, response=_json, family=st.sampled_from(_FAMILIES))
def test_extractors_never_raise(params: Any, response: Any, family: str | None) -> None:
    mapping = params if isinstance(params, dict) else {"messages": params}
    for capture in (False, True):
        attributes, name, _ = _wrappers._request_attributes(object(), "Converse", mapping, capture)
        assert isinstance(name, str)
        _converse.response_attributes(response, capture=capture)
        acc = _converse.ConverseStreamAccumulator(capture)
        for event in response if isinstance(response, list) else [response]:
            acc.observe(event)
        acc.attributes()
        body = json.dumps(params, default=str)
        _wrappers._request_attributes(object(), "InvokeModel", {"modelId": "anthropic.x", "body": body}, capture)
        _invoke.request_attributes(family, params, attributes)
        _invoke.content_request_attributes(family, params, attributes)
        _invoke.response_attributes(family, response, response, capture=capture)
        stream = _invoke.InvokeStreamAccumulator(family, capture)
        stream.observe(response)
        stream.observe({"chunk": {"bytes": json.dumps(response, default=str).encode()}})
        stream.observe({"chunk": {"bytes": b"\xff not json"}})
        stream.attributes()
    _wrappers.error_attributes(RuntimeError())

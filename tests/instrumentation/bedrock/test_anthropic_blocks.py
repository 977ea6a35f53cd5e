"""Anthropic bodies sent through Bedrock's ``invoke_model`` read like the anthropic instrumentor's: one converter."""

from __future__ import annotations

import json

from opentelemetry.util.types import AttributeValue

from otel_agent_trace.instrumentation._anthropic_blocks import anthropic_parts
from otel_agent_trace.instrumentation.bedrock._invoke import ANTHROPIC, content_request_attributes

BODY = {
    "anthropic_version": "bedrock-2023-05-31",
    "system": "Be terse.",
    "messages": [
        {"role": "user", "content": [{"type": "image", "source": {"type": "url", "url": "https://x/cat.png"}}]},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "lookup", "input": {"q": "cat"}}]},
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "t1",
                    "is_error": True,
                    "content": [{"type": "text", "text": "not found"}],
                }
            ],
        },
        {"role": "assistant", "content": [{"type": "redacted_thinking", "data": "opaque"}]},
    ],
}


def test_invoke_model_anthropic_body_uses_the_anthropic_block_converter() -> None:
    attributes: dict[str, AttributeValue] = {}
    content_request_attributes(ANTHROPIC, BODY, attributes)
    messages = json.loads(str(attributes["gen_ai.input.messages"]))
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "assistant"]
    assert messages[0]["parts"] == [{"type": "uri", "modality": "image", "uri": "https://x/cat.png"}]
    assert messages[1]["parts"] == [{"type": "tool_call", "id": "t1", "name": "lookup", "arguments": {"q": "cat"}}]
    assert messages[2]["parts"] == [
        {
            "type": "tool_call_response",
            "id": "t1",
            "response": [{"type": "text", "content": "not found"}],
            "is_error": True,
        }
    ]
    assert messages[3]["parts"] == [{"type": "reasoning", "redacted": True}]  # the opaque data is not exported
    assert json.loads(str(attributes["gen_ai.system_instructions"])) == [{"type": "text", "content": "Be terse."}]
    for message in BODY["messages"]:  # the same parts as the anthropic instrumentor gives for the same blocks
        assert anthropic_parts(message["content"]) in [m["parts"] for m in messages]

"""Trace AWS Bedrock Runtime model calls made through boto3/botocore as OpenTelemetry GenAI spans.

One CLIENT span per ``converse``, ``converse_stream``, ``invoke_model`` and ``invoke_model_with_response_stream``
call of a ``bedrock-runtime`` client: ``chat {modelId}`` (Converse, and the messages-style bodies of Anthropic and
Nova models), ``text_completion {modelId}`` (Titan Text, Llama, Mistral bodies) or ``embeddings {modelId}``
(Titan Embeddings). Every other AWS call passes straight through.

Usage::

    from otel_agent_trace.instrumentation.bedrock import BedrockInstrumentor
    BedrockInstrumentor().instrument(tracer_provider=provider)

Configuration (keyword arguments of ``instrument()``):

- ``capture_content``: record messages, system prompts, tool definitions and outputs (default: the
  ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` setting, read at call time).
- ``capture_http``: also let HTTP instrumentors (urllib3) record the request under our span (default ``False``).

Captured attributes: ``gen_ai.operation.name``, ``gen_ai.provider.name`` = ``aws.bedrock``,
``gen_ai.request.{model,max_tokens,temperature,top_p,top_k,stop_sequences,stream}`` (Converse
``inferenceConfig``, or the model's own body fields), ``gen_ai.response.{id,model}`` (Anthropic bodies),
``gen_ai.response.finish_reasons`` (the raw ``stopReason``), ``gen_ai.usage.input_tokens`` (cache reads and
writes included, as the GenAI semconv asks), ``gen_ai.usage.output_tokens``,
``gen_ai.usage.cache_{read,creation}.input_tokens``, ``gen_ai.response.time_to_first_chunk`` (streams),
``server.address``/``server.port``, ``agent_trace.step.action_type``, ``agent_trace.llm.tool_call.{names,ids}``
(the ``toolUse`` blocks); with content capture ``gen_ai.input.messages``, ``gen_ai.system_instructions``,
``gen_ai.tool.definitions``, ``gen_ai.output.messages``. Errors: status ERROR, ``error.type``,
``agent_trace.error.code`` = the AWS error code (``ThrottlingException``, ``ValidationException``...).
"""

from __future__ import annotations

import sys
from collections.abc import Collection
from types import ModuleType
from typing import Any

from opentelemetry.instrumentation.utils import unwrap
from wrapt import wrap_function_wrapper

from otel_agent_trace.instrumentation._base import AgentInstrumentor

__all__ = ["BedrockInstrumentor"]

_instruments = ("botocore >= 1.31",)

_MODULE = "botocore.client"


class BedrockInstrumentor(AgentInstrumentor):
    """Makes one GenAI span per Bedrock Runtime model call (Converse, InvokeModel, and their streams)."""

    _instruments = _instruments
    _module = _MODULE

    def instrumentation_dependencies(self) -> Collection[str]:
        """The botocore versions this instrumentor supports (boto3 brings botocore)."""
        return _instruments

    def _patch(self, module: ModuleType, **kwargs: Any) -> None:
        from ._wrappers import Config, MakeApiCallWrapper

        config = Config(self._tracer(kwargs), self._capture_content(kwargs), bool(kwargs.get("capture_http", False)))
        wrap_function_wrapper(module.BaseClient, "_make_api_call", MakeApiCallWrapper(config))

    def _unpatch(self, **kwargs: Any) -> None:
        module = sys.modules.get(_MODULE)
        if module is not None:
            unwrap(module.BaseClient, "_make_api_call")

"""Trace Anthropic ``messages`` calls as OpenTelemetry GenAI ``chat`` spans.

One span per call to ``client.messages.create`` / ``.parse`` (sync and async, ``stream=True`` included) and per
``client.messages.stream(...)`` helper (the span starts when the manager is entered, where the request is made).

Usage::

    from otel_agent_trace.instrumentation.anthropic import AnthropicInstrumentor
    AnthropicInstrumentor().instrument(tracer_provider=provider)

Configuration (keyword arguments of ``instrument()``):

- ``capture_content``: record prompts, system instructions, tool definitions and outputs (default: the
  ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` setting, read at call time).
- ``capture_http``: also let HTTP instrumentors (httpx) record the request under our span (default ``False``).
- ``keep_sdk_spans``: keep the SDK's own ``anthropic.messages.create`` span as a child of ours (default
  ``False``).

One call, one span. anthropic >= 2 makes its own call span when a tracer provider is set. While our span
describes a call, the SDK's ``start_api_call_span`` is answered with ``None`` (the SDK's documented "no span"
path), so the SDK goes on without its span. The same holds inside ``suppress_instrumentation()`` and under an
outer LLM span (``suppress_llm_instrumentation()``, set by the litellm instrumentor). Calls we do not trace
(``count_tokens``, batches, beta) keep the SDK span.

Captured attributes: ``gen_ai.operation.name`` = ``chat``, ``gen_ai.provider.name`` = ``anthropic``,
``gen_ai.request.{model,max_tokens,temperature,top_p,top_k,stop_sequences,stream}``,
``gen_ai.response.{id,model,finish_reasons}`` (the raw ``stop_reason``), ``gen_ai.usage.input_tokens``
(including cached tokens, as the GenAI semconv asks), ``gen_ai.usage.output_tokens``,
``gen_ai.usage.cache_{read,creation}.input_tokens``, ``gen_ai.response.time_to_first_chunk`` (streams),
``server.address``/``server.port``, ``agent_trace.step.action_type`` = ``llm_call``,
``agent_trace.llm.tool_call.{names,ids}`` (the ``tool_use`` blocks the model asked for); with content capture
``gen_ai.input.messages``, ``gen_ai.system_instructions``, ``gen_ai.tool.definitions`` and
``gen_ai.output.messages`` (GenAI semconv JSON: role + parts). Errors: status ERROR, ``error.type``, and
``agent_trace.error.code`` = the error body's ``error.type`` (``overloaded_error``) or the HTTP status.
"""

from __future__ import annotations

import sys
from collections.abc import Collection
from types import ModuleType
from typing import TYPE_CHECKING, Any

from opentelemetry.instrumentation.utils import unwrap
from wrapt import wrap_function_wrapper

from otel_agent_trace.instrumentation._base import AgentInstrumentor

if TYPE_CHECKING:
    from ._wrappers import Config

__all__ = ["AnthropicInstrumentor"]

_instruments = ("anthropic >= 0.40, < 3",)

_MODULE = "anthropic.resources.messages.messages"
_SDK_SPAN_MODULE = "anthropic._base_client"
_SDK_SPAN_FUNCTION = "start_api_call_span"


class AnthropicInstrumentor(AgentInstrumentor):
    """Makes one GenAI ``chat`` span per Anthropic Messages API call."""

    _instruments = _instruments
    _module = "anthropic"

    def instrumentation_dependencies(self) -> Collection[str]:
        """The anthropic versions this instrumentor supports."""
        return _instruments

    def _patch(self, module: ModuleType, **kwargs: Any) -> None:
        from ._wrappers import Config

        config = Config(
            self._tracer(kwargs),
            self._capture_content(kwargs),
            bool(kwargs.get("capture_http", False)),
            module.Stream,
            module.AsyncStream,
            module.types.Message,
        )
        self._targets: list[tuple[type, str]] = []
        self.when_imported(_MODULE, lambda messages_module: self._wrap_messages(messages_module, config))
        self._gated = False
        if not kwargs.get("keep_sdk_spans", False):
            self.when_imported(_SDK_SPAN_MODULE, self._gate_sdk_span)

    def _wrap_messages(self, messages_module: ModuleType, config: Config) -> None:
        from ._wrappers import AsyncCreateWrapper, CreateWrapper, StreamWrapper

        for cls_name, method, wrapper in (
            ("Messages", "create", CreateWrapper(config)),
            ("Messages", "parse", CreateWrapper(config)),
            ("Messages", "stream", StreamWrapper(config, is_async=False)),
            ("AsyncMessages", "create", AsyncCreateWrapper(config)),
            ("AsyncMessages", "parse", AsyncCreateWrapper(config)),
            ("AsyncMessages", "stream", StreamWrapper(config, is_async=True)),
        ):
            cls = getattr(messages_module, cls_name, None)
            if isinstance(cls, type) and method in vars(cls):
                wrap_function_wrapper(cls, method, wrapper)
                self._targets.append((cls, method))

    def _gate_sdk_span(self, sdk_module: ModuleType) -> None:
        from ._wrappers import sdk_span_gate

        if callable(getattr(sdk_module, _SDK_SPAN_FUNCTION, None)):
            wrap_function_wrapper(sdk_module, _SDK_SPAN_FUNCTION, sdk_span_gate)
            self._gated = True

    def _unpatch(self, **kwargs: Any) -> None:
        for cls, method in getattr(self, "_targets", ()):
            unwrap(cls, method)
        self._targets = []
        sdk_module = sys.modules.get(_SDK_SPAN_MODULE)
        if getattr(self, "_gated", False) and sdk_module is not None:
            unwrap(sdk_module, _SDK_SPAN_FUNCTION)
        self._gated = False

"""Trace the ``openai`` client: chat completions, the Responses API and embeddings, sync and async, streamed or not.

Usage::

    from otel_agent_trace.instrumentation.openai import OpenAIInstrumentor

    OpenAIInstrumentor().instrument(tracer_provider=provider)  # capture_content=True to record messages

Configuration (keyword arguments of ``instrument()``):

- ``tracer_provider``: the provider to use (default: the global one).
- ``capture_content``: record messages, system instructions and tool call arguments (default: the
  ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` setting, read at call time).
- ``capture_http``: also let HTTP instrumentations record the request under the LLM span (default ``False``:
  the SDK call runs inside ``suppress_http_instrumentation()`` so no duplicate HTTP span appears).

Captured attributes (one CLIENT span ``"{operation} {model}"`` per call, e.g. ``chat gpt-4o-mini``):
``gen_ai.operation.name`` (``chat`` for chat completions and responses, ``embeddings``), ``gen_ai.provider.name``,
``gen_ai.request.*`` (model, temperature, top_p, max_tokens, seed, stop_sequences, stream, encoding_formats,
choice.count, frequency/presence_penalty), ``gen_ai.output.type``, ``gen_ai.response.id``/``model``/
``finish_reasons``, ``gen_ai.usage.*`` (reasoning tokens included), ``server.address``/``port``,
``openai.api.type``, ``openai.request.service_tier`` (unless ``auto``), ``openai.response.service_tier`` and
``openai.response.system_fingerprint`` (streams: from the chunks), ``agent_trace.step.action_type`` =
``llm_call``, ``agent_trace.llm.tool_call.names``/``ids`` (the tool calls the model asked for),
``gen_ai.response.time_to_first_chunk`` for streams; with content capture also ``gen_ai.input.messages``,
``gen_ai.system_instructions``, ``gen_ai.tool.definitions`` and ``gen_ai.output.messages`` (GenAI semconv JSON).
What the GenAI conventions require of these spans and when: ``docs/semconv.md``, "Conformance".
Errors set status ERROR, ``error.type`` and ``agent_trace.error.code`` (provider code or HTTP status).
"""

from __future__ import annotations

import sys
from collections.abc import Collection
from types import ModuleType
from typing import Any

from opentelemetry.instrumentation.utils import unwrap
from wrapt import FunctionWrapper, wrap_function_wrapper

from otel_agent_trace.instrumentation._base import AgentInstrumentor

__all__ = ["OpenAIInstrumentor"]

_instruments = ("openai >= 1.40",)

_TARGETS: tuple[tuple[str, str, str, str, bool], ...] = (
    ("openai.resources.chat.completions", "Completions", "create", "CHAT_COMPLETIONS", False),
    ("openai.resources.chat.completions", "Completions", "parse", "CHAT_COMPLETIONS", False),
    ("openai.resources.chat.completions", "AsyncCompletions", "create", "CHAT_COMPLETIONS", True),
    ("openai.resources.chat.completions", "AsyncCompletions", "parse", "CHAT_COMPLETIONS", True),
    ("openai.resources.responses", "Responses", "create", "RESPONSES", False),
    ("openai.resources.responses", "Responses", "parse", "RESPONSES", False),
    ("openai.resources.responses", "AsyncResponses", "create", "RESPONSES", True),
    ("openai.resources.responses", "AsyncResponses", "parse", "RESPONSES", True),
    ("openai.resources.embeddings", "Embeddings", "create", "EMBEDDINGS", False),
    ("openai.resources.embeddings", "AsyncEmbeddings", "create", "EMBEDDINGS", True),
)
"""(module, class, method, operation in ``_wrappers``, is_async): drives both wrapping and unwrapping."""


def _target_class(module: str, cls: str) -> type | None:
    """The class in ``module`` if that module is imported (never imports it)."""
    found = getattr(sys.modules.get(module), cls, None)
    return found if isinstance(found, type) else None


class OpenAIInstrumentor(AgentInstrumentor):
    """Records one GenAI CLIENT span per OpenAI chat completion, response or embeddings call."""

    _instruments = _instruments
    _module = "openai"
    handles_raw_response = True
    """``with_raw_response`` calls get response attributes and usage too: framework instrumentors (LangChain)
    then leave token usage to this span."""

    def instrumentation_dependencies(self) -> Collection[str]:
        """The supported ``openai`` versions."""
        return _instruments

    def _patch(self, module: ModuleType, **kwargs: Any) -> None:
        # openai imports its resource modules lazily: each is wrapped when the SDK first imports it.
        from . import _wrappers

        tracer = self._tracer(kwargs)
        capture = self._capture_content(kwargs)
        capture_http = bool(kwargs.get("capture_http", False))
        raw_cls = _target_class("openai._legacy_response", "LegacyAPIResponse")
        for name in dict.fromkeys(target[0] for target in _TARGETS):

            def patch(resource: ModuleType, name: str = name) -> None:
                for module_name, cls, method, op_name, is_async in _TARGETS:
                    target = getattr(resource, cls, None) if module_name == name else None
                    if not isinstance(target, type) or not hasattr(target, method):
                        continue  # an older SDK without this resource or method
                    op = getattr(_wrappers, op_name)
                    if is_async:
                        wrapper: Any = _wrappers.AsyncWrapper(
                            tracer, op, capture, capture_http, module.AsyncStream, raw_cls
                        )
                    else:
                        wrapper = _wrappers.SyncWrapper(tracer, op, capture, capture_http, module.Stream, raw_cls)
                    wrap_function_wrapper(target, method, wrapper)

            self.when_imported(name, patch)

    def _unpatch(self, **kwargs: Any) -> None:
        for module, cls, method, _, _ in _TARGETS:
            target = _target_class(module, cls)
            if target is not None and isinstance(vars(target).get(method), FunctionWrapper):
                unwrap(target, method)  # only ours: the SDK's own decorators leave a __wrapped__ too

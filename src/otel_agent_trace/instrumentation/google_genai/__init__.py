"""Trace google-genai (Gemini API and Vertex AI) calls as OpenTelemetry GenAI spans.

One ``generate_content {model}`` CLIENT span per model request of ``client.models.generate_content`` /
``generate_content_stream`` and their ``client.aio.models`` twins (``client.chats`` sessions go through them), and
one ``embeddings {model}`` span per ``embed_content``. Automatic function calling sends one request per model
turn: each is its own span, and each run of one of your Python functions between two turns is an
``execute_tool {name}`` span.

Usage::

    from otel_agent_trace.instrumentation.google_genai import GoogleGenAIInstrumentor
    GoogleGenAIInstrumentor().instrument(tracer_provider=provider)

Configuration (keyword arguments of ``instrument()``):

- ``capture_content``: record contents, system instruction, tool definitions and candidates (default: the
  ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` setting, read at call time).
- ``capture_http``: also let HTTP instrumentors (httpx, aiohttp) record the request under our span (default
  ``False``).

Captured attributes: ``gen_ai.operation.name`` (``generate_content`` / ``embeddings``), ``gen_ai.provider.name``
(``gcp.gemini``, or ``gcp.vertex_ai`` for a Vertex AI client), ``gen_ai.request.{model,temperature,top_p,top_k,
max_tokens,seed,stop_sequences,stream}``, ``gen_ai.response.{id,model,finish_reasons}`` (lower-case Gemini
reasons: ``stop``, ``max_tokens``, ``safety``...), ``gen_ai.usage.input_tokens`` (prompt, cached included, plus
tool-use prompt), ``gen_ai.usage.output_tokens`` (candidates plus thoughts), ``gen_ai.usage.reasoning.output_tokens``,
``gen_ai.usage.cache_read.input_tokens``, ``gen_ai.response.time_to_first_chunk`` (streams),
``gen_ai.embeddings.dimension.count``, ``server.address``/``server.port``, ``agent_trace.step.action_type``,
``agent_trace.llm.tool_call.{names,ids}`` (the ``function_call`` parts); with content capture
``gen_ai.input.messages``, ``gen_ai.system_instructions``, ``gen_ai.tool.definitions``, ``gen_ai.output.messages``.
Errors: status ERROR, ``error.type``, ``agent_trace.error.code`` = the ``APIError`` status
(``RESOURCE_EXHAUSTED``) or HTTP code.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Collection
from types import ModuleType
from typing import TYPE_CHECKING, Any

from opentelemetry.instrumentation.utils import unwrap
from wrapt import wrap_function_wrapper

from otel_agent_trace.instrumentation._base import AgentInstrumentor

if TYPE_CHECKING:
    from ._wrappers import Config

__all__ = ["GoogleGenAIInstrumentor"]

_instruments = ("google-genai >= 1.0, < 4",)

_MODELS_MODULE = "google.genai.models"
_TOOLS_MODULE = "google.genai._extra_utils"


class GoogleGenAIInstrumentor(AgentInstrumentor):
    """Makes one GenAI span per google-genai model request (generate content, streams, embeddings)."""

    _instruments = _instruments
    _module = _MODELS_MODULE

    def instrumentation_dependencies(self) -> Collection[str]:
        """The google-genai versions this instrumentor supports."""
        return _instruments

    def _instrument(self, **kwargs: Any) -> None:
        # ``google`` is a namespace many distributions share: look for ``google.genai`` itself (imports nothing
        # but the namespace package).
        try:
            found = importlib.util.find_spec("google.genai") is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            raise ModuleNotFoundError("No module named 'google.genai'", name="google.genai")
        super()._instrument(**kwargs)

    def _patch(self, module: ModuleType, **kwargs: Any) -> None:
        from ._extract import EMBEDDINGS, GENERATE_CONTENT
        from ._wrappers import AsyncCallWrapper, AsyncStreamWrapper, CallWrapper, Config, StreamWrapper

        config = Config(self._tracer(kwargs), self._capture_content(kwargs), bool(kwargs.get("capture_http", False)))
        self._targets: list[tuple[Any, str]] = []
        for cls_name, methods, wrapper in (
            ("Models", ("_generate_content", "generate_content"), CallWrapper(config, GENERATE_CONTENT)),
            ("Models", ("_generate_content_stream", "generate_content_stream"), StreamWrapper(config)),
            ("Models", ("embed_content",), CallWrapper(config, EMBEDDINGS)),
            ("AsyncModels", ("_generate_content", "generate_content"), AsyncCallWrapper(config, GENERATE_CONTENT)),
            ("AsyncModels", ("_generate_content_stream", "generate_content_stream"), AsyncStreamWrapper(config)),
            ("AsyncModels", ("embed_content",), AsyncCallWrapper(config, EMBEDDINGS)),
        ):
            cls = getattr(module, cls_name, None)
            if not isinstance(cls, type):
                continue
            # The private method sends one request; the public one may send several (see _wrappers).
            method = next((m for m in methods if m in vars(cls)), None)
            if method is not None:
                wrap_function_wrapper(cls, method, wrapper)
                self._targets.append((cls, method))
        self.when_imported(_TOOLS_MODULE, lambda tools_module: self._wrap_tools(tools_module, config))

    def _wrap_tools(self, tools_module: ModuleType, config: Config) -> None:
        from ._tools import AsyncToolWrapper, ToolWrapper

        for function, wrapper in (
            ("invoke_function_from_dict_args", ToolWrapper(config)),
            ("invoke_function_from_dict_args_async", AsyncToolWrapper(config)),
        ):
            if callable(getattr(tools_module, function, None)):
                wrap_function_wrapper(tools_module, function, wrapper)
                self._targets.append((tools_module, function))

    def _unpatch(self, **kwargs: Any) -> None:
        for cls, method in getattr(self, "_targets", ()):
            unwrap(cls, method)
        self._targets = []

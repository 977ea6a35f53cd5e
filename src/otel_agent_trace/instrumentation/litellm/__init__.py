"""Trace ``litellm.completion`` / ``litellm.acompletion`` as OpenTelemetry GenAI ``chat`` spans.

One span per call, streams included (the span ends when the ``CustomStreamWrapper`` is exhausted, raises, is
closed, exits its ``with`` or is garbage-collected). ``gen_ai.provider.name`` comes from litellm's own provider
resolution (``litellm.get_llm_provider``), mapped to the GenAI semconv names (``azure`` -> ``azure.ai.openai``,
``bedrock`` -> ``aws.bedrock``...); ``gen_ai.request.model`` is the model without its ``provider/`` prefix.

Usage::

    from otel_agent_trace.instrumentation.litellm import LiteLLMInstrumentor
    LiteLLMInstrumentor().instrument(tracer_provider=provider)

Configuration (keyword arguments of ``instrument()``): ``capture_content`` (as for every instrumentor) and
``capture_http`` (let HTTP instrumentors record the request under our span; default ``False``).

One call, one span. litellm reaches many providers through their SDKs (the openai SDK for OpenAI and every
OpenAI-compatible server). The litellm span already describes the call, so the SDK call litellm makes runs inside
``suppress_llm_instrumentation()``: our openai and anthropic instrumentors see ``is_llm_instrumentation_enabled()``
false and call straight through, and anthropic's own SDK span is skipped too. Calls made with ``from litellm import
completion`` before ``instrument()`` keep the original function and are not traced; ``completion(acompletion=True)``
is not traced either (use ``acompletion``). litellm's own OTel callback (``callbacks=["otel"]``) is independent: do
not turn it on together with this instrumentor.

Captured attributes: those of the anthropic/openai instrumentors' chat spans (``gen_ai.request.*``,
``gen_ai.response.{id,model,finish_reasons}``, ``gen_ai.usage.*``, ``server.address``/``server.port`` of the
resolved ``api_base``, ``agent_trace.step.action_type`` = ``llm_call``, ``agent_trace.llm.tool_call.{names,ids}``;
with content capture ``gen_ai.input.messages``, ``gen_ai.tool.definitions``, ``gen_ai.output.messages``). Errors:
status ERROR, ``error.type``, ``agent_trace.error.code`` (provider code or HTTP status).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Collection, Mapping
from types import ModuleType
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.instrumentation.utils import unwrap
from opentelemetry.trace import SpanKind
from wrapt import wrap_function_wrapper

from otel_agent_trace._internal.context import (
    attach_span,
    is_enabled,
    is_llm_instrumentation_enabled,
    suppress_llm_instrumentation,
)
from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace.instrumentation._base import AgentInstrumentor
from otel_agent_trace.instrumentation._genai import url_server_attributes
from otel_agent_trace.instrumentation._genai_request import chat_request_content_attributes
from otel_agent_trace.instrumentation.litellm._extract import CHAT, request_attributes
from otel_agent_trace.instrumentation.litellm._stream import LLMCall, wrap_stream

__all__ = ["LiteLLMInstrumentor"]

_instruments = ("litellm >= 1.50",)
_POSITIONAL = ("model", "messages")


class _Config:
    __slots__ = ("capture", "capture_http", "get_llm_provider", "response_cls", "stream_cls", "tracer")

    def __init__(
        self,
        tracer: trace.Tracer,
        capture: Callable[[], bool],
        capture_http: bool,
        get_llm_provider: Callable[..., Any],
        response_cls: type,
        stream_cls: type,
    ) -> None:
        self.tracer = tracer
        self.capture = capture
        self.capture_http = capture_http
        self.get_llm_provider = get_llm_provider
        self.response_cls = response_cls
        self.stream_cls = stream_cls


def _params(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Mapping[str, Any]:
    if not args:
        return kwargs
    return {**dict(zip(_POSITIONAL, args, strict=False)), **kwargs}


def _resolve(config: _Config, params: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    """(model without provider prefix, litellm provider, api_base); the provider is None if litellm cannot tell."""
    model = params.get("model")
    try:
        resolved, provider, _key, api_base = config.get_llm_provider(
            model=model, custom_llm_provider=params.get("custom_llm_provider"), api_base=params.get("api_base")
        )
    except Exception:  # noqa: BLE001 - litellm raises for models it cannot route; the call itself will say why
        return model, None, params.get("api_base") or params.get("base_url")
    return resolved, provider, api_base or params.get("api_base") or params.get("base_url")


def _start(config: _Config, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> tuple[LLMCall, object] | None:
    call: LLMCall | None = None
    with handle_internal_errors("litellm.start_span"):
        params = _params(args, kwargs)
        capture = config.capture()
        model, provider, api_base = _resolve(config, params)
        attributes = request_attributes(params, model, provider, stream=params.get("stream") is True)
        url_server_attributes(api_base, attributes)
        if capture:
            chat_request_content_attributes(params, attributes)
        name = f"{CHAT} {model}" if isinstance(model, str) and model else CHAT
        start_ns = time.time_ns()
        span = config.tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes, start_time=start_ns)
        call = LLMCall(span, capture, start_ns, provider is not None)
    if call is None:
        return None
    return call, attach_span(call.span, suppress_http=not config.capture_http)


def _finish(config: _Config, call: LLMCall, result: Any) -> Any:
    with handle_internal_errors("litellm.finish"):
        if isinstance(result, config.stream_cls):
            return wrap_stream(result, call)
        if isinstance(result, config.response_cls):
            call.finish_response(result)
            return result
    with handle_internal_errors("litellm.finish"):
        call.end()
    return result


def _enabled(kwargs: Mapping[str, Any]) -> bool:
    return is_enabled() and is_llm_instrumentation_enabled() and kwargs.get("acompletion") is not True


class _CompletionWrapper:
    """``litellm.completion``."""

    __slots__ = ("_config",)

    def __init__(self, config: _Config) -> None:
        self._config = config

    def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if not _enabled(kwargs):
            return wrapped(*args, **kwargs)
        started = _start(self._config, args, kwargs)
        if started is None:
            return wrapped(*args, **kwargs)
        call, token = started
        try:
            with suppress_llm_instrumentation():
                result = wrapped(*args, **kwargs)
        except Exception as exc:
            call.fail(exc)
            raise
        finally:
            otel_context.detach(token)  # type: ignore[arg-type]
        return _finish(self._config, call, result)


class _AsyncCompletionWrapper:
    """``litellm.acompletion``."""

    __slots__ = ("_config",)

    def __init__(self, config: _Config) -> None:
        self._config = config

    async def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if not _enabled(kwargs):
            return await wrapped(*args, **kwargs)
        started = _start(self._config, args, kwargs)
        if started is None:
            return await wrapped(*args, **kwargs)
        call, token = started
        try:
            with suppress_llm_instrumentation():
                result = await wrapped(*args, **kwargs)
        except Exception as exc:
            call.fail(exc)
            raise
        finally:
            otel_context.detach(token)  # type: ignore[arg-type]
        return _finish(self._config, call, result)


class LiteLLMInstrumentor(AgentInstrumentor):
    """Makes one GenAI ``chat`` span per ``litellm.completion`` / ``litellm.acompletion`` call."""

    _instruments = _instruments
    _module = "litellm"

    def instrumentation_dependencies(self) -> Collection[str]:
        """The litellm versions this instrumentor supports."""
        return _instruments

    def _patch(self, module: ModuleType, **kwargs: Any) -> None:
        # Importing litellm fetches its model cost map over the network: it is wrapped when the program imports it.
        from litellm.litellm_core_utils.streaming_handler import CustomStreamWrapper
        from litellm.types.utils import ModelResponse

        config = _Config(
            self._tracer(kwargs),
            self._capture_content(kwargs),
            bool(kwargs.get("capture_http", False)),
            module.get_llm_provider,
            ModelResponse,
            CustomStreamWrapper,
        )
        wrap_function_wrapper(module, "completion", _CompletionWrapper(config))
        wrap_function_wrapper(module, "acompletion", _AsyncCompletionWrapper(config))

    def _unpatch(self, **kwargs: Any) -> None:
        litellm = sys.modules["litellm"]
        unwrap(litellm, "completion")
        unwrap(litellm, "acompletion")

"""The few Agents SDK methods we wrap, for what its tracing hooks do not tell.

- The SDK's own trace export (``BatchTraceProcessor._export_batches``, ``BackendSpanExporter._export_with_deadline``)
  runs under ``suppress_instrumentation()``: its uploads to OpenAI's trace backend make no HTTP spans (and, when
  that backend is unreachable, no error traces). The export itself is untouched.
- ``OpenAIResponsesModel._build_response_create_kwargs`` (called inside the SDK's response span): the requested
  model and sampling parameters, which the SDK's ``ResponseSpanData`` does not carry.
- ``OpenAIChatCompletionsModel._fetch_response`` (inside the SDK's generation span): the response id and model of a
  non-streamed Chat Completions call.
- ``ToolContext.from_agent_context`` (called right after the SDK starts a function span): the tool call id.
- ``InputGuardrail.run`` / ``OutputGuardrail.run`` (inside the guardrail span): which kind of guardrail it is and
  its ``output_info``.

Each is looked up in ``sys.modules`` (never imported) and skipped if this SDK version lacks it. Our part runs after
the SDK's call, guarded; the SDK's call runs exactly once, and its result or exception is passed on unchanged.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from opentelemetry.instrumentation.utils import suppress_instrumentation, unwrap
from wrapt import wrap_function_wrapper

from otel_agent_trace._internal.errors import handle_internal_errors

if TYPE_CHECKING:
    from otel_agent_trace.instrumentation.openai_agents._processor import OTelTracingProcessor


class _Suppressed:
    """Runs the SDK's trace export with every instrumentation suppressed."""

    __slots__ = ()

    def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        with suppress_instrumentation():
            return wrapped(*args, **kwargs)


class _RequestKwargs:
    """Hands the Responses API request the SDK built to the processor (the open response span)."""

    __slots__ = ("_processor",)

    def __init__(self, processor: OTelTracingProcessor) -> None:
        self._processor = processor

    def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        result = wrapped(*args, **kwargs)
        with handle_internal_errors("openai_agents.request_kwargs"):
            self._processor.note_request(result)
        return result


class _ChatCompletion:
    """Hands the ``ChatCompletion`` a Chat Completions model call got to the processor (the open generation span)."""

    __slots__ = ("_processor",)

    def __init__(self, processor: OTelTracingProcessor) -> None:
        self._processor = processor

    async def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        result = await wrapped(*args, **kwargs)
        with handle_internal_errors("openai_agents.chat_completion"):
            self._processor.note_completion(result)  # a streamed call returns a tuple: ignored there
        return result


def _call_id(args: Any, kwargs: Any) -> Any:
    if "tool_call_id" in kwargs:
        return kwargs["tool_call_id"]
    return args[1] if len(args) > 1 else None


class _ToolContext:
    """Hands the tool call id of a new ``ToolContext`` to the processor (the open function span)."""

    __slots__ = ("_processor",)

    def __init__(self, processor: OTelTracingProcessor) -> None:
        self._processor = processor

    def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        result = wrapped(*args, **kwargs)
        with handle_internal_errors("openai_agents.tool_context"):
            self._processor.note_tool_call(_call_id(args, kwargs))
        return result


class _GuardrailRun:
    """Hands a guardrail's result (``InputGuardrailResult``/``OutputGuardrailResult``) to the processor."""

    __slots__ = ("_kind", "_processor")

    def __init__(self, processor: OTelTracingProcessor, kind: str) -> None:
        self._processor = processor
        self._kind = kind

    async def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        result = await wrapped(*args, **kwargs)
        with handle_internal_errors("openai_agents.guardrail"):
            self._processor.note_guardrail(self._kind, getattr(result, "output", None))
        return result


def _targets(processor: OTelTracingProcessor) -> tuple[tuple[str, str, str, Any], ...]:
    return (
        ("agents.tracing.processors", "BatchTraceProcessor", "_export_batches", _Suppressed()),
        ("agents.tracing.processors", "BackendSpanExporter", "_export_with_deadline", _Suppressed()),
        (
            "agents.models.openai_responses",
            "OpenAIResponsesModel",
            "_build_response_create_kwargs",
            _RequestKwargs(processor),
        ),
        (
            "agents.models.openai_chatcompletions",
            "OpenAIChatCompletionsModel",
            "_fetch_response",
            _ChatCompletion(processor),
        ),
        ("agents.tool_context", "ToolContext", "from_agent_context", _ToolContext(processor)),
        ("agents.guardrail", "InputGuardrail", "run", _GuardrailRun(processor, "input")),
        ("agents.guardrail", "OutputGuardrail", "run", _GuardrailRun(processor, "output")),
    )


def patch(processor: OTelTracingProcessor) -> list[tuple[type, str]]:
    """Wrap every target this SDK has; returns what was wrapped, for `unpatch`."""
    done: list[tuple[type, str]] = []
    for module_name, cls_name, method, wrapper in _targets(processor):
        cls = getattr(sys.modules.get(module_name), cls_name, None)
        if not isinstance(cls, type) or method not in vars(cls):
            continue  # another SDK version: that detail is not recorded, nothing else changes
        with handle_internal_errors(f"openai_agents.patch({cls_name}.{method})"):
            wrap_function_wrapper(cls, method, wrapper)
            done.append((cls, method))
    return done


def unpatch(done: list[tuple[type, str]]) -> None:
    """Undo `patch`."""
    for cls, method in done:
        with handle_internal_errors(f"openai_agents.unpatch({cls.__name__}.{method})"):
            unwrap(cls, method)

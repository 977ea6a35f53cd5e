"""Content modes on the export thread: the ``gen_ai.client.inference.operation.details`` log event.

With ``EVENT_ONLY`` or ``SPAN_AND_EVENT`` (``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``), every GenAI
inference span (``gen_ai.operation.name`` ``chat``, ``text_completion`` or ``generate_content``, whoever made it: our
instrumentors, a framework, another GenAI instrumentation) gets one OTel log record with that event name, the span's
trace and span ids, and the span's ``gen_ai.*``, ``server.*``, ``openai.*`` and ``error.type`` attributes, content
included. It is emitted by an `Observer`, i.e. from the span as exported: redacted and within budget.

With ``EVENT_ONLY`` the enricher `hold_event_content` first takes the content attributes (`CONTENT_KEYS`) off the
inference span, before redaction; the observer then redacts and budgets them on their own (same rules, same limits,
`safe_transform`: a fault gives the scrubbed form, never the original) and puts them on the event. Nothing here runs
on the application thread unless the processor has a delegate of its own (then all export-thread work does).

A failure here is logged (rate-limited) and never costs the span: `SpanTransformer` guards its hooks.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from opentelemetry import _logs
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import NonRecordingSpan, set_span_in_context

from otel_agent_trace._internal.redact import Redactor
from otel_agent_trace._internal.settings import Settings
from otel_agent_trace.semconv import agent, gen_ai

from ._prepare import PreparedSpan
from ._recent import safe_transform
from ._transform import SpanTransformer

INFERENCE_OPERATIONS = frozenset(
    op.value
    for op in (
        gen_ai.GenAiOperationNameValues.CHAT,
        gen_ai.GenAiOperationNameValues.TEXT_COMPLETION,
        gen_ai.GenAiOperationNameValues.GENERATE_CONTENT,
    )
)
"""The operations the GenAI conventions call inference; their spans get the event."""
CONTENT_KEYS = (
    gen_ai.GEN_AI_INPUT_MESSAGES,
    gen_ai.GEN_AI_OUTPUT_MESSAGES,
    gen_ai.GEN_AI_SYSTEM_INSTRUCTIONS,
    gen_ai.GEN_AI_TOOL_DEFINITIONS,
)
"""The inference content attributes: on the span (``SPAN_*``), on the event (``*_EVENT``/``EVENT_ONLY``)."""
_EVENT_PREFIXES = ("gen_ai.", "server.", "openai.", "error.type")
_MARKERS = (agent.REDACTED, agent.TRUNCATED)
_MAX_REMEMBERED = 4096
_MAX_LOGGERS = 64

_held = threading.local()
"""Per export thread: ``(span_id, trace_id, content, span)``: content taken off the span being transformed."""


def is_inference(attributes: Mapping[str, Any] | None) -> bool:
    """Whether a span with these attributes is a GenAI inference span."""
    operation = attributes.get(gen_ai.GEN_AI_OPERATION_NAME) if attributes else None
    return isinstance(operation, str) and operation in INFERENCE_OPERATIONS


def hold_event_content(span: ReadableSpan, attributes: dict[str, Any]) -> None:
    """`Enricher` for ``EVENT_ONLY``: take the content attributes off an inference span, for its event."""
    _held.value = None
    if not is_inference(attributes):
        return
    content = {key: attributes.pop(key) for key in CONTENT_KEYS if key in attributes}
    if content:
        _held.value = (span.context.span_id, span.context.trace_id, content, span)


def _take_held(span: ReadableSpan) -> tuple[dict[str, Any], ReadableSpan] | None:
    held = getattr(_held, "value", None)
    _held.value = None
    if held is None or held[0] != span.context.span_id or held[1] != span.context.trace_id:
        return None
    return held[2], held[3]


class _Emitted:
    """Spans whose event went out (bounded): with several exporters each processor sees the span, one emits."""

    def __init__(self, limit: int) -> None:
        self._seen: OrderedDict[tuple[int, int], None] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def first(self, key: tuple[int, int]) -> bool:
        with self._lock:
            if key in self._seen:
                return False
            self._seen[key] = None
            while len(self._seen) > self._limit:
                self._seen.popitem(last=False)
            return True


_emitted = _Emitted(_MAX_REMEMBERED)
_provider: list[_logs.LoggerProvider | None] = [None]


def use_logger_provider(provider: _logs.LoggerProvider | None) -> None:
    """Emit the events through ``provider`` (``init()`` sets its own); ``None``: the global one."""
    _provider[0] = provider


def event_logger_provider() -> _logs.LoggerProvider:
    """The provider events go to: the one `use_logger_provider` set, else OTel's global one."""
    return _provider[0] or _logs.get_logger_provider()


class ContentEventEmitter:
    """`Observer` emitting the ``gen_ai.client.inference.operation.details`` event of every inference span."""

    def __init__(self, settings: Settings) -> None:
        self._content = safe_transform(
            SpanTransformer(
                max_attribute_bytes=settings.max_attribute_bytes,
                max_span_bytes=settings.max_span_bytes,
                redactor=Redactor.from_settings(settings),
            )
        )
        self._loggers: dict[tuple[int, str, str | None], _logs.Logger] = {}
        self._holds_inference: OrderedDict[int, bool] = OrderedDict()
        """Spans (ids) with an inference span inside them, seen so far (children are exported before parents)."""
        self._lock = threading.Lock()

    def __call__(self, span: ReadableSpan) -> None:
        """Emit the event of ``span`` (the exported form) if it is an inference span not seen before.

        One LLM call has one event, as in the GenAI metrics' "counted once" rule: a framework's LLM span marked
        ``agent_trace.llm.usage_source = provider`` (our provider instrumentor records that call) has none, nor has
        an inference span with another inside it.
        """
        held = _take_held(span)
        inference = is_inference(span.attributes)
        if not self._innermost(span, inference) or not inference:
            return
        if (span.attributes or {}).get(agent.LLM_USAGE_SOURCE) == "provider":  # the value the constant documents
            return
        if not _emitted.first((span.context.trace_id, span.context.span_id)):
            return
        attributes: dict[str, Any] = {
            key: value
            for key, value in (span.attributes or {}).items()
            if key.startswith(_EVENT_PREFIXES) or key in _MARKERS
        }
        if held is not None:
            _merge_markers(attributes, self._redacted(*held))
        for key in CONTENT_KEYS:
            if isinstance(attributes.get(key), str):
                attributes[key] = _structured(attributes[key])
        record = _logs.LogRecord(
            timestamp=span.end_time,
            observed_timestamp=time.time_ns(),
            context=set_span_in_context(NonRecordingSpan(span.context)),
            event_name=gen_ai.GEN_AI_CLIENT_INFERENCE_OPERATION_DETAILS,
            attributes=attributes,
        )
        self._logger(span).emit(record)

    def _innermost(self, span: ReadableSpan, inference: bool) -> bool:
        """Note ``span`` for its parent; False if an inference span was seen inside it."""
        parent = span.parent
        with self._lock:
            holds = self._holds_inference.pop(span.context.span_id, False)
            if (inference or holds) and parent is not None and not parent.is_remote:
                self._holds_inference[parent.span_id] = True
                if len(self._holds_inference) > _MAX_REMEMBERED:
                    self._holds_inference.popitem(last=False)
        return not holds

    def _redacted(self, content: dict[str, Any], original: ReadableSpan) -> dict[str, Any]:
        """``content`` (taken off ``original`` before redaction) redacted and in budget like span attributes."""
        originals = getattr(original, "originals", None) or {}
        alone = PreparedSpan(
            originals={loc: size for loc, size in originals.items() if loc[:1] == ("a",) and loc[1] in content},
            extra=None,
            dropped=(0, 0, 0),
            name=gen_ai.GEN_AI_CLIENT_INFERENCE_OPERATION_DETAILS,
            context=original.context,
            attributes=content,
            resource=Resource.get_empty(),
        )
        out = self._content(alone)
        if out is None:  # even scrubbing failed: the content stays out (logged by safe_transform)
            return {}
        return dict(out.attributes or {})

    def _logger(self, span: ReadableSpan) -> _logs.Logger:
        provider = event_logger_provider()
        scope = span.instrumentation_scope
        name = scope.name if scope is not None else "otel_agent_trace"
        version = scope.version if scope is not None else None
        key = (id(provider), name, version)
        found = self._loggers.get(key)
        if found is None:
            if len(self._loggers) >= _MAX_LOGGERS:
                self._loggers.clear()
            found = self._loggers[key] = provider.get_logger(name, version)
        return found


def _merge_markers(attributes: dict[str, Any], content: dict[str, Any]) -> None:
    """Add ``content`` to ``attributes``, summing ``agent_trace.redacted`` and joining ``agent_trace.truncated``."""
    redacted = content.pop(agent.REDACTED, 0)
    truncated = content.pop(agent.TRUNCATED, ())
    attributes.update(content)
    if isinstance(redacted, int) and redacted:
        previous = attributes.get(agent.REDACTED)
        attributes[agent.REDACTED] = redacted + (previous if isinstance(previous, int) else 0)
    if truncated:
        previous = attributes.get(agent.TRUNCATED) or ()
        attributes[agent.TRUNCATED] = (*((previous,) if isinstance(previous, str) else previous), *truncated)


def _structured(text: str) -> Any:
    """A JSON attribute as the structure the event carries (``AnyValue``); the text itself if it is not JSON."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, (list, dict)) else text

"""``init()``: one call that sets up tracing for an agent."""

from __future__ import annotations

import logging
import os
import weakref
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider

from otel_agent_trace._internal._secret_rules import SecretRule
from otel_agent_trace._internal.settings import (
    ContentMode,
    Settings,
    compile_patterns,
    parse_count,
    parse_positive_int,
    parse_rule_ids,
    set_settings,
)
from otel_agent_trace._internal.tracing import set_default_tracer_provider
from otel_agent_trace.environment_variables import (
    OTEL_AGENT_TRACE_EXPORT_TIMEOUT,
    OTEL_AGENT_TRACE_EXPORTER,
    OTEL_AGENT_TRACE_MAX_QUEUE_SIZE,
    OTEL_AGENT_TRACE_SHUTDOWN_TIMEOUT,
)
from otel_agent_trace.exporters import build_exporters, parse_exporter_names, usable_store_dir
from otel_agent_trace.processor import AgentSpanProcessor
from otel_agent_trace.processor._batch import (
    DEFAULT_EXPORT_TIMEOUT_MILLIS,
    DEFAULT_SHUTDOWN_TIMEOUT_MILLIS,
    BoundedBatchSpanProcessor,
    ShutdownClock,
)

from ._instrumentors import enable_instrumentors
from ._logs import (
    AnyLoggerProvider,
    content_mode_for,
    enable_log_correlation,
    log_correlation_enabled,
    setup_logs,
)
from ._metrics import MeterProvider, setup_metrics

logger = logging.getLogger("otel_agent_trace")


def init(
    service_name: str | None = None,
    *,
    exporters: str | Iterable[str] | None = None,
    endpoint: str | None = None,
    protocol: str | None = None,
    headers: Mapping[str, str] | None = None,
    capture_content: bool | None = None,
    content_mode: str | None = None,
    log_correlation: bool | None = None,
    logger_provider: AnyLoggerProvider | None = None,
    record_replay: bool | None = None,
    openinference: bool | None = None,
    instrumentors: str | Iterable[str] | None = None,
    store_dir: str | Path | None = None,
    environment: str | None = None,
    max_attribute_bytes: int | None = None,
    max_span_bytes: int | None = None,
    redact_patterns: Iterable[str | SecretRule] | None = None,
    redact_disable: str | Iterable[str] | None = None,
    redact: bool = True,
    diagnose_buffer: int | None = None,
    max_queue_size: int | None = None,
    resource_attributes: Mapping[str, Any] | None = None,
    set_global: bool = True,
    export_timeout_millis: int | None = None,
    shutdown_timeout_millis: int | None = None,
    tracer_provider: trace.TracerProvider | None = None,
    metrics: bool | None = None,
    meter_provider: MeterProvider | None = None,
) -> TracerProvider:
    """Set up tracing: a tracer provider whose spans go through `AgentSpanProcessor` to the chosen exporters.

    Explicit arguments win over environment variables, which win over defaults.

    Args:
        service_name: ``service.name`` of the resource (else ``OTEL_SERVICE_NAME``, else ``agent``).
        exporters: ``file`` (default: the local store), ``otlp`` (protocol from ``protocol`` or
            ``OTEL_EXPORTER_OTLP_PROTOCOL``), ``otlp_grpc``, ``otlp_http``, ``console``, ``none``; a list or a
            comma-separated string (else ``OTEL_AGENT_TRACE_EXPORTER``).
        endpoint: OTLP collector address (else the ``OTEL_EXPORTER_OTLP_*ENDPOINT`` variables).
        protocol: ``grpc`` or ``http/protobuf`` for ``otlp``.
        headers: Extra OTLP headers (else ``OTEL_EXPORTER_OTLP_HEADERS``).
        capture_content: Record prompts, arguments, results, state and rationale (else
            ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``; off by default). True keeps that variable's
            mode if it captures, else ``SPAN_ONLY``.
        content_mode: ``SPAN_ONLY``, ``EVENT_ONLY``, ``SPAN_AND_EVENT`` or ``NO_CONTENT`` (any case): where content
            goes, on spans and/or on ``gen_ai.client.inference.operation.details`` log events; wins over
            ``capture_content`` (else that variable). See docs/content.md.
        log_correlation: Put the current trace and span ids on every Python ``logging`` record (``otelTraceID``,
            ``otelSpanID``...; else ``OTEL_AGENT_TRACE_LOG_CORRELATION``, on by default).
        logger_provider: A ``LoggerProvider`` of your own for the content events (nothing is added to it); else a
            global SDK one, else ours on the same exporters as the spans (``OTEL_LOGS_EXPORTER=none``: none).
        record_replay: Record what ``otel_agent_trace.rca.replay`` needs to re-run the agent offline (raw
            LLM response bodies, tool results; else ``OTEL_AGENT_TRACE_RECORD_REPLAY``; off by default). Needs
            ``capture_content``; see docs/replay.md.
        openinference: Add OpenInference attributes on export (span kinds, ``input.value``/``output.value``,
            ``session.id``/``user.id``...) so Arize Phoenix and Langfuse show steps, decisions and tools (else
            ``OTEL_AGENT_TRACE_OPENINFERENCE``; on by default); see docs/viewers.md.
        instrumentors: ``all`` (default), ``none``, or names such as ``openai,requests`` (with or without the
            ``agent_`` prefix); else ``OTEL_AGENT_TRACE_INSTRUMENTORS``. Missing libraries are skipped quietly.
        store_dir: Directory of the local store (else ``OTEL_AGENT_TRACE_STORE_DIR``, else ``.otel-agent-trace``).
        environment: Environment tag copied to every span.
        max_attribute_bytes: Per-attribute budget in UTF-8 bytes.
        max_span_bytes: Per-span budget of all attribute values.
        redact_patterns: Extra regular expressions (strings) or `SecretRule` objects to redact.
        redact_disable: Ids of built-in redaction rules to switch off, e.g. ``["jwt"]`` (else
            ``OTEL_AGENT_TRACE_REDACT_DISABLE``); docs/redaction.md lists them.
        redact: Set False to turn redaction off.
        diagnose_buffer: Spans kept in memory for ``otel_agent_trace.diagnose()`` (else
            ``OTEL_AGENT_TRACE_DIAGNOSE_BUFFER``, else 1000); 0 turns the buffer off. See docs/diagnose.md.
        max_queue_size: Spans held while the backend is slow or down (default 2048); beyond it they are dropped.
        resource_attributes: Extra resource attributes.
        set_global: Also make the provider OTel's global one (only possible once per process). With True (the
            default) and an SDK ``TracerProvider`` already global, ``init()`` adds our processor to that one instead
            of building a second; with False and no ``tracer_provider``, it builds a private one.
        export_timeout_millis: Longest one OTLP export may take (else ``OTEL_AGENT_TRACE_EXPORT_TIMEOUT``, else
            the standard ``OTEL_EXPORTER_OTLP_(TRACES_)TIMEOUT``, else 5000); a batch that takes longer is dropped
            and counted as ``export_failed``.
        shutdown_timeout_millis: Longest ``shutdown()``/``force_flush()`` hold the process, all exporters
            together (else ``OTEL_AGENT_TRACE_SHUTDOWN_TIMEOUT``, else 4000); what is left is counted as
            ``shutdown_timeout`` drops.
        tracer_provider: An SDK ``TracerProvider`` of your own: our processor (first, before yours) and our
            exporters are added to it, and its resource is kept (``service_name`` and ``resource_attributes`` are
            then not applied). A provider that is not the SDK's is warned about, and ours is built.
            docs/setup.md has the table of every combination.
        metrics: Set False to record no GenAI metrics (also ``OTEL_METRICS_EXPORTER=none``); else token usage and
            operation, agent and tool durations go to the same exporters as the spans (docs/metrics.md).
        meter_provider: A ``MeterProvider`` of your own to record the metrics into (nothing is added to it); else
            the global one if it is an SDK ``MeterProvider``, else one ``init()`` builds.

    A ``file`` store directory that cannot be written is reported with a WARNING at ``init()``, and spans go to a
    per-user temporary directory instead (see docs/reliability.md).

    A second call for a provider that already has our processor adds nothing to it and returns it (the first
    call's configuration stays; instrumentors it names are still enabled).

    Returns:
        The configured ``TracerProvider``; call ``shutdown()`` on it to flush at exit (also done at exit).

    Raises:
        ConfigurationError: a setting has a value that cannot be used; the message names it.
    """
    env = Settings.from_env(strict=content_mode is None)
    user_rules = list(redact_patterns or ())
    mode = content_mode_for(content_mode, capture_content, env)
    correlate = log_correlation_enabled(log_correlation)
    settings = Settings(
        capture_content=mode is not ContentMode.NO_CONTENT,
        content_mode=mode,
        max_attribute_bytes=parse_positive_int("max_attribute_bytes", max_attribute_bytes, env.max_attribute_bytes),
        max_span_bytes=parse_positive_int("max_span_bytes", max_span_bytes, env.max_span_bytes),
        diagnose_buffer=parse_count("diagnose_buffer", diagnose_buffer, env.diagnose_buffer),
        redact_patterns=env.redact_patterns
        + compile_patterns("redact_patterns", [p for p in user_rules if not isinstance(p, SecretRule)]),
        redact_rules=tuple(p for p in user_rules if isinstance(p, SecretRule)),
        redact_disable=(
            env.redact_disable if redact_disable is None else parse_rule_ids("redact_disable", redact_disable)
        ),
        environment=environment or env.environment,
        record_replay=env.record_replay if record_replay is None else bool(record_replay),
        openinference=env.openinference if openinference is None else bool(openinference),
    )
    if settings.record_replay:
        from otel_agent_trace.instrumentation.httpx._record import enable_recording

        enable_recording(settings.capture_content)
    names = parse_exporter_names(exporters if exporters is not None else os.environ.get(OTEL_AGENT_TRACE_EXPORTER))
    queue = parse_positive_int(
        OTEL_AGENT_TRACE_MAX_QUEUE_SIZE, max_queue_size or os.environ.get(OTEL_AGENT_TRACE_MAX_QUEUE_SIZE), 2048
    )
    shutdown_ms = parse_positive_int(
        OTEL_AGENT_TRACE_SHUTDOWN_TIMEOUT,
        shutdown_timeout_millis or os.environ.get(OTEL_AGENT_TRACE_SHUTDOWN_TIMEOUT),
        DEFAULT_SHUTDOWN_TIMEOUT_MILLIS,
    )
    export_ms = export_timeout_millis or os.environ.get(OTEL_AGENT_TRACE_EXPORT_TIMEOUT)
    standard_timeout = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_TIMEOUT"
    )
    timeout_s = (
        None
        if export_ms is None and standard_timeout
        else parse_positive_int(OTEL_AGENT_TRACE_EXPORT_TIMEOUT, export_ms, DEFAULT_EXPORT_TIMEOUT_MILLIS) / 1000.0
    )
    attached = _existing_provider(tracer_provider, set_global)
    if attached is not None and attached in _configured:
        _note_repeated_call(bool(exporters or endpoint or capture_content is not None or service_name))
        enable_instrumentors(instrumentors, tracer_provider=attached)
        return attached
    if "file" in names:
        store_dir = usable_store_dir(store_dir)
    built = build_exporters(
        names, endpoint=endpoint, protocol=protocol, headers=headers, store_dir=store_dir, timeout=timeout_s
    )
    if attached is not None:
        provider = attached
        if service_name or resource_attributes:
            logger.info("init(): the given TracerProvider keeps its resource; service_name/resource_attributes unused")
    else:
        attrs: dict[str, Any] = dict(resource_attributes or {})
        if service_name:
            attrs["service.name"] = service_name
        elif not os.environ.get("OTEL_SERVICE_NAME"):
            attrs.setdefault("service.name", "agent")
        if settings.environment:
            attrs.setdefault("deployment.environment.name", settings.environment)
        provider = TracerProvider(resource=Resource.create(attrs))
    clock = ShutdownClock(shutdown_ms)  # one deadline for all exporters together
    processors: list[SpanProcessor] = []
    for exporter in built:
        ours = AgentSpanProcessor(exporter=exporter, settings=settings, redact=redact, max_queue_size=queue)
        if isinstance(ours.delegate, BoundedBatchSpanProcessor):
            ours.delegate.configure_shutdown(shutdown_ms, clock)
        processors.append(ours)
    if attached is not None and not processors:
        # exporters="none" on a provider of the user's: our processor still enriches in on_start what theirs export.
        only_enrich = AgentSpanProcessor(SpanProcessor(), settings=settings, redact=redact)
        only_enrich.transform_inline = False  # nothing of ours exports: no export-form copy to make
        processors.append(only_enrich)
    if attached is not None:
        _add_first(provider, processors)
    else:
        for processor in processors:
            provider.add_span_processor(processor)
    recorder = setup_metrics(
        names,
        enabled=metrics,
        meter_provider=meter_provider,
        resource=provider.resource,
        set_global=set_global,
        endpoint=endpoint,
        protocol=protocol,
        headers=headers,
        store_dir=store_dir,
        timeout=timeout_s,
        shutdown_millis=shutdown_ms,
        clock=clock,
    )
    if recorder is not None:
        provider.add_span_processor(recorder)
    _configured.add(provider)
    if set_global and tracer_provider is None:
        _beside_global[0] = provider
    set_settings(settings)
    set_default_tracer_provider(provider)
    logs = setup_logs(
        names,
        resource=provider.resource,
        settings=settings,
        clock=clock,
        endpoint=endpoint,
        protocol=protocol,
        headers=headers,
        store_dir=store_dir,
        timeout=timeout_s,
        redact=redact,
        set_global=set_global,
        logger_provider=logger_provider,
    )
    if logs is not None:
        provider.add_span_processor(logs)
    if correlate:
        enable_log_correlation(str(provider.resource.attributes.get("service.name", "")))
    if set_global and isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        trace.set_tracer_provider(provider)
    enable_instrumentors(instrumentors, tracer_provider=provider)
    return provider


_configured: weakref.WeakSet[TracerProvider] = weakref.WeakSet()
"""Providers ``init()`` already put our processors on (a second call adds none)."""
_beside_global: list[TracerProvider | None] = [None]
"""The provider a ``set_global`` call built because the global one is not the SDK's (a second call reuses it)."""
_warned: set[str] = set()


def _warn_once(key: str, message: str, *args: object) -> None:
    if key not in _warned:
        _warned.add(key)
        logger.warning(message, *args)


def _existing_provider(given: trace.TracerProvider | None, set_global: bool) -> TracerProvider | None:
    """The SDK provider to add our processor to: the one given, else the global one (with ``set_global``)."""
    if given is not None:
        if isinstance(given, TracerProvider):
            return given
        _warn_once(
            "given",
            "init(tracer_provider=%s): not an OpenTelemetry SDK TracerProvider, so our processor cannot be added to "
            "it; otel-agent-trace builds its own provider (its spans do not reach that one's exporters)",
            type(given).__name__,
        )
        return None
    if not set_global:
        return None
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    if not isinstance(current, trace.ProxyTracerProvider):
        if _beside_global[0] is not None:
            return _beside_global[0]
        _warn_once(
            "global",
            "the global TracerProvider (%s) is not an OpenTelemetry SDK TracerProvider, so our processor cannot be "
            "added to it; otel-agent-trace builds its own provider, which cannot be made global (our "
            "instrumentors and the manual API use it; other instrumentations keep the global one)",
            type(current).__name__,
        )
    return None


def _add_first(provider: TracerProvider, processors: list[SpanProcessor]) -> None:
    """Put ``processors`` before the provider's own, so what ours sets in ``on_start`` is seen by theirs.

    The SDK has no public way to insert first: its multi-processor keeps a tuple under a lock, which this replaces
    under that lock. Should that layout change, ours are appended (and a WARNING says the order is not ours).
    """
    multi = getattr(provider, "_active_span_processor", None)
    lock = getattr(multi, "_lock", None)
    if multi is not None and lock is not None and isinstance(getattr(multi, "_span_processors", None), tuple):
        with lock:
            multi._span_processors = (*processors, *multi._span_processors)
        return
    _warn_once("order", "could not put our span processor first on the TracerProvider; it runs after yours")
    for processor in processors:
        provider.add_span_processor(processor)


def _note_repeated_call(has_arguments: bool) -> None:
    message = "init() was already called for this TracerProvider: nothing is added, the first call's setup stays"
    if has_arguments:
        logger.warning(message)
    else:
        logger.debug(message)

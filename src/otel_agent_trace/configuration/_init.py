"""``init()``: one call that sets up tracing for an agent."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from otel_agent_trace._internal._secret_rules import SecretRule
from otel_agent_trace._internal.settings import (
    Settings,
    compile_patterns,
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

logger = logging.getLogger("otel_agent_trace")


def init(
    service_name: str | None = None,
    *,
    exporters: str | Iterable[str] | None = None,
    endpoint: str | None = None,
    protocol: str | None = None,
    headers: Mapping[str, str] | None = None,
    capture_content: bool | None = None,
    instrumentors: str | Iterable[str] | None = None,
    store_dir: str | Path | None = None,
    environment: str | None = None,
    max_attribute_bytes: int | None = None,
    max_span_bytes: int | None = None,
    redact_patterns: Iterable[str | SecretRule] | None = None,
    redact_disable: str | Iterable[str] | None = None,
    redact: bool = True,
    max_queue_size: int | None = None,
    resource_attributes: Mapping[str, Any] | None = None,
    set_global: bool = True,
    export_timeout_millis: int | None = None,
    shutdown_timeout_millis: int | None = None,
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
            ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``; off by default).
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
        max_queue_size: Spans held while the backend is slow or down (default 2048); beyond it they are dropped.
        resource_attributes: Extra resource attributes.
        set_global: Also make the provider OTel's global one (only possible once per process).
        export_timeout_millis: Longest one OTLP export may take (else ``OTEL_AGENT_TRACE_EXPORT_TIMEOUT``, else
            the standard ``OTEL_EXPORTER_OTLP_(TRACES_)TIMEOUT``, else 5000); a batch that takes longer is dropped
            and counted as ``export_failed``.
        shutdown_timeout_millis: Longest ``shutdown()``/``force_flush()`` hold the process, all exporters
            together (else ``OTEL_AGENT_TRACE_SHUTDOWN_TIMEOUT``, else 4000); what is left is counted as
            ``shutdown_timeout`` drops.

    A ``file`` store directory that cannot be written is reported with a WARNING at ``init()``, and spans go to a
    per-user temporary directory instead (see docs/reliability.md).

    Returns:
        The configured ``TracerProvider``; call ``shutdown()`` on it to flush at exit (also done at exit).

    Raises:
        ConfigurationError: a setting has a value that cannot be used; the message names it.
    """
    env = Settings.from_env()
    user_rules = list(redact_patterns or ())
    settings = Settings(
        capture_content=env.capture_content if capture_content is None else bool(capture_content),
        max_attribute_bytes=parse_positive_int("max_attribute_bytes", max_attribute_bytes, env.max_attribute_bytes),
        max_span_bytes=parse_positive_int("max_span_bytes", max_span_bytes, env.max_span_bytes),
        redact_patterns=env.redact_patterns
        + compile_patterns("redact_patterns", [p for p in user_rules if not isinstance(p, SecretRule)]),
        redact_rules=tuple(p for p in user_rules if isinstance(p, SecretRule)),
        redact_disable=(
            env.redact_disable if redact_disable is None else parse_rule_ids("redact_disable", redact_disable)
        ),
        environment=environment or env.environment,
    )
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
    if "file" in names:
        store_dir = usable_store_dir(store_dir)
    built = build_exporters(
        names, endpoint=endpoint, protocol=protocol, headers=headers, store_dir=store_dir, timeout=timeout_s
    )
    attrs: dict[str, Any] = dict(resource_attributes or {})
    if service_name:
        attrs["service.name"] = service_name
    elif not os.environ.get("OTEL_SERVICE_NAME"):
        attrs.setdefault("service.name", "agent")
    if settings.environment:
        attrs.setdefault("deployment.environment.name", settings.environment)
    provider = TracerProvider(resource=Resource.create(attrs))
    clock = ShutdownClock(shutdown_ms)  # one deadline for all exporters together
    for exporter in built:
        processor = AgentSpanProcessor(exporter=exporter, settings=settings, redact=redact, max_queue_size=queue)
        if isinstance(processor.delegate, BoundedBatchSpanProcessor):
            processor.delegate.configure_shutdown(shutdown_ms, clock)
        provider.add_span_processor(processor)
    set_settings(settings)
    set_default_tracer_provider(provider)
    if set_global:
        trace.set_tracer_provider(provider)
    enable_instrumentors(instrumentors, tracer_provider=provider)
    return provider

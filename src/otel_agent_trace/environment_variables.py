"""Environment variables read by otel-agent-trace (explicit arguments to ``init()`` win over them)."""

from __future__ import annotations

from typing import Final

OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: Final = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
"""Standard OTel switch: ``SPAN_ONLY``, ``EVENT_ONLY``, ``SPAN_AND_EVENT`` or ``NO_CONTENT`` (default; legacy ``true``
is ``SPAN_ONLY``, ``false`` ``NO_CONTENT``): whether prompts, tool arguments/results, state and rationale are recorded,
and whether inference content goes on spans, on ``gen_ai.client.inference.operation.details`` log events, or both
(docs/content.md)."""
OTEL_AGENT_TRACE_EXPORTER: Final = "OTEL_AGENT_TRACE_EXPORTER"
"""Comma-separated exporters: ``file`` (default), ``otlp``, ``otlp_grpc``, ``otlp_http``, ``console``, ``none``."""
OTEL_AGENT_TRACE_STORE_DIR: Final = "OTEL_AGENT_TRACE_STORE_DIR"
"""Directory of the local trace store (default ``./.otel-agent-trace``)."""
OTEL_AGENT_TRACE_MAX_ATTRIBUTE_BYTES: Final = "OTEL_AGENT_TRACE_MAX_ATTRIBUTE_BYTES"
"""Largest string attribute kept whole, in UTF-8 bytes (default 16384)."""
OTEL_AGENT_TRACE_MAX_SPAN_BYTES: Final = "OTEL_AGENT_TRACE_MAX_SPAN_BYTES"
"""Budget of all attribute values of one span, in UTF-8 bytes (default 262144)."""
OTEL_AGENT_TRACE_REDACT_PATTERNS: Final = "OTEL_AGENT_TRACE_REDACT_PATTERNS"
"""Extra regular expressions whose matches are redacted, separated by ``;;``."""
OTEL_AGENT_TRACE_REDACT_DISABLE: Final = "OTEL_AGENT_TRACE_REDACT_DISABLE"
"""Comma-separated ids of built-in redaction rules to switch off (``jwt,url-userinfo``; see docs/redaction.md)."""
OTEL_AGENT_TRACE_INSTRUMENTORS: Final = "OTEL_AGENT_TRACE_INSTRUMENTORS"
"""Which of our instrumentors ``init()`` and ``opentelemetry-instrument`` enable: ``all`` (default), ``none`` or a
comma-separated list (``openai,httpx``, with or without ``agent_``); ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS`` also
applies, with or without the prefix."""
OTEL_AGENT_TRACE_ENVIRONMENT: Final = "OTEL_AGENT_TRACE_ENVIRONMENT"
"""Environment tag copied onto every span."""
OTEL_AGENT_TRACE_MAX_QUEUE_SIZE: Final = "OTEL_AGENT_TRACE_MAX_QUEUE_SIZE"
"""Spans held in memory while the backend is slow or down; older ones are dropped beyond it (default 2048)."""
OTEL_AGENT_TRACE_EXPORT_TIMEOUT: Final = "OTEL_AGENT_TRACE_EXPORT_TIMEOUT"
"""Longest one export to the collector may take, in milliseconds (default 5000); passed to the OTLP exporters."""
OTEL_AGENT_TRACE_SHUTDOWN_TIMEOUT: Final = "OTEL_AGENT_TRACE_SHUTDOWN_TIMEOUT"
"""Longest ``shutdown()``/``force_flush()`` hold the process, in milliseconds, all exporters together (default 4000)."""
OTEL_AGENT_TRACE_PEER_POLICY: Final = "OTEL_AGENT_TRACE_PEER_POLICY"
"""Which span an LLM call keeps when another GenAI instrumentor (OpenInference, OpenLLMetry, openai-v2) also traces
the library: ``ours`` (default), ``theirs`` (ours step aside) or ``both`` (nested spans, tokens counted twice)."""
OTEL_AGENT_TRACE_COST: Final = "OTEL_AGENT_TRACE_COST"
"""``true`` (default): LLM spans get their cost from the ``genai-prices`` package, ``invoke_agent`` and root spans the
total cost and tokens of the LLM calls below them (docs/cost.md); ``false`` records no cost (token totals stay)."""
OTEL_AGENT_TRACE_RECORD_REPLAY: Final = "OTEL_AGENT_TRACE_RECORD_REPLAY"
"""``true`` records what ``rca.replay`` needs to re-run the agent offline (needs content capture; docs/replay.md)."""
OTEL_AGENT_TRACE_DIAGNOSE_BUFFER: Final = "OTEL_AGENT_TRACE_DIAGNOSE_BUFFER"
"""Spans each span processor keeps in memory for ``otel_agent_trace.diagnose()`` (default 1000; 0 turns it off)."""
OTEL_AGENT_TRACE_OPENINFERENCE: Final = "OTEL_AGENT_TRACE_OPENINFERENCE"
"""``true`` (default) adds OpenInference attributes on export so Phoenix and Langfuse show steps, decisions and tools
with their I/O and group sessions and users (docs/viewers.md#arize-phoenix); ``false`` leaves them out."""
OTEL_AGENT_TRACE_LOG_CORRELATION: Final = "OTEL_AGENT_TRACE_LOG_CORRELATION"
"""``true`` (default): Python ``logging`` records get ``otelTraceID``, ``otelSpanID``, ``otelTraceSampled`` and
``otelServiceName`` from the current span (docs/content.md#log-correlation); ``false`` leaves logging alone."""

"""A `SpanExporter` wrapper that transforms every batch on the export thread before the real exporter sees it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from otel_agent_trace._internal.drops import EXPORT_FAILED
from otel_agent_trace._internal.errors import handle_internal_errors

from ._transform import SpanTransformer


class TransformingExporter(SpanExporter):
    """Redacts and budgets each span of a batch (`SpanTransformer`), then calls ``exporter`` with the result.

    Runs wherever ``export`` is called: on the batch processor's worker thread, not on the application's.
    """

    def __init__(self, exporter: SpanExporter, transformer: SpanTransformer) -> None:
        self.exporter = exporter
        self.transformer = transformer
        self.withheld = 0
        """Spans of the last batch that were dropped (and counted as ``over_budget``) instead of exported."""

    @property
    def drop_reason(self) -> str:
        """The drop reason of the wrapped exporter (read by the batch processor when an export fails)."""
        return str(getattr(self.exporter, "drop_reason", EXPORT_FAILED))

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Transform ``spans`` (a span that cannot be made safe is dropped and counted), then export them."""
        out = []
        for span in spans:
            safe = self.transformer.export_form(span)
            if safe is not None:
                out.append(safe)
        self.withheld = len(spans) - len(out)
        if not out:
            return SpanExportResult.SUCCESS
        return self.exporter.export(out)

    def shutdown(self) -> None:
        """Shut the wrapped exporter down."""
        self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Flush the wrapped exporter."""
        result = False
        with handle_internal_errors("TransformingExporter.force_flush"):
            result = self.exporter.force_flush(timeout_millis)
        return result

    def __getattr__(self, name: str) -> Any:
        # Anything else (a store's path, an OTLP exporter's endpoint...) is the wrapped exporter's.
        if name in ("exporter", "transformer", "withheld"):
            raise AttributeError(name)
        return getattr(self.exporter, name)

"""The local store's metrics: OTLP-JSON lines beside the traces, in ``<store>/metrics-YYYY-MM-DD.ndjson``.

Same line format and the same atomic, rolled-back append as the traces (`append_line`): each export is one
``ExportMetricsServiceRequest`` as OTLP-JSON on one line, the JSON the OpenTelemetry Collector's ``file`` exporter
writes. The suffix is ``.ndjson`` (JSON lines too) so that the trace readers, which load every ``*.json``/``*.jsonl``
file of a store, do not take metric lines for broken trace lines.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from google.protobuf.json_format import MessageToDict
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult, MetricsData

from otel_agent_trace._internal.context import suppress_instrumentation
from otel_agent_trace._internal.errors import log_internal_error

from .file_store import StoreFiles, default_store_dir
from .otlp_json import _hex_ids

METRICS_FILE_PREFIX = "metrics-"
METRICS_FILE_SUFFIX = ".ndjson"


def metrics_to_otlp_json(data: MetricsData) -> dict[str, Any]:
    """One ``ExportMetricsServiceRequest`` as OTLP-JSON (camelCase keys, hex exemplar ids, 64-bit ints as strings)."""
    document: dict[str, Any] = MessageToDict(encode_metrics(data))
    _hex_ids(document)
    return document


class FileMetricExporter(MetricExporter):
    """Appends each collection as one OTLP-JSON line to ``<directory>/metrics-YYYY-MM-DD.ndjson``.

    Cumulative temporality (the SDK default), so the last line of a process holds its totals. A file that reaches
    ``max_file_bytes`` is rotated to ``metrics-YYYY-MM-DD.N.ndjson``. A collection that cannot be written is
    reported as FAILURE and logged once per outage; the next one is tried again.
    """

    def __init__(self, directory: str | Path | None = None, *, max_file_bytes: int = 64 * 1024 * 1024) -> None:
        super().__init__()
        self.directory = Path(directory) if directory is not None else default_store_dir()
        self.max_file_bytes = max_file_bytes
        self._files = StoreFiles(
            self.directory,
            METRICS_FILE_PREFIX,
            METRICS_FILE_SUFFIX,
            max_file_bytes=max_file_bytes,
            lost="otel-agent-trace: cannot write metrics to the store %s (%s); they are lost until it is writable",
        )
        self._shutdown = False

    def path(self) -> Path:
        """The file the next line goes to."""
        return self._files.path()

    def export(self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any) -> MetricExportResult:
        """Write one collection as one line; never raises."""
        if self._shutdown:
            return MetricExportResult.FAILURE
        try:
            with suppress_instrumentation():
                document = metrics_to_otlp_json(metrics_data)
            if not document.get("resourceMetrics"):
                return MetricExportResult.SUCCESS
            data = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
        except Exception:  # noqa: BLE001 - an exporter reports failure, it never raises
            log_internal_error("FileMetricExporter.export")
            return MetricExportResult.FAILURE
        if not self._files.append(data):
            return MetricExportResult.FAILURE
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        """Every line is written synchronously by `export`."""
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        """Stop accepting collections."""
        self._shutdown = True

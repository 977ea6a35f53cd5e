"""Log record exporters on the same choice as the span exporters: the file store, OTLP (gRPC/HTTP), console.

The file store writes OTLP-JSON lines to ``<store>/logs-YYYY-MM-DD.ndjson`` beside the ``traces-*.jsonl`` files,
with the trace store's writer (`append_line`: one ``os.write`` under an exclusive ``flock``, rolled back on a
partial write), so the log lines are as safe as the span lines. The suffix is ``.ndjson`` (JSON lines too, as for
the metrics) so that the trace readers, which load every ``*.json``/``*.jsonl`` file of a store, skip them. They
hold the ``gen_ai.client.inference.operation.details`` events of the content modes (docs/content.md) and whatever
else reaches the ``LoggerProvider``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from google.protobuf.json_format import MessageToDict
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk._logs.export import ConsoleLogRecordExporter, LogRecordExporter, LogRecordExportResult

from otel_agent_trace._internal.context import suppress_instrumentation
from otel_agent_trace._internal.errors import log_internal_error

from ._otlp import build_signal_exporters
from .file_store import StoreFiles, default_store_dir
from .otlp_json import _hex_ids

LOGS_FILE_PREFIX = "logs-"
LOGS_FILE_SUFFIX = ".ndjson"
"""Log files of the store are ``logs-YYYY-MM-DD[.N].ndjson``."""


def logs_to_otlp_json(batch: Sequence[ReadableLogRecord]) -> dict[str, Any]:
    """One ``ExportLogsServiceRequest`` as OTLP-JSON: camelCase keys, hex ids, 64-bit integers as strings."""
    document: dict[str, Any] = MessageToDict(encode_logs(batch))
    _hex_ids(document)
    return document


class FileLogExporter(LogRecordExporter):
    """Appends each batch of log records as one OTLP-JSON line to ``<directory>/logs-YYYY-MM-DD.ndjson``.

    Rotated like the trace files (``logs-YYYY-MM-DD.N.ndjson`` past ``max_file_bytes``). A batch that cannot be
    written is reported as FAILURE and logged once per outage; the next batch is tried again.
    """

    def __init__(self, directory: str | Path | None = None, *, max_file_bytes: int = 64 * 1024 * 1024) -> None:
        self.directory = Path(directory) if directory is not None else default_store_dir()
        self.max_file_bytes = max_file_bytes
        self._files = StoreFiles(
            self.directory,
            LOGS_FILE_PREFIX,
            LOGS_FILE_SUFFIX,
            max_file_bytes=max_file_bytes,
            lost="otel-agent-trace: cannot write log records to the store %s (%s); they are dropped until it is "
            "writable again",
        )
        self._shutdown = False

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        """Write one batch as one line; never raises."""
        if self._shutdown:
            return LogRecordExportResult.FAILURE
        if not batch:
            return LogRecordExportResult.SUCCESS
        try:
            with suppress_instrumentation():
                line = json.dumps(logs_to_otlp_json(batch), ensure_ascii=False, separators=(",", ":"))
            data = line.encode("utf-8") + b"\n"
        except Exception:  # noqa: BLE001 - an exporter reports failure, it never raises
            log_internal_error("FileLogExporter.export")
            return LogRecordExportResult.FAILURE
        if not self._files.append(data):
            return LogRecordExportResult.FAILURE
        return LogRecordExportResult.SUCCESS

    def shutdown(self) -> None:
        """Stop accepting batches."""
        self._shutdown = True

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Every batch is written synchronously by `export`: nothing to flush."""
        return True


def build_log_exporters(
    names: Iterable[str],
    *,
    endpoint: str | None = None,
    protocol: str | None = None,
    headers: Mapping[str, str] | None = None,
    store_dir: str | Path | None = None,
    timeout: float | None = None,
) -> list[LogRecordExporter]:
    """The log exporters matching the span exporter names (``build_exporters``' names, already validated).

    OTLP ones go to ``endpoint`` + ``/v1/logs`` (HTTP) or ``endpoint`` (gRPC), else read the standard
    ``OTEL_EXPORTER_OTLP_(LOGS_)ENDPOINT`` variables themselves.
    """
    return build_signal_exporters(
        "logs",
        names,
        file=FileLogExporter,
        console=ConsoleLogRecordExporter,
        endpoint=endpoint,
        protocol=protocol,
        headers=headers,
        store_dir=store_dir,
        timeout=timeout,
    )

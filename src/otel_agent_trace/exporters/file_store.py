"""The embedded default backend: OTLP-JSON lines on local disk, no server needed."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from otel_agent_trace._internal.context import suppress_instrumentation
from otel_agent_trace._internal.errors import log_internal_error
from otel_agent_trace.environment_variables import OTEL_AGENT_TRACE_STORE_DIR

from .otlp_json import spans_to_otlp_json

DEFAULT_STORE_DIR = ".otel-agent-trace"


def default_store_dir() -> Path:
    """``$OTEL_AGENT_TRACE_STORE_DIR``, else ``./.otel-agent-trace``."""
    return Path(os.environ.get(OTEL_AGENT_TRACE_STORE_DIR) or DEFAULT_STORE_DIR)


class FileSpanExporter(SpanExporter):
    """Appends each batch as one OTLP-JSON line to ``<directory>/traces-YYYY-MM-DD.jsonl``.

    The lines are the JSON the OpenTelemetry Collector's ``file`` exporter writes, so the files can be read by
    ``otel-agent-trace show``/``rca``, replayed into a collector, or loaded by other OTLP-JSON tools. A file that
    reaches ``max_file_bytes`` is rotated to ``traces-YYYY-MM-DD.N.jsonl``.
    """

    def __init__(self, directory: str | Path | None = None, *, max_file_bytes: int = 64 * 1024 * 1024) -> None:
        self.directory = Path(directory) if directory is not None else default_store_dir()
        self.max_file_bytes = max_file_bytes
        self._lock = threading.Lock()
        self._shutdown = False

    def _path(self) -> Path:
        day = time.strftime("%Y-%m-%d", time.gmtime())
        path = self.directory / f"traces-{day}.jsonl"
        index = 0
        while path.exists() and path.stat().st_size >= self.max_file_bytes:
            index += 1
            path = self.directory / f"traces-{day}.{index}.jsonl"
        return path

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Write one batch; never raises (a failure is logged and reported as FAILURE)."""
        if self._shutdown:
            return SpanExportResult.FAILURE
        if not spans:
            return SpanExportResult.SUCCESS
        try:
            with suppress_instrumentation():
                line = json.dumps(spans_to_otlp_json(spans), ensure_ascii=False, separators=(",", ":"))
                with self._lock:
                    self.directory.mkdir(parents=True, exist_ok=True)
                    with self._path().open("a", encoding="utf-8") as handle:
                        handle.write(line + "\n")
        except Exception:  # noqa: BLE001 - an exporter reports failure, it never raises
            log_internal_error("FileSpanExporter.export")
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        """Stop accepting batches."""
        self._shutdown = True

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Every batch is written synchronously by `export`, so there is nothing to flush."""
        return True

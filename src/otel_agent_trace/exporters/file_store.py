"""The embedded default backend: OTLP-JSON lines on local disk, no server needed.

Each batch becomes one line, written with one ``os.write`` on an ``O_APPEND`` descriptor while holding an
exclusive ``flock`` on the file (so concurrent writer processes never interleave and a rollback never cuts another
writer's line). A write that fails part-way (full disk, I/O error) is rolled back by truncating the file to its size
before the write; if even that fails, the next write starts with a newline so the torn bytes stay on a line of their
own, which readers skip. See docs/reliability.md.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from otel_agent_trace._internal.context import suppress_instrumentation
from otel_agent_trace._internal.drops import STORE_UNWRITABLE
from otel_agent_trace._internal.errors import log_internal_error
from otel_agent_trace.environment_variables import OTEL_AGENT_TRACE_STORE_DIR

from .otlp_json import spans_to_otlp_json

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: O_APPEND alone keeps whole-line writes atomic enough
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger("otel_agent_trace")

DEFAULT_STORE_DIR = ".otel-agent-trace"


def default_store_dir() -> Path:
    """``$OTEL_AGENT_TRACE_STORE_DIR``, else ``./.otel-agent-trace``."""
    return Path(os.environ.get(OTEL_AGENT_TRACE_STORE_DIR) or DEFAULT_STORE_DIR)


def fallback_store_dir() -> Path:
    """Where ``init()`` writes when the configured store directory is not writable: a per-user temp directory."""
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    return Path(tempfile.gettempdir()) / f"otel-agent-trace-{uid}"


def check_store_dir(directory: str | Path) -> str | None:
    """``None`` if spans can be written to ``directory`` (created if missing), else what is wrong, in words."""
    path = Path(directory)
    if path.exists() and not path.is_dir():
        return f"{path} is not a directory"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot create {path}: {exc.strerror or exc}"
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-check-", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return f"cannot write in {path}: {exc.strerror or exc}"
    return None


def usable_store_dir(directory: str | Path | None) -> Path:
    """The store directory to use: ``directory`` (else the default) if writable, else `fallback_store_dir`.

    Logs a WARNING naming the problem and the directory used instead. If the fallback is not writable either, the
    configured directory is kept: its batches then fail and are counted as ``store_unwritable`` drops.
    """
    wanted = Path(directory) if directory is not None else default_store_dir()
    problem = check_store_dir(wanted)
    if problem is None:
        return wanted
    fallback = fallback_store_dir()
    if check_store_dir(fallback) is None:
        logger.warning(
            "otel-agent-trace: trace store %s is not writable (%s); writing to %s instead "
            "(read it with: otel-agent-trace show --source %s)",
            wanted,
            problem,
            fallback,
            fallback,
        )
        return fallback
    logger.warning(
        "otel-agent-trace: trace store %s is not writable (%s), nor is %s; spans will be dropped and counted as "
        "store_unwritable (see otel-agent-trace doctor)",
        wanted,
        problem,
        fallback,
    )
    return wanted


class StoreFiles:
    """One kind of file of a store, appended whole lines at a time (`append_line`) under a lock.

    Files are ``<prefix>YYYY-MM-DD<suffix>``, rotated to ``<prefix>YYYY-MM-DD.N<suffix>`` past ``max_file_bytes``.

    A write that fails is logged once per outage (``lost``: a %-format with the directory and the OS error) and
    reported as False; the next write is tried again, and the end of the outage is logged when ``recovered`` (a
    %-format with the directory) is given. The trace, metrics and log exporters of the store each hold one.
    """

    def __init__(
        self,
        directory: Path,
        prefix: str,
        suffix: str,
        *,
        max_file_bytes: int,
        lost: str,
        recovered: str | None = None,
    ) -> None:
        self.directory = directory
        self.prefix = prefix
        self.suffix = suffix
        self.max_file_bytes = max_file_bytes
        self.lost = lost
        self.recovered = recovered
        self._lock = threading.Lock()
        self._failing = False

    def path(self) -> Path:
        """The file the next line goes to."""
        day = time.strftime("%Y-%m-%d", time.gmtime())
        path = self.directory / f"{self.prefix}{day}{self.suffix}"
        index = 0
        while path.exists() and path.stat().st_size >= self.max_file_bytes:
            index += 1
            path = self.directory / f"{self.prefix}{day}.{index}{self.suffix}"
        return path

    def append(self, data: bytes) -> bool:
        """Append ``data`` (whole lines) to the current file; False (logged once per outage) if it cannot be."""
        try:
            with self._lock:
                self.directory.mkdir(parents=True, exist_ok=True)
                append_line(self.path(), data)
        except OSError as exc:
            if not self._failing:
                self._failing = True
                logger.warning(self.lost, self.directory, exc.strerror or exc)
            return False
        if self._failing:
            self._failing = False
            if self.recovered is not None:
                logger.warning(self.recovered, self.directory)
        return True


class FileSpanExporter(SpanExporter):
    """Appends each batch as one OTLP-JSON line to ``<directory>/traces-YYYY-MM-DD.jsonl``.

    The lines are the JSON the OpenTelemetry Collector's ``file`` exporter writes, so the files can be read by
    ``otel-agent-trace show``/``rca``, replayed into a collector, or loaded by other OTLP-JSON tools. A file that
    reaches ``max_file_bytes`` is rotated to ``traces-YYYY-MM-DD.N.jsonl``.

    A batch that cannot be written (read-only or missing directory, full disk) is reported as FAILURE, which
    `BoundedBatchSpanProcessor` counts as ``store_unwritable`` drops (`drop_reason`); the next batch is tried
    again, so writing resumes by itself when space returns.
    """

    drop_reason = STORE_UNWRITABLE
    """What `BoundedBatchSpanProcessor` counts a failed batch as."""

    def __init__(self, directory: str | Path | None = None, *, max_file_bytes: int = 64 * 1024 * 1024) -> None:
        self.directory = Path(directory) if directory is not None else default_store_dir()
        self.max_file_bytes = max_file_bytes
        self._files = StoreFiles(
            self.directory,
            "traces-",
            ".jsonl",
            max_file_bytes=max_file_bytes,
            lost="otel-agent-trace: cannot write to the trace store %s (%s); spans are dropped and counted "
            "as store_unwritable until it is writable again",
            recovered="otel-agent-trace: the trace store %s is writable again",
        )
        self._shutdown = False

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Write one batch as one line; never raises (a failure is logged once per outage and reported)."""
        if self._shutdown:
            return SpanExportResult.FAILURE
        if not spans:
            return SpanExportResult.SUCCESS
        try:
            with suppress_instrumentation():
                line = json.dumps(spans_to_otlp_json(spans), ensure_ascii=False, separators=(",", ":"))
            data = line.encode("utf-8") + b"\n"
        except Exception:  # noqa: BLE001 - an exporter reports failure, it never raises
            log_internal_error("FileSpanExporter.export")
            return SpanExportResult.FAILURE
        if not self._files.append(data):
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        """Stop accepting batches."""
        self._shutdown = True

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Every batch is written synchronously by `export`, so there is nothing to flush."""
        return True


def append_line(path: Path, data: bytes) -> None:
    """Append ``data`` (whole lines) to ``path`` in one ``os.write``, or leave the file as it was.

    Raises:
        OSError: the write failed (after rolling back what it could).
    """
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data  # a torn line left by a crash: start ours on a fresh line
        try:
            written = os.write(fd, data)
        except OSError:
            _rollback(fd, size)
            raise
        if written != len(data):
            _rollback(fd, size)
            raise OSError(errno.ENOSPC, f"short write ({written} of {len(data)} bytes)")
    finally:
        os.close(fd)  # closing releases the flock


def _rollback(fd: int, size: int) -> None:
    """Truncate back to ``size``; if that fails too, the next append starts on a fresh line anyway.

    Only under the ``flock``: without it another process may have appended after us, and truncating would cut its
    line, so the torn bytes are left for readers to skip.
    """
    if fcntl is None:
        return
    try:
        os.ftruncate(fd, size)
    except OSError:
        logger.debug("could not roll back a partial write", exc_info=True)

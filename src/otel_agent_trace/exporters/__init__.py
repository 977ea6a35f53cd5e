"""Exporters: the local OTLP-JSON file store, OTLP (gRPC/HTTP) and console, built from names."""

from __future__ import annotations

from .config import EXPORTER_NAMES, build_exporters, parse_exporter_names
from .file_store import FileSpanExporter, check_store_dir, default_store_dir, fallback_store_dir, usable_store_dir
from .file_store_metrics import FileMetricExporter
from .logs import FileLogExporter, build_log_exporters
from .otlp_json import spans_to_otlp_json

__all__ = [
    "EXPORTER_NAMES",
    "FileLogExporter",
    "FileMetricExporter",
    "FileSpanExporter",
    "build_exporters",
    "build_log_exporters",
    "check_store_dir",
    "default_store_dir",
    "fallback_store_dir",
    "parse_exporter_names",
    "spans_to_otlp_json",
    "usable_store_dir",
]

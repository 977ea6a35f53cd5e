"""Span-tree helpers of the example-shape tests (``test_examples_*.py``)."""

from __future__ import annotations

import socket
from typing import Any

from agents.tracing.processors import BatchTraceProcessor
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.instrumentation._spans import Tree

MODEL = "gpt-4o-mini"
Shape = tuple[str, str, tuple[Any, ...]]


def shape(tree: Tree, span: ReadableSpan) -> Shape:
    """``(name, status, children)`` of ``span``, children ordered by name then start (parallel work varies)."""
    kids = sorted(tree.children(span), key=lambda s: (s.name, s.start_time or 0))
    return (span.name, span.status.status_code.name, tuple(shape(tree, kid) for kid in kids))


def only_root(tree: Tree) -> ReadableSpan:
    """The one root span: no upload, no stray HTTP span of its own."""
    roots = tree.roots()
    assert len(roots) == 1, [(s.name, (s.attributes or {}).get("url.full")) for s in roots]
    return roots[0]


def finished(exporter: InMemorySpanExporter, backend: BatchTraceProcessor) -> Tree:
    """The spans, once the SDK's exporter has made its upload (as it does at exit): none of it may show."""
    backend.force_flush()  # type: ignore[no-untyped-call]
    return Tree(exporter.get_finished_spans())


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def closed_port_url() -> str:
    """An ingest URL on 127.0.0.1 where nothing listens (the hosted backend unreachable, without the internet)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1/traces/ingest"

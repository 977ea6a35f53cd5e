"""The bookkeeping of the LlamaIndex span handler: one `_Node` per traced LlamaIndex span, and what a span is."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.base.llms.base import BaseLLM
from llama_index.core.tools.types import BaseTool
from opentelemetry import trace
from opentelemetry.context import _RUNTIME_CONTEXT
from opentelemetry.trace import Span

from otel_agent_trace._internal.context import ToolScope
from otel_agent_trace.semconv import agent as A

try:
    from workflows import Workflow as _Workflow
except ImportError:  # pragma: no cover - llama-index-core before the split-out workflows package
    from llama_index.core.workflow import Workflow as _Workflow


_AGENT = "agent"
_STEP = "step"
_LLM = "llm"
_TOOL = "tool"
_RETRIEVER = "retriever"
_EMBEDDING = "embedding"
_QUERY = "query"
_OTHER = "other"

_CHAT_METHODS = frozenset({"chat", "achat", "stream_chat", "astream_chat"})
_COMPLETION_METHODS = frozenset({"complete", "acomplete", "stream_complete", "astream_complete"})
_TOOL_METHODS = frozenset({"call", "acall", "__call__"})
_RETRIEVER_METHODS = frozenset({"retrieve", "aretrieve"})
_QUERY_METHODS = frozenset({"query", "aquery"})
_NOT_ERRORS = (asyncio.CancelledError, GeneratorExit)
"""Ends that are not failures: a workflow cancelling its leftover steps, a stream closed early."""
_MAX_NODES = 100_000
"""Open entries kept at most (spans whose end never arrives must not grow memory without bound)."""


class _Node:
    """One traced LlamaIndex span and its OTel span."""

    __slots__ = (
        "agent",
        "call_id",
        "child_errors",
        "child_kinds",
        "ended",
        "first_chunk",
        "id_",
        "instance_key",
        "kind",
        "lock",
        "name",
        "parent",
        "run_id",
        "span",
        "start_ns",
        "steps",
        "streaming",
        "token",
        "tool_scope",
        "usage",
    )

    def __init__(self, id_: str, kind: str, name: str, span: Span, parent: _Node | None) -> None:
        self.id_ = id_
        self.kind = kind
        self.name = name
        self.span = span
        self.parent = parent
        self.agent: _Node | None = self if kind == _AGENT else (parent.agent if parent is not None else None)
        self.steps: Iterator[int] | None = itertools.count() if kind == _AGENT else None
        self.call_id: str | None = None
        self.run_id: str | None = (
            uuid.uuid4().hex if kind == _AGENT else (parent.run_id if parent is not None else None)
        )
        self.child_errors: list[BaseException] | None = None
        self.child_kinds: set[str] | None = None
        self.token: object | None = None
        self.tool_scope: contextlib.AbstractContextManager[ToolScope] | None = None
        self.usage = True
        self.streaming = False
        self.first_chunk = False
        self.instance_key = 0
        self.start_ns = time.monotonic_ns()
        self.ended = False
        self.lock = threading.Lock()

    def claim_end(self) -> bool:
        """True exactly once: the caller ends the span."""
        with self.lock:
            if self.ended:
                return False
            self.ended = True
            return True


_CATEGORIES: dict[type, str] = {}
"""Classes seen -> what they are (``isinstance`` against LlamaIndex's ABCs is slow; asked once per class)."""


def _category(instance: Any) -> str:
    cls = type(instance)
    category = _CATEGORIES.get(cls)
    if category is None:
        category = _OTHER
        for base, name in (
            (BaseLLM, _LLM),
            (BaseTool, _TOOL),
            (BaseRetriever, _RETRIEVER),
            (BaseQueryEngine, _QUERY),
            (BaseEmbedding, _EMBEDDING),
            (_Workflow, _AGENT),
        ):
            if isinstance(instance, base):
                category = name
                break
        if len(_CATEGORIES) < 10_000:
            _CATEGORIES[cls] = category
    return category


def _method(id_: str) -> tuple[str, str]:
    """``("ReActAgent", "run")`` from ``"ReActAgent.run-<uuid>"``."""
    owner, _, method = id_.partition("-")[0].rpartition(".")
    return owner, method


def _attach(node: _Node) -> None:
    node.token = _RUNTIME_CONTEXT.attach(trace.set_span_in_context(node.span))


def _detach(node: _Node) -> None:
    scope = node.tool_scope
    if scope is not None:
        node.tool_scope = None
        with contextlib.suppress(Exception):  # exited in another context: nothing to restore there
            scope.__exit__(None, None, None)
    token = node.token
    if token is not None:
        node.token = None
        with contextlib.suppress(Exception):
            _RUNTIME_CONTEXT.detach(token)  # type: ignore[arg-type]


def _step_action(kinds: set[str] | None) -> str:
    kinds = kinds or set()
    if _TOOL in kinds:
        return A.AgentStepActionTypeValues.TOOL_CALL.value
    if _RETRIEVER in kinds and _LLM not in kinds:
        return A.AgentStepActionTypeValues.RETRIEVAL.value
    if kinds == {_LLM}:
        return A.AgentStepActionTypeValues.LLM_CALL.value
    return A.AgentStepActionTypeValues.REASONING.value

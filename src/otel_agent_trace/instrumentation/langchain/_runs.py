"""The run bookkeeping of the LangChain callback handler: one `_Run` per traced LangChain run, keyed by ``run_id``.

`RunTracker` starts a run's span under its parent run's span, ends it once (recording the errors its children met
and it survived, and telling its parent about a failure), and records retries; the callbacks are in `_chains` and
`_callback_handler`.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler  # imported only once the instrumentor found it
from opentelemetry import context as context_api
from opentelemetry import trace
from opentelemetry.context import _RUNTIME_CONTEXT
from opentelemetry.trace import Span, SpanKind

from otel_agent_trace._internal.context import is_enabled
from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace._internal.serialize import safe_json_dumps
from otel_agent_trace._internal.tracing import error_event_attributes, record_failure
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import error as E
from otel_agent_trace.semconv import gen_ai as G
from otel_agent_trace.semconv import graph as GR
from otel_agent_trace.semconv import tool as T

from . import _graph

_AGENT = "agent"
_STEP = "step"
_DECISION = "decision"
_CHAIN = "chain"
_LLM = "llm"
_TOOL = "tool"
_RETRIEVER = "retriever"

_AGENT_ROOT_NAMES = frozenset({"AgentExecutor"})
_CONTROL_FLOW = frozenset({"GraphBubbleUp", "GraphInterrupt", "NodeInterrupt", "ParentCommand"})
"""LangGraph exceptions that steer the run (interrupts, ``Command`` to the parent graph) rather than fail it."""
_RUN_KEY = context_api.create_key("otel_agent_trace.langchain_run")
"""Context key of the `_Run` whose span a callback made current (finds the parent when LangChain lost it)."""
_MAX_RUNS = 100_000
"""Open runs kept at most (a run whose end never arrives must not grow memory without bound)."""


class _GraphRun:
    """Bookkeeping of one graph run: nodes per superstep, routes chosen, the last state hash seen."""

    __slots__ = ("info", "last_state_hash", "lock", "routes", "step_nodes")

    def __init__(self, info: _graph.GraphInfo | None) -> None:
        self.info = info
        self.lock = threading.Lock()
        self.step_nodes: dict[int, list[str]] = {}
        self.routes: dict[tuple[int, str], set[str]] = {}
        self.last_state_hash: str | None = None

    def enter(self, step: int, node: str) -> str:
        """Register ``node`` as running at ``step``; return the edge taken into it (``"prev->node"``)."""
        with self.lock:
            previous = self.step_nodes.get(step - 1, [])
            self.step_nodes.setdefault(step, []).append(node)
            if not previous:
                return f"{_graph.START}->{node}"
            sources = []
            for prev in dict.fromkeys(previous):
                routed = node in self.routes.get((step - 1, prev), ())
                static = self.info is not None and (prev, node) in self.info.edges
                if routed or static:
                    sources.append(prev)
            if not sources:
                sources = list(dict.fromkeys(previous))
            return f"{','.join(sources)}->{node}"

    def route(self, step: int, source: str, targets: Sequence[str]) -> None:
        """Remember that the router of ``source`` at ``step`` sent the run to ``targets``."""
        with self.lock:
            self.routes.setdefault((step, source), set()).update(targets)


class _Run:
    """One traced LangChain run."""

    __slots__ = (
        "agent",
        "branch",
        "child_errors",
        "child_kinds",
        "graph",
        "inputs",
        "kind",
        "name",
        "node",
        "parent",
        "provider",
        "run_key",
        "span",
        "start_ns",
        "step",
        "token",
        "usage",
    )

    def __init__(self, span: Span, kind: str, name: str, parent: _Run | None) -> None:
        self.span = span
        self.kind = kind
        self.name = name
        self.parent = parent
        self.agent: _Run | None = self if kind == _AGENT else (parent.agent if parent is not None else None)
        self.graph: _GraphRun | None = None
        self.node: str | None = None
        self.step: int | None = None
        self.branch: _graph.Branch | None = None
        self.inputs: Any = None
        self.token: object | None = None
        self.child_errors: list[BaseException] | None = None
        self.child_kinds: set[str] | None = None
        self.usage = True
        self.start_ns = 0
        self.run_key = ""
        self.provider = False
        """On an agent run: ``gen_ai.provider.name`` was set (from its first LLM call)."""


def _name_provider(agent: _Run | None, provider: Any) -> None:
    """Name the provider of an LLM call on the agent runs above it that have none yet.

    ``gen_ai.provider.name`` is required on ``invoke_agent``, and a graph's start does not say which model it uses.
    """
    while agent is not None and not agent.provider and isinstance(provider, str):
        agent.provider = True
        agent.span.set_attribute(G.GEN_AI_PROVIDER_NAME, provider)
        agent = agent.parent.agent if agent.parent is not None else None


def _error_event(
    span: Span,
    error: BaseException | str,
    *,
    handler: str | None = None,
    retry_attempt: int | None = None,
    post_state: Any = None,
) -> None:
    """An ``agent_trace.error`` event for an error the run survived (the shape of ``api.record_error``)."""
    attributes = error_event_attributes(
        error,
        handled=True,
        handler=handler,
        retry_attempt=retry_attempt,
        post_state_json=safe_json_dumps(post_state) if post_state is not None else None,
    )
    span.add_event(E.ERROR_EVENT_NAME, attributes)
    span.set_attribute(E.ERROR_HANDLED, True)
    if handler:
        span.set_attribute(E.ERROR_HANDLER, handler)


def _is_control_flow(error: BaseException) -> bool:
    return any(cls.__name__ in _CONTROL_FLOW for cls in type(error).__mro__)


def _tags_have_step(tags: Sequence[str] | None, step: Any) -> bool:
    return bool(tags) and f"graph:step:{step}" in tags  # type: ignore[operator]


def _route_targets(branch: _graph.Branch | None, value: Any) -> list[str] | None:
    """Targets a router's return value names: strings, ``Send`` objects, lists of them; ``None`` if not a route."""
    items = value if isinstance(value, (list, tuple)) else [value]
    targets: list[str] = []
    for item in items:
        mapped = branch.target(item) if branch is not None else item
        node = getattr(mapped, "node", None)
        if type(mapped).__name__ == "Send" and isinstance(node, str):
            targets.append(node)
        elif isinstance(mapped, str) and (branch is not None or mapped == _graph.END):
            targets.append(mapped)
        else:
            return None
    return targets


class RunTracker(BaseCallbackHandler):
    """The open runs of a callback handler, and how a run starts, ends, fails and is retried."""

    def __init__(self, tracer: trace.Tracer, capture: Callable[[], bool]) -> None:
        super().__init__()
        self._tracer = tracer
        self._capture = capture
        self._runs: dict[UUID, _Run] = {}
        self._lock = threading.Lock()
        self.active = True

    # ------------------------------------------------------------------ bookkeeping

    def _parent(self, parent_run_id: UUID | None) -> _Run | None:
        if parent_run_id is not None:
            return self._runs.get(parent_run_id)
        # LangChain lost the parent (Python 3.10: asyncio.create_task() takes no context, so an async node's
        # ``model.ainvoke(...)`` without ``config`` starts a new root run): the run whose span is current is it.
        run = context_api.get_value(_RUN_KEY)
        if isinstance(run, _Run) and run.span is trace.get_current_span() and run.span.is_recording():
            return run
        return None

    def _start(
        self,
        run_id: UUID,
        parent_run_id: UUID | None,
        kind: str,
        name: str,
        span_name: str,
        span_kind: SpanKind,
        attributes: dict[str, Any],
        parent: _Run | None,
        make_current: bool,
    ) -> _Run:
        ctx = trace.set_span_in_context(parent.span) if parent is not None else None
        agent = parent.agent if parent is not None else None
        if kind == _AGENT:
            attributes[A.AGENT_RUN_ID] = run_id.hex
            if agent is not None:
                attributes[A.AGENT_PARENT_NAME] = agent.name
        elif agent is not None:
            attributes[A.AGENT_RUN_ID] = agent.run_key
        span = self._tracer.start_span(span_name, context=ctx, kind=span_kind, attributes=attributes)
        run = _Run(span, kind, name, parent)
        if kind == _AGENT:
            run.run_key = run_id.hex
        run.start_ns = time.monotonic_ns()
        if parent is not None:
            if parent.child_kinds is None:
                parent.child_kinds = set()
            parent.child_kinds.add(kind)
        if make_current:
            run.token = context_api.attach(context_api.set_value(_RUN_KEY, run, trace.set_span_in_context(span)))
        with self._lock:
            if len(self._runs) < _MAX_RUNS:
                self._runs[run_id] = run
        return run

    def _pop(self, run_id: UUID) -> _Run | None:
        with self._lock:
            return self._runs.pop(run_id, None)

    def _finish(self, run: _Run, error: BaseException | None = None, outputs: Any = None) -> None:
        """End ``run``'s span; record errors its children met and it survived; tell the parent about a failure."""
        span = run.span
        if error is None:
            if run.child_errors:
                post_state = outputs if self._capture() else None
                for child_error in run.child_errors:
                    _error_event(span, child_error, post_state=post_state)
        elif _is_control_flow(error) or isinstance(error, GeneratorExit):
            span.set_attribute(GR.GRAPH_CONTROL_FLOW, type(error).__name__)
        else:
            record_failure(span, error)
            parent = run.parent
            if parent is not None:
                if parent.child_errors is None:
                    parent.child_errors = []
                parent.child_errors.append(error)
        token = run.token
        if token is not None:
            run.token = None
            # ended in another context (a generator finalized elsewhere): nothing to restore there
            with contextlib.suppress(Exception):
                _RUNTIME_CONTEXT.detach(token)  # type: ignore[arg-type]
        span.end()

    def _end(self, run_id: UUID, outputs: Any, where: str, on_end: Callable[[_Run, Any], None] | None) -> None:
        run = self._pop(run_id)
        if run is None:
            return
        try:
            with handle_internal_errors(where):
                if on_end is not None:
                    on_end(run, outputs)
        finally:
            self._finish(run, None, outputs)

    def _fail(self, run_id: UUID, error: BaseException, where: str) -> None:
        run = self._pop(run_id)
        if run is None:
            return
        with handle_internal_errors(where):
            if run.kind == _TOOL:
                run.span.set_attribute(T.TOOL_STATUS, "error")
            self._finish(run, error)

    def _enabled(self) -> bool:
        return self.active and is_enabled()

    # ------------------------------------------------------------------ retries

    def on_retry(self, retry_state: Any, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any) -> None:
        """Record an ``agent_trace.error`` event (``handler="retry"``) on the retried run's span."""
        run = self._runs.get(run_id)
        if run is None:
            return
        with handle_internal_errors("langchain.on_retry"):
            outcome = getattr(retry_state, "outcome", None)
            error: BaseException | str = "retry"
            if outcome is not None and getattr(outcome, "failed", False):
                error = outcome.exception()
            attempt = getattr(retry_state, "attempt_number", None)
            _error_event(run.span, error, handler="retry", retry_attempt=attempt if isinstance(attempt, int) else None)

    def _note_retry(self, parent_run_id: UUID | None, tags: Sequence[str] | None) -> None:
        """A run tagged ``retry:attempt:N`` re-runs its failed sibling: record the retry on the ``RunnableRetry``."""
        if not tags or parent_run_id is None:
            return
        for tag in tags:
            if tag.startswith("retry:attempt:"):
                parent = self._runs.get(parent_run_id)
                if parent is None or not parent.child_errors:
                    return
                error = parent.child_errors.pop()
                number = tag[len("retry:attempt:") :]
                attempt = int(number) - 1 if number.isdigit() else None
                _error_event(parent.span, error, handler="retry", retry_attempt=attempt)
                return

"""The LangChain callback handler that turns runs (chains, graph nodes, LLMs, tools, retrievers) into spans.

Spans are keyed by LangChain's ``run_id``; a run's parent span is the span of its ``parent_run_id``, so parentage
survives LangGraph's thread pools and asyncio tasks. A run without a (traced) parent gets the current OTel context.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler  # imported only once the instrumentor found it
from opentelemetry import context as context_api
from opentelemetry import trace
from opentelemetry.context import _RUNTIME_CONTEXT
from opentelemetry.trace import Span, SpanKind

from otel_agent_trace._internal.context import is_enabled
from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace._internal.replay import mark_result_kind
from otel_agent_trace._internal.serialize import content_hash, safe_json_dumps
from otel_agent_trace._internal.tracing import error_event_attributes, record_failure
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import decision as D
from otel_agent_trace.semconv import error as E
from otel_agent_trace.semconv import gen_ai as G
from otel_agent_trace.semconv import graph as GR
from otel_agent_trace.semconv import state as S
from otel_agent_trace.semconv import tool as T

from . import _extract as X
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


class OTelCallbackHandler(BaseCallbackHandler):
    """Records LangChain and LangGraph runs as OpenTelemetry spans (see the package docstring)."""

    run_inline = True
    """Called in the runnable's own context, also from async callback managers (so spans can be made current)."""

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

    # ------------------------------------------------------------------ chains, graphs, nodes, routers

    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Start an ``invoke_agent``, ``step``, ``decision`` or ``chain`` span."""
        if not self._enabled():
            return
        with handle_internal_errors("langchain.on_chain_start"):
            self._note_retry(parent_run_id, tags)
            self._chain_start(serialized, inputs, run_id, parent_run_id, tags, metadata or {}, kwargs)

    def _chain_start(
        self,
        serialized: Mapping[str, Any] | None,
        inputs: Any,
        run_id: UUID,
        parent_run_id: UUID | None,
        tags: list[str] | None,
        metadata: Mapping[str, Any],
        kwargs: Mapping[str, Any],
    ) -> None:
        name = kwargs.get("name") or (serialized or {}).get("name")
        if not isinstance(name, str) or not name:
            ident = (serialized or {}).get("id")
            name = str(ident[-1]) if isinstance(ident, list) and ident else "chain"
        parent = self._parent(parent_run_id)
        capture = self._capture()
        node = metadata.get("langgraph_node")
        step = metadata.get("langgraph_step")
        attrs: dict[str, Any] = {}
        graph_parent = parent is not None and parent.kind == _AGENT and parent.graph is not None
        if node is not None and name == node and graph_parent and _tags_have_step(tags, step):
            self._node_start(run_id, parent_run_id, parent, name, inputs, metadata, capture)
            return
        if (parent_run_id is None and (metadata.get("ls_integration") == "langgraph" or name in _AGENT_ROOT_NAMES)) or (
            _graph.is_graph(name) and metadata.get("ls_integration") == "langgraph"
        ):
            self._agent_start(run_id, parent_run_id, parent, name, inputs, metadata, capture)
            return
        if parent is not None and parent.kind == _STEP and parent.node is not None:
            info = parent.agent.graph.info if parent.agent is not None and parent.agent.graph is not None else None
            branch = info.branches.get((parent.node, name)) if info is not None else None
            if branch is not None:
                attrs[A.AGENT_STEP_ACTION_TYPE] = A.AgentStepActionTypeValues.DECISION.value
                attrs[D.DECISION_NAME] = branch.name
                options = branch.options()
                if options:
                    attrs[D.DECISION_OPTIONS] = options
                run = self._start(
                    run_id, parent_run_id, _DECISION, name, f"decision {branch.name}", SpanKind.INTERNAL, attrs,
                    parent, True,
                )  # fmt: skip
                run.branch = branch
                run.node = parent.node
                run.step = parent.step
                return
        if capture:
            attrs[A.AGENT_STEP_INPUT] = safe_json_dumps(inputs)
        run = self._start(
            run_id, parent_run_id, _CHAIN, name, f"chain {name}", SpanKind.INTERNAL, attrs, parent,
            parent_run_id is not None or parent is not None,
        )  # fmt: skip
        if parent is not None and parent.kind == _STEP:
            run.node = parent.node
            run.step = parent.step

    def _agent_start(
        self,
        run_id: UUID,
        parent_run_id: UUID | None,
        parent: _Run | None,
        name: str,
        inputs: Any,
        metadata: Mapping[str, Any],
        capture: bool,
    ) -> None:
        attrs: dict[str, Any] = {
            G.GEN_AI_OPERATION_NAME: G.GenAiOperationNameValues.INVOKE_AGENT.value,
            G.GEN_AI_AGENT_NAME: name,
        }
        thread_id = metadata.get("thread_id")
        if isinstance(thread_id, (str, int)) and not isinstance(thread_id, bool):
            attrs[G.GEN_AI_CONVERSATION_ID] = str(thread_id)
        if capture:
            attrs[A.AGENT_STEP_INPUT] = safe_json_dumps(inputs)
        run = self._start(
            run_id, parent_run_id, _AGENT, name, f"invoke_agent {name}", SpanKind.INTERNAL, attrs, parent,
            parent_run_id is not None or parent is not None,
        )  # fmt: skip
        if metadata.get("ls_integration") == "langgraph":
            run.graph = _GraphRun(_graph.graph_info(name))

    def _node_start(
        self,
        run_id: UUID,
        parent_run_id: UUID | None,
        parent: _Run | None,
        node: str,
        inputs: Any,
        metadata: Mapping[str, Any],
        capture: bool,
    ) -> None:
        graph_run = parent.graph if parent is not None else None
        raw_step = metadata.get("langgraph_step")
        step = int(raw_step) if isinstance(raw_step, int) else 0
        attrs: dict[str, Any] = {
            A.AGENT_STEP_INDEX: step,
            A.AGENT_STEP_NAME: node,
        }
        if parent is not None:
            attrs[G.GEN_AI_AGENT_NAME] = parent.name
        triggers = metadata.get("langgraph_triggers")
        if isinstance(triggers, (list, tuple)):
            attrs[GR.GRAPH_TRIGGERS] = [str(t) for t in triggers]
        if graph_run is not None:
            attrs[GR.GRAPH_EDGE] = graph_run.enter(step, node)
            digest = content_hash(inputs)
            attrs[S.STATE_HASH] = digest
            previous = graph_run.last_state_hash
            if previous is not None:
                attrs[S.STATE_PREVIOUS_HASH] = previous
                attrs[S.STATE_UNCHANGED] = previous == digest
            graph_run.last_state_hash = digest
        if capture:
            attrs[A.AGENT_STEP_INPUT] = safe_json_dumps(inputs)
        run = self._start(run_id, parent_run_id, _STEP, node, f"step {node}", SpanKind.INTERNAL, attrs, parent, True)
        run.node = node
        run.step = step
        if capture:
            run.inputs = inputs

    def on_chain_end(self, outputs: Any, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any) -> None:
        """End the run's span, recording its output, the route a router chose, a node's state change."""
        self._end(run_id, outputs, "langchain.on_chain_end", self._chain_end)

    def _chain_end(self, run: _Run, outputs: Any) -> None:
        span = run.span
        capture = self._capture()
        if run.kind == _DECISION or (run.kind == _CHAIN and run.node is not None and run.parent is not None):
            targets = _route_targets(run.branch, outputs)
            if targets is not None:
                if run.kind == _CHAIN:  # an unregistered router that returned Send(s) or END
                    span.update_name(f"decision {run.name}")
                    span.set_attribute(D.DECISION_NAME, run.name)
                    span.set_attribute(A.AGENT_STEP_ACTION_TYPE, A.AgentStepActionTypeValues.DECISION.value)
                span.set_attribute(D.DECISION_CHOSEN, ",".join(dict.fromkeys(targets)))
                agent = run.parent.agent if run.parent is not None else None
                if agent is not None and agent.graph is not None and run.node is not None and run.step is not None:
                    agent.graph.route(run.step, run.node, targets)
                if capture:
                    span.set_attribute(A.AGENT_STEP_OUTPUT, safe_json_dumps(outputs))
                return
        if run.kind == _STEP:
            kinds = run.child_kinds or set()
            if _TOOL in kinds:
                action = A.AgentStepActionTypeValues.TOOL_CALL
            elif kinds and kinds <= {_LLM, _DECISION} and _LLM in kinds:
                action = A.AgentStepActionTypeValues.LLM_CALL
            elif _RETRIEVER in kinds and kinds <= {_RETRIEVER, _DECISION}:
                action = A.AgentStepActionTypeValues.RETRIEVAL
            else:
                action = A.AgentStepActionTypeValues.REASONING
            span.set_attribute(A.AGENT_STEP_ACTION_TYPE, action.value)
            if capture:
                span.set_attribute(A.AGENT_STEP_OUTPUT, safe_json_dumps(outputs))
                diff = X.state_diff(run.inputs, outputs)
                if diff is not None:
                    span.set_attribute(S.STATE_DIFF, safe_json_dumps(diff))
            return
        if run.kind == _AGENT:
            span.set_attribute(S.STATE_HASH, content_hash(outputs))
        if capture:
            span.set_attribute(A.AGENT_STEP_OUTPUT, safe_json_dumps(outputs))

    def on_chain_error(
        self, error: BaseException, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        """End the run's span with the error (control-flow exceptions such as interrupts are not errors)."""
        self._fail(run_id, error, "langchain.on_chain_error")

    # ------------------------------------------------------------------ LLMs and chat models

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[Any]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Start a ``chat {model}`` CLIENT span."""
        if not self._enabled():
            return
        with handle_internal_errors("langchain.on_chat_model_start"):
            self._note_retry(parent_run_id, tags)
            capture = self._capture()
            attrs = self._llm_attributes(serialized, metadata, kwargs, G.GenAiOperationNameValues.CHAT.value)
            if capture and messages:
                X.input_messages_attributes(messages[0], attrs)
            self._llm_start(run_id, parent_run_id, attrs, metadata)

    def on_llm_start(
        self,
        serialized: dict[str, Any],
        prompts: list[str],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Start a ``text_completion {model}`` CLIENT span."""
        if not self._enabled():
            return
        with handle_internal_errors("langchain.on_llm_start"):
            self._note_retry(parent_run_id, tags)
            op = G.GenAiOperationNameValues.TEXT_COMPLETION.value
            attrs = self._llm_attributes(serialized, metadata, kwargs, op)
            if self._capture() and prompts:
                X.prompts_attributes(prompts, attrs)
            self._llm_start(run_id, parent_run_id, attrs, metadata)

    def _llm_attributes(
        self,
        serialized: Mapping[str, Any] | None,
        metadata: Mapping[str, Any] | None,
        kwargs: Mapping[str, Any],
        operation: str,
    ) -> dict[str, Any]:
        params = kwargs.get("invocation_params")
        params = params if isinstance(params, Mapping) else None
        attrs: dict[str, Any] = {
            G.GEN_AI_OPERATION_NAME: operation,
            G.GEN_AI_PROVIDER_NAME: X.provider_name(metadata, serialized),
            A.AGENT_STEP_ACTION_TYPE: A.AgentStepActionTypeValues.LLM_CALL.value,
        }
        model = X.request_model(metadata, params)
        if model:
            attrs[G.GEN_AI_REQUEST_MODEL] = model
        X.request_attributes(metadata, params, attrs)
        return attrs

    def _llm_start(
        self, run_id: UUID, parent_run_id: UUID | None, attrs: dict[str, Any], metadata: Mapping[str, Any] | None
    ) -> None:
        provider_usage = X.provider_span_expected(metadata)
        attrs[A.LLM_USAGE_SOURCE] = "provider" if provider_usage else "framework"
        model = attrs.get(G.GEN_AI_REQUEST_MODEL)
        op = attrs[G.GEN_AI_OPERATION_NAME]
        span_name = f"{op} {model}" if model else str(op)
        parent = self._parent(parent_run_id)
        run = self._start(run_id, parent_run_id, _LLM, str(model or op), span_name, SpanKind.CLIENT, attrs, parent,
                          parent_run_id is not None or parent is not None)  # fmt: skip
        run.usage = not provider_usage
        _name_provider(run.agent, attrs.get(G.GEN_AI_PROVIDER_NAME))

    def on_llm_new_token(self, token: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """Record the time to the first streamed chunk."""
        run = self._runs.get(run_id)
        if run is None or run.start_ns < 0:
            return
        with handle_internal_errors("langchain.on_llm_new_token"):
            elapsed = (time.monotonic_ns() - run.start_ns) / 1e9
            run.start_ns = -1
            run.span.set_attribute(G.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, elapsed)
            run.span.set_attribute(G.GEN_AI_REQUEST_STREAM, True)

    def on_llm_end(self, response: Any, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any) -> None:
        """End the LLM span with response attributes and (unless a provider span has them) token usage."""
        self._end(run_id, response, "langchain.on_llm_end", self._llm_end)

    def _llm_end(self, run: _Run, response: Any) -> None:
        attrs: dict[str, Any] = {}
        X.response_attributes(response, attrs, usage=run.usage, capture=self._capture())
        run.span.set_attributes(attrs)

    def on_llm_error(
        self, error: BaseException, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        """End the LLM span with the error."""
        self._fail(run_id, error, "langchain.on_llm_error")

    # ------------------------------------------------------------------ tools

    def on_tool_start(
        self,
        serialized: dict[str, Any],
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Start an ``execute_tool {name}`` span."""
        if not self._enabled():
            return
        with handle_internal_errors("langchain.on_tool_start"):
            self._note_retry(parent_run_id, tags)
            name = (serialized or {}).get("name") or kwargs.get("name") or "tool"
            attrs: dict[str, Any] = {
                G.GEN_AI_OPERATION_NAME: G.GenAiOperationNameValues.EXECUTE_TOOL.value,
                G.GEN_AI_TOOL_NAME: str(name),
                G.GEN_AI_TOOL_TYPE: G.GenAiToolTypeValues.FUNCTION.value,
                A.AGENT_STEP_ACTION_TYPE: A.AgentStepActionTypeValues.TOOL_CALL.value,
            }
            call_id = kwargs.get("tool_call_id") or (metadata or {}).get("tool_call_id")
            if isinstance(call_id, str) and call_id:
                attrs[G.GEN_AI_TOOL_CALL_ID] = call_id
            description = (serialized or {}).get("description")
            if isinstance(description, str) and description:
                attrs[G.GEN_AI_TOOL_DESCRIPTION] = description
            if self._capture():
                attrs[G.GEN_AI_TOOL_CALL_ARGUMENTS] = safe_json_dumps(inputs if inputs is not None else input_str)
            parent = self._parent(parent_run_id)
            self._start(run_id, parent_run_id, _TOOL, str(name), f"execute_tool {name}", SpanKind.INTERNAL, attrs,
                        parent, True)  # fmt: skip

    def on_tool_end(self, output: Any, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any) -> None:
        """End the tool span with its result (content capture) and latency."""
        self._end(run_id, output, "langchain.on_tool_end", self._tool_end)

    def _tool_end(self, run: _Run, output: Any) -> None:
        span = run.span
        status = "error" if getattr(output, "status", None) == "error" else "ok"
        span.set_attribute(T.TOOL_STATUS, status)
        span.set_attribute(T.TOOL_LATENCY_MS, (time.monotonic_ns() - run.start_ns) / 1e6)
        if self._capture():
            result = X.tool_result(output)
            span.set_attribute(G.GEN_AI_TOOL_CALL_RESULT, safe_json_dumps(result))
            mark_result_kind(span, result)

    def on_tool_error(
        self, error: BaseException, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        """End the tool span with the error (status ERROR, ``error.type``)."""
        self._fail(run_id, error, "langchain.on_tool_error")

    # ------------------------------------------------------------------ retrievers

    def on_retriever_start(
        self,
        serialized: dict[str, Any],
        query: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Start a ``retrieval {name}`` span."""
        if not self._enabled():
            return
        with handle_internal_errors("langchain.on_retriever_start"):
            name = kwargs.get("name") or (serialized or {}).get("name") or "retriever"
            attrs: dict[str, Any] = {
                G.GEN_AI_OPERATION_NAME: G.GenAiOperationNameValues.RETRIEVAL.value,
                G.GEN_AI_DATA_SOURCE_ID: str(name),
                A.AGENT_STEP_ACTION_TYPE: A.AgentStepActionTypeValues.RETRIEVAL.value,
            }
            if self._capture():
                attrs[G.GEN_AI_RETRIEVAL_QUERY_TEXT] = str(query)
            parent = self._parent(parent_run_id)
            self._start(run_id, parent_run_id, _RETRIEVER, str(name), f"retrieval {name}", SpanKind.INTERNAL, attrs,
                        parent, True)  # fmt: skip

    def on_retriever_end(
        self, documents: Any, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        """End the retrieval span with the documents (content capture)."""
        self._end(run_id, documents, "langchain.on_retriever_end", self._retriever_end)

    def _retriever_end(self, run: _Run, documents: Any) -> None:
        if self._capture():
            run.span.set_attribute(A.AGENT_STEP_OUTPUT, X.documents_json(documents))

    def on_retriever_error(
        self, error: BaseException, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        """End the retrieval span with the error."""
        self._fail(run_id, error, "langchain.on_retriever_error")

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

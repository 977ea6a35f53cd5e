"""The chain callbacks of the LangChain callback handler: agents (graphs), graph nodes, routers, plain chains."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from opentelemetry.trace import SpanKind

from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace._internal.serialize import content_hash, safe_json_dumps
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import decision as D
from otel_agent_trace.semconv import gen_ai as G
from otel_agent_trace.semconv import graph as GR
from otel_agent_trace.semconv import state as S

from . import _extract as X
from . import _graph
from ._runs import (
    _AGENT,
    _AGENT_ROOT_NAMES,
    _CHAIN,
    _DECISION,
    _LLM,
    _RETRIEVER,
    _STEP,
    _TOOL,
    RunTracker,
    _GraphRun,
    _route_targets,
    _Run,
    _tags_have_step,
)


class ChainCallbacks(RunTracker):
    """``on_chain_*``: ``invoke_agent``, ``step``, ``decision`` and ``chain`` spans."""

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

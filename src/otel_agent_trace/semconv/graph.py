"""Graph-execution attributes (LangGraph and other graph-shaped agent frameworks)."""

from __future__ import annotations

from typing import Final

GRAPH_EDGE: Final = "agent_trace.graph.edge"
"""The edge taken into a node, ``"prev->node"`` (fan-in: ``"a,b->node"``; first node: ``"__start__->node"``)."""
GRAPH_TRIGGERS: Final = "agent_trace.graph.triggers"
"""The channels whose update made the node run, a list of strings (LangGraph ``langgraph_triggers``)."""
GRAPH_CONTROL_FLOW: Final = "agent_trace.graph.control_flow"
"""On a span ended by a control-flow exception (an interrupt, a ``Command`` to the parent graph): its class name."""

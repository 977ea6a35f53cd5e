"""Data-flow between steps: which step's output fed which step's input, by tool-call ids and by value matching."""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from otel_agent_trace.model import Trace

from .values import display_key, value_keys
from .view import TraceView

_MAX_VALUES_PER_EDGE = 8
_SLOP_NS = 1_000_000  # clocks of nested spans can disagree by a little


@dataclass(frozen=True)
class DataEdge:
    """``source``'s output fed ``target``'s input."""

    source: str
    target: str
    via: str
    """``"value"`` (a value of the output found in the input), ``"tool_call_id"`` or ``"returned"`` (a child's
    output returned as its parent's output)."""
    values: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return {"source": self.source, "target": self.target, "via": self.via, "values": list(self.values)}


@dataclass(frozen=True)
class DependencyGraph:
    """The data-flow graph of one trace. ``edges`` are producer -> consumer."""

    trace_id: str
    edges: tuple[DataEdge, ...]
    in_keys: dict[str, dict[str, str]] = field(repr=False, compare=False)
    """Match keys of each span's input (key -> path)."""
    out_keys: dict[str, dict[str, str]] = field(repr=False, compare=False)
    """Match keys of each span's output (key -> path)."""
    incoming: dict[str, list[DataEdge]] = field(repr=False, compare=False)
    outgoing: dict[str, list[DataEdge]] = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form: the edges, and for each node the numbers of producers and consumers."""
        nodes = sorted(set(self.incoming) | set(self.outgoing))
        return {
            "trace_id": self.trace_id,
            "nodes": [
                {"span_id": n, "producers": len(self.incoming.get(n, [])), "consumers": len(self.outgoing.get(n, []))}
                for n in nodes
            ],
            "edges": [e.to_dict() for e in self.edges],
        }


def _producer_index(view: TraceView, out_keys: dict[str, dict[str, str]]) -> dict[str, tuple[list[int], list[str]]]:
    """Per output key, the end times and ids of the spans that output it, ordered by (end, depth, id)."""
    by_id, depth = view.by_id, view.depth
    order = sorted(out_keys, key=lambda s: (by_id[s].end_ns, depth.get(s, 0), s))  # one sort, not one per key
    index: dict[str, tuple[list[int], list[str]]] = {}
    for span_id in order:
        end = by_id[span_id].end_ns
        for key in out_keys[span_id]:
            found = index.get(key)
            if found is None:
                index[key] = ([end], [span_id])
            else:
                found[0].append(end)
                found[1].append(span_id)
    return index


def dependency_graph(trace: Trace, view: TraceView | None = None) -> DependencyGraph:
    """The data-flow graph of ``trace``.

    A consumer's input value links to the latest span that output the same value before the consumer started and
    is neither its ancestor nor its descendant. Values are numbers other than 0/1/-1/2, strings of 3+ characters,
    and the numbers and identifiers inside text (see `value_keys`); JSON payloads are decoded first. A tool span
    links to the model call whose output held its ``gen_ai.tool.call.id``. When a span's output repeats a value its
    child produced, a ``returned`` edge links the child to it.

    Args:
        trace: the trace.
        view: a precomputed `TraceView` of it, if the caller has one.

    Returns:
        The graph; its ``to_dict()`` is JSON-serializable.
    """
    view = view or TraceView(trace)
    in_keys = {s: value_keys(v) for s, v in view.inputs.items()}
    out_keys = {s: value_keys(v) for s, v in view.outputs.items()}
    for span in view.spans:
        call_id = view.tool_call_id(span.span_id)
        if call_id:
            in_keys.setdefault(span.span_id, {})["s:" + call_id.lower()] = "gen_ai.tool.call.id"
    index = _producer_index(view, out_keys)
    pairs: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for consumer, keys in in_keys.items():
        start = view.by_id[consumer].start_ns
        for key, path in keys.items():
            found = index.get(key)
            if not found:
                continue
            ends, ids = found
            pos = bisect.bisect_right(ends, start + _SLOP_NS) - 1
            tries = 0
            while pos >= 0 and tries < 16:
                producer = ids[pos]
                if (
                    producer != consumer
                    and not view.is_ancestor(producer, consumer)
                    and not view.is_ancestor(consumer, producer)
                ):
                    via = "tool_call_id" if path == "gen_ai.tool.call.id" else "value"
                    pairs[(producer, consumer, via)].append(display_key(key))
                    break
                pos -= 1
                tries += 1
    # a parent whose output repeats what its child output: the child's result was returned
    for span_id, keys in out_keys.items():
        parent = view.parent.get(span_id)
        while parent is not None and parent in out_keys:
            shared = [k for k in keys if k in out_keys[parent] and k not in in_keys.get(parent, {})]
            if not shared:
                break
            pairs[(span_id, parent, "returned")].extend(display_key(k) for k in shared)
            break
    edges = tuple(
        DataEdge(p, c, via, tuple(values[:_MAX_VALUES_PER_EDGE]))
        for (p, c, via), values in sorted(pairs.items(), key=lambda kv: (view.order[kv[0][1]], view.order[kv[0][0]]))
    )
    incoming: dict[str, list[DataEdge]] = defaultdict(list)
    outgoing: dict[str, list[DataEdge]] = defaultdict(list)
    for edge in edges:
        incoming[edge.target].append(edge)
        outgoing[edge.source].append(edge)
    return DependencyGraph(trace.trace_id, edges, in_keys, out_keys, dict(incoming), dict(outgoing))


def origin_of(graph: DependencyGraph, span_id: str, key: str, max_hops: int = 32) -> list[str]:
    """The spans a value went through, from ``span_id`` back to the span that first produced it (last item).

    At each hop: if the value was in the span's input, follow the input edge that carried it; else if a child
    produced it, descend to that child; else this span originated it.
    """
    path = [span_id]
    current = span_id
    seen = {span_id}
    for _ in range(max_hops):
        nxt = None
        edges = graph.incoming.get(current, [])
        wanted = display_key(key)
        if key in graph.in_keys.get(current, {}):
            nxt = next((e.source for e in edges if e.via != "returned" and wanted in e.values), None)
        if nxt is None:
            nxt = next((e.source for e in edges if e.via == "returned" and wanted in e.values), None)
        if nxt is None or nxt in seen:
            return path
        path.append(nxt)
        seen.add(nxt)
        current = nxt
    return path


def producers_of(graph: DependencyGraph, span_id: str, max_depth: int = 8) -> dict[str, int]:
    """Every span whose output reached ``span_id``'s input (directly or transitively), with its hop distance."""
    out: dict[str, int] = {}
    frontier = [span_id]
    for depth in range(1, max_depth + 1):
        nxt = []
        for node in frontier:
            for edge in graph.incoming.get(node, []):
                if edge.source not in out and edge.source != span_id:
                    out[edge.source] = depth
                    nxt.append(edge.source)
        frontier = nxt
    return out

"""Cause-to-effect links between spans, shared by the traceback and the causal chain."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .context import AnalysisContext
from .signals import is_timeout_error


@dataclass(frozen=True)
class Link:
    """``cause`` led to ``effect``; ``reason`` says how."""

    cause: str
    effect: str
    kind: str
    """``data``, ``returned``, ``propagated``, ``caught``, ``resurfaced``, ``after_handled_error`` or ``delay``."""
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return {"cause": self.cause, "effect": self.effect, "kind": self.kind, "reason": self.reason}


def _catcher(ctx: AnalysisContext, span_id: str) -> list[str]:
    """The chain from a failed span up to the first ancestor that did not fail (the one that caught it)."""
    chain = [span_id]
    current = ctx.view.parent.get(span_id)
    while current is not None:
        chain.append(current)
        if not ctx.view.by_id[current].is_error:
            break
        current = ctx.view.parent.get(current)
    return chain


def causes_of(ctx: AnalysisContext, effect: str) -> Iterator[Link]:
    """Every direct cause of ``effect``.

    Data producers, failed children, and for the failure span, earlier errors (through the spans that caught them)
    and, on a timeout, slow spans.
    """
    view = ctx.view
    for edge in ctx.graph.incoming.get(effect, []):
        values = ", ".join(edge.values[:4])
        if edge.via == "returned":
            yield Link(edge.source, effect, "returned", f"returned its result ({values}) to its parent")
        elif edge.via == "tool_call_id":
            yield Link(edge.source, effect, "data", "asked for this tool call (same tool call id)")
        else:
            yield Link(edge.source, effect, "data", f"its output ({values}) fed this step's input")
    span = view.by_id[effect]
    for child in view.trace.children.get(effect, []):
        if child.is_error and span.is_error:
            yield Link(child.span_id, effect, "propagated", "the exception propagated to its parent")
        elif child.is_error:
            yield Link(child.span_id, effect, "caught", "its exception was caught here and the run went on")
    if effect != ctx.failure:
        return
    final = ctx.failure_error()
    when = ctx.failure_time_ns()
    for error in view.all_errors():
        source = error.span_id
        if source == effect or view.is_ancestor(source, effect) or error.time_ns > when:
            continue
        if any(e.kind == "recovered_error" for e in ctx.anomalies.get(source, [])):
            continue
        catcher = _catcher(ctx, source)[-1]
        if final and error.type.rsplit(".", 1)[-1] == final.type.rsplit(".", 1)[-1]:
            yield Link(catcher, effect, "resurfaced", f"the {final.type} swallowed earlier resurfaced here")
        elif catcher != effect and not view.is_ancestor(catcher, effect):
            yield Link(catcher, effect, "after_handled_error", "the run went on after handling an error and failed")
    if final and is_timeout_error(f"{final.type} {final.message}"):
        for source, evidence in ctx.anomalies.items():
            for item in evidence:
                if item.kind == "slow" and source != effect:
                    yield Link(source, effect, "delay", f"it {item.detail}, eating the time budget")


def path_to(ctx: AnalysisContext, target: str, max_nodes: int = 50_000) -> list[Link]:
    """The shortest chain of links from ``target`` (a cause) to the failure span, cause first; ``[]`` if none."""
    if ctx.failure is None or target == ctx.failure:
        return []
    came_from: dict[str, Link] = {}
    queue = deque([ctx.failure])
    seen = {ctx.failure}
    while queue and len(seen) < max_nodes:
        node = queue.popleft()
        for link in causes_of(ctx, node):
            if link.cause in seen:
                continue
            seen.add(link.cause)
            came_from[link.cause] = link
            if link.cause == target:
                chain = []
                current = target
                while current != ctx.failure:
                    chain.append(came_from[current])
                    current = came_from[current].effect
                return chain
            queue.append(link.cause)
    return []


def up_to_root(ctx: AnalysisContext, span_id: str) -> list[Link]:
    """Links from a failed span up through its failed ancestors (the failure reaching the run's outcome)."""
    links = []
    current = span_id
    parent = ctx.view.parent.get(current)
    while parent is not None and ctx.view.by_id[parent].is_error:
        links.append(Link(current, parent, "propagated", "the exception propagated to its parent"))
        current, parent = parent, ctx.view.parent.get(parent)
    return links

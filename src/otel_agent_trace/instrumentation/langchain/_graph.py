"""What the callbacks cannot tell: the static shape of the LangGraph graphs that run (edges, conditional branches).

LangGraph callbacks name the graph (the root run's name), its nodes and its router functions, but not the branch
targets a router may pick. ``Pregel.stream``/``astream`` (which ``invoke``/``ainvoke`` call) are wrapped so that,
before a graph runs, its builder's edges and branches are registered here under the graph's name. Compiled graphs
are registered once (weakly remembered).
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from otel_agent_trace._internal.errors import handle_internal_errors

END = "__end__"
START = "__start__"


@dataclass(frozen=True)
class Branch:
    """One conditional edge: its name (the router), the source node and the targets it may pick."""

    name: str
    ends: Mapping[Any, str] | None
    """Router return value -> target node (``None`` when LangGraph could not infer them)."""

    def options(self) -> list[str] | None:
        """The distinct targets, in declaration order, or ``None`` when unknown."""
        if not self.ends:
            return None
        return list(dict.fromkeys(str(v) for v in self.ends.values()))

    def target(self, value: Any) -> Any:
        """The target a router's raw return value maps to (through ``path_map``)."""
        if self.ends:
            try:
                mapped = self.ends.get(value)
            except TypeError:  # unhashable return value
                mapped = None
            if mapped is not None:
                return mapped
        return value


@dataclass
class GraphInfo:
    """Static shape of the graphs registered under one name."""

    edges: set[tuple[str, str]] = field(default_factory=set)
    branches: dict[tuple[str, str], Branch] = field(default_factory=dict)
    """(source node, run name of the router) -> branch."""


_lock = threading.Lock()
_graphs: dict[str, GraphInfo] = {}
_seen: weakref.WeakSet[Any] = weakref.WeakSet()


def graph_info(name: str | None) -> GraphInfo | None:
    """The registered shape of the graph named ``name``."""
    if name is None:
        return None
    return _graphs.get(name)


def is_graph(name: str | None) -> bool:
    """Whether a LangGraph graph of that name was registered."""
    return name is not None and name in _graphs


def clear() -> None:
    """Forget every registered graph (on ``uninstrument``)."""
    with _lock:
        _graphs.clear()
        _seen.clear()


def _run_name(path: Any) -> str | None:
    name = getattr(path, "name", None)
    if isinstance(name, str) and name:
        return name
    get_name = getattr(path, "get_name", None)
    if callable(get_name):
        value = get_name()
        return value if isinstance(value, str) else None
    return None


def register(graph: Any, run_name: Any = None) -> None:
    """Record the edges and branches of a compiled graph under its name (and ``run_name`` when given)."""
    try:
        if graph in _seen and run_name is None:
            return
    except TypeError:  # not weak-referenceable / hashable: register each time
        pass
    builder = getattr(graph, "builder", None)
    get_name = getattr(graph, "get_name", None)
    if builder is None or not callable(get_name):
        return
    names = {str(get_name())}
    if isinstance(run_name, str):
        names.add(run_name)
    info = GraphInfo()
    for edge in getattr(builder, "edges", ()) or ():
        if isinstance(edge, tuple) and len(edge) == 2:
            info.edges.add((str(edge[0]), str(edge[1])))
    for starts, end in getattr(builder, "waiting_edges", ()) or ():
        for start in starts:
            info.edges.add((str(start), str(end)))
    branches = getattr(builder, "branches", None) or {}
    for source, by_name in branches.items():
        for key, spec in by_name.items():
            ends = getattr(spec, "ends", None)
            branch = Branch(str(key), dict(ends) if ends else None)
            info.branches[(str(source), str(key))] = branch
            path_name = _run_name(getattr(spec, "path", None))
            if path_name:
                info.branches[(str(source), path_name)] = branch
    with _lock:
        for name in names:
            known = _graphs.get(name)
            if known is None:
                _graphs[name] = GraphInfo(set(info.edges), dict(info.branches))
            else:
                known.edges |= info.edges
                known.branches.update(info.branches)
        with contextlib.suppress(TypeError):
            _seen.add(graph)


class StreamWrapper:
    """Wraps ``Pregel.stream`` and ``Pregel.astream``: registers the graph, then calls through unchanged."""

    __slots__ = ()

    def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        with handle_internal_errors("langgraph.Pregel.stream"):
            config = kwargs.get("config", args[1] if len(args) > 1 else None)
            run_name = config.get("run_name") if isinstance(config, Mapping) else None
            register(instance, run_name)
        return wrapped(*args, **kwargs)

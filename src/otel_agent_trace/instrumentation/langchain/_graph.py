"""What the callbacks cannot tell: the static shape of the LangGraph graphs that run (edges, conditional branches).

LangGraph callbacks name the graph (the root run's name), its nodes and its router functions, but not the branch
targets a router may pick. ``Pregel.stream``/``astream`` (which ``invoke``/``ainvoke`` call) are wrapped so that,
before a graph runs, its builder's edges and branches are registered here under the graph's name. Compiled graphs
are registered once (weakly remembered).

Checkpoints: when a graph that runs has a checkpointer, its class's ``put``/``aput`` are wrapped (once per class)
so that every checkpoint saved while a span is current is recorded on that span as an ``agent_trace.state_snapshot``
event (label ``langgraph_checkpoint``): ``thread_id``, ``checkpoint_ns``, ``checkpoint_id``, the superstep it
closes, the nodes that run next, the state hash, and with content capture the channel values as working memory.
The event's time is the checkpoint's own ``ts``, so ``diagnose()`` can pick the checkpoint before a root cause and
the agent can resume from it. The span is the one current when the graph was invoked on that thread (an
``agent_run``), else the one current when the checkpoint is saved (the parent node, for a subgraph); a graph
invoked under no span records no checkpoint (its own ``invoke_agent`` span is not made current by the callbacks).
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.utils import unwrap
from wrapt import wrap_function_wrapper

from otel_agent_trace._internal.context import is_enabled
from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace._internal.serialize import content_hash, safe_json_dumps
from otel_agent_trace._internal.settings import capture_content
from otel_agent_trace.semconv import state as S

END = "__end__"
START = "__start__"
CHECKPOINT_LABEL = "langgraph_checkpoint"
"""``agent_trace.state.label`` of the snapshots that record a LangGraph checkpoint."""
_BRANCH = "branch:to:"


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
_savers: set[type] = set()
"""Checkpointer classes whose ``put``/``aput`` are wrapped."""
_targets: OrderedDict[tuple[int, str], Any] = OrderedDict()
"""(checkpointer id, thread id) -> the span current when the graph was invoked on that thread (bounded)."""
_MAX_TARGETS = 1024
_saving: contextvars.ContextVar[bool] = contextvars.ContextVar("otel_agent_trace_langgraph_saving", default=False)
"""True inside a wrapped ``put``/``aput``: an ``aput`` that calls ``put`` (``MemorySaver``) is recorded once."""


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
        savers = list(_savers)
        _savers.clear()
        _targets.clear()
    for cls in savers:
        for method in ("put", "aput"):
            with handle_internal_errors("langgraph checkpointer unwrap"):
                unwrap(cls, method)


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
            saver = getattr(instance, "checkpointer", None)
            watch_checkpointer(saver)
            configurable = config.get("configurable") if isinstance(config, Mapping) else None
            thread_id = configurable.get("thread_id") if isinstance(configurable, Mapping) else None
            span = trace.get_current_span()
            if thread_id is not None and saver is not None and span.is_recording():
                with _lock:
                    _targets[(id(saver), str(thread_id))] = span
                    _targets.move_to_end((id(saver), str(thread_id)))
                    while len(_targets) > _MAX_TARGETS:
                        _targets.popitem(last=False)
        return wrapped(*args, **kwargs)


def watch_checkpointer(saver: Any) -> None:
    """Wrap the ``put``/``aput`` of ``saver``'s class (once) so that saved checkpoints are recorded."""
    if saver is None or isinstance(saver, bool) or not callable(getattr(saver, "put", None)):
        return
    cls = type(saver)
    with _lock:
        if cls in _savers:
            return
        _savers.add(cls)
    wrap_function_wrapper(cls, "put", _PutWrapper())
    if callable(getattr(cls, "aput", None)):
        wrap_function_wrapper(cls, "aput", _AsyncPutWrapper())


class _PutWrapper:
    """``BaseCheckpointSaver.put``: saves, then records the checkpoint on the current span."""

    __slots__ = ()

    def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if _saving.get():
            return wrapped(*args, **kwargs)
        token = _saving.set(True)
        try:
            saved = wrapped(*args, **kwargs)
        finally:
            _saving.reset(token)
        if is_enabled():
            with handle_internal_errors("langgraph checkpointer put"):
                record_checkpoint(saved, *_put_arguments(args, kwargs), _target(instance, saved))
        return saved


class _AsyncPutWrapper:
    """``BaseCheckpointSaver.aput``: the async twin of `_PutWrapper`."""

    __slots__ = ()

    async def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if _saving.get():
            return await wrapped(*args, **kwargs)
        token = _saving.set(True)
        try:
            saved = await wrapped(*args, **kwargs)
        finally:
            _saving.reset(token)
        if is_enabled():
            with handle_internal_errors("langgraph checkpointer aput"):
                record_checkpoint(saved, *_put_arguments(args, kwargs), _target(instance, saved))
        return saved


def _target(saver: Any, saved: Any) -> Any:
    """The span to record a top-graph checkpoint on: the one current when its thread's graph was invoked.

    A checkpoint saved in a background task (``ainvoke``) may run in the context of a node whose span has ended.
    """
    configurable = saved.get("configurable") if isinstance(saved, Mapping) else None
    if not isinstance(configurable, Mapping) or configurable.get("checkpoint_ns"):
        return None
    with _lock:
        span = _targets.get((id(saver), str(configurable.get("thread_id"))))
    return span if span is not None and span.is_recording() else None


def _put_arguments(args: Any, kwargs: Any) -> tuple[Any, Any]:
    """(checkpoint, metadata) of a ``put(config, checkpoint, metadata, new_versions)`` call."""
    checkpoint = kwargs.get("checkpoint", args[1] if len(args) > 1 else None)
    metadata = kwargs.get("metadata", args[2] if len(args) > 2 else None)
    return checkpoint, metadata


def _time_ns(checkpoint: Mapping[str, Any]) -> int:
    stamp = checkpoint.get("ts")
    if isinstance(stamp, str):
        with contextlib.suppress(ValueError):
            return int(datetime.fromisoformat(stamp).timestamp() * 1e9)
    return time.time_ns()


def record_checkpoint(saved: Any, checkpoint: Any, metadata: Any, target: Any = None) -> None:
    """Add the checkpoint ``put`` saved (``saved`` is the config it returned) as a snapshot event.

    On ``target`` (the span the graph was invoked under) when given, else on the current span.
    """
    span = target if target is not None else trace.get_current_span()
    if not span.is_recording() or not isinstance(saved, Mapping) or not isinstance(checkpoint, Mapping):
        return
    configurable = saved.get("configurable")
    if not isinstance(configurable, Mapping) or not configurable.get("checkpoint_id"):
        return
    values = checkpoint.get("channel_values")
    values = values if isinstance(values, Mapping) else {}
    state = {str(k): v for k, v in values.items() if not str(k).startswith((_BRANCH, "__"))}
    attributes: dict[str, Any] = {
        S.STATE_LABEL: CHECKPOINT_LABEL,
        S.STATE_CHECKPOINT_ID: str(configurable["checkpoint_id"]),
        S.STATE_CHECKPOINT_THREAD_ID: str(configurable.get("thread_id", "")),
        S.STATE_CHECKPOINT_NS: str(configurable.get("checkpoint_ns") or ""),
        S.STATE_CHECKPOINT_NEXT: [str(k)[len(_BRANCH) :] for k in values if str(k).startswith(_BRANCH)]
        or [str(k) for k in values if k == START],
        S.STATE_HASH: content_hash(state),
    }
    step = metadata.get("step") if isinstance(metadata, Mapping) else None
    if isinstance(step, int) and not isinstance(step, bool):
        attributes[S.STATE_CHECKPOINT_STEP] = step
    if capture_content():
        attributes[S.STATE_WORKING_MEMORY] = safe_json_dumps(state)
    span.add_event(S.STATE_EVENT_NAME, attributes, timestamp=_time_ns(checkpoint))

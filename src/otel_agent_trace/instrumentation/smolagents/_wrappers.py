"""The wrappers of the smolagents instrumentor: where each traced smolagents method starts its span.

smolagents runs an agent as nested generators: ``run`` -> ``_run_stream`` -> ``_step_stream`` (and
``_generate_planning_step``), with ``Model.generate_stream`` under them when ``stream_outputs`` is on. The span
scopes are in `_scopes`, the generator proxy that keeps a span current while its generator runs in `_proxy`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from opentelemetry.trace import SpanKind

from otel_agent_trace._internal.context import (
    RunState,
    current_run,
    is_enabled,
    is_llm_instrumentation_enabled,
    propagate_context,
)
from otel_agent_trace._internal.errors import guarded
from otel_agent_trace._internal.serialize import safe_json_dumps
from otel_agent_trace.instrumentation.smolagents import _extract as X
from otel_agent_trace.instrumentation.smolagents._config import Config, Patcher
from otel_agent_trace.instrumentation.smolagents._proxy import _call
from otel_agent_trace.instrumentation.smolagents._scopes import (
    _PLANNING,
    _REASONING,
    _RESPONSE,
    _ChatScope,
    _current_run,
    _current_tool,
    _RunScope,
    _StepScope,
    _ToolScope,
)
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import gen_ai as G


def _argument(args: tuple[Any, ...], kwargs: Mapping[str, Any], position: int, name: str) -> Any:
    return args[position] if len(args) > position else kwargs.get(name)


class RunWrapper:
    """``MultiStepAgent.run``: the ``invoke_agent {agent}`` span (a sub-agent's names its parent)."""

    __slots__ = ("_config",)

    def __init__(self, config: Config) -> None:
        self._config = config

    def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if not is_enabled():
            return wrapped(*args, **kwargs)
        outer = _current_run.get()
        if outer is not None and outer.agent is instance:  # an override calling ``super().run``
            return wrapped(*args, **kwargs)
        scope = _start_run(self._config, instance, args, kwargs)
        if scope is None:
            return wrapped(*args, **kwargs)
        return _call(scope, wrapped, args, kwargs)


@guarded()
def _start_run(config: Config, agent: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> _RunScope | None:
    config.patcher.cover(agent)
    outer = current_run()
    parent = outer if outer is not None and outer.agent_name is not None else None  # not a session's counter
    name = X.agent_name(agent)
    run = RunState(agent_name=name, parent=parent)
    attributes = X.run_attributes(agent, name, run.run_id, parent.agent_name if parent is not None else None)
    if config.capture():
        attributes[A.AGENT_STEP_INPUT] = safe_json_dumps(_argument(args, kwargs, 0, "task"))
    span = config.tracer.start_span(f"{X.INVOKE_AGENT} {name}", kind=SpanKind.INTERNAL, attributes=attributes)
    return _RunScope(config, span, agent, name, run)


class StepWrapper:
    """``_step_stream`` / ``_generate_planning_step`` / ``provide_final_answer``: a ``step {index}`` span."""

    __slots__ = ("_action_type", "_config", "_name")

    def __init__(self, config: Config, name: str, action_type: str) -> None:
        self._config = config
        self._name = name
        self._action_type = action_type

    def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        run_scope = _current_run.get() if is_enabled() else None
        if run_scope is None or run_scope.agent is not instance or run_scope.step is not None:
            return wrapped(*args, **kwargs)  # outside a run, or an override calling ``super()``
        scope = _start_step(self._config, run_scope, self._name, self._action_type, args, kwargs)
        if scope is None:
            return wrapped(*args, **kwargs)
        return _call(scope, wrapped, args, kwargs)


@guarded()
def _start_step(
    config: Config, run_scope: _RunScope, name: str, action_type: str, args: tuple[Any, ...], kwargs: Any
) -> _StepScope | None:
    index = run_scope.run.next_step()
    attributes = X.step_attributes(index, name, action_type, run_scope.run.run_id, run_scope.name)
    memory_step = _argument(args, kwargs, 0, "memory_step") if name == "action" else None
    number = getattr(memory_step, "step_number", None)
    if isinstance(number, int):
        attributes[A.AGENT_STEP_NAME] = f"action {number}"
    span = config.tracer.start_span(f"step {index}", kind=SpanKind.INTERNAL, attributes=attributes)
    scope = _StepScope(config, span, run_scope, action_type, memory_step)
    run_scope.step = scope
    return scope


class ToolWrapper:
    """``Tool.__call__``: the ``execute_tool {name}`` span."""

    __slots__ = ("_config",)

    def __init__(self, config: Config) -> None:
        self._config = config

    def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if not is_enabled() or _current_tool.get() is instance:
            return wrapped(*args, **kwargs)
        scope = _start_tool(self._config, instance, args, kwargs)
        if scope is None:
            return wrapped(*args, **kwargs)
        tokens = scope.enter()
        try:
            result = wrapped(*args, **kwargs)
        except Exception as exc:
            scope.fail(exc)
            raise
        finally:
            scope.leave(tokens)
        scope.finish(result)
        return result


@guarded()
def _start_tool(config: Config, tool: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> _ToolScope | None:
    raw_name = getattr(tool, "name", None)
    name = raw_name if isinstance(raw_name, str) and raw_name else type(tool).__name__
    run_scope = _current_run.get()
    step = run_scope.step if run_scope is not None else None
    call_id = None
    if step is not None:
        named = {key: value for key, value in kwargs.items() if key != "sanitize_inputs_outputs"}
        call_id = step.take_call_id(name, named if named or not args else args[0])
    attributes = X.tool_attributes(tool, name, call_id)
    if run_scope is not None:
        attributes[G.GEN_AI_AGENT_NAME] = run_scope.name
    if config.capture():
        attributes[G.GEN_AI_TOOL_CALL_ARGUMENTS] = X.tool_arguments(args, kwargs)
    start_ns = time.time_ns()
    span = config.tracer.start_span(
        f"{X.EXECUTE_TOOL} {name}", kind=SpanKind.INTERNAL, attributes=attributes, start_time=start_ns
    )
    return _ToolScope(config, span, tool, name, call_id, start_ns)


class GenerateWrapper:
    """``Model.generate`` / ``Model.generate_stream`` of every smolagents model: the ``chat {model}`` span."""

    __slots__ = ("_config", "_stream")

    def __init__(self, config: Config, stream: bool) -> None:
        self._config = config
        self._stream = stream

    def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if not is_enabled() or not is_llm_instrumentation_enabled():
            return wrapped(*args, **kwargs)  # inside our own chat span (``__call__``, ``super().generate``...)
        scope = _start_chat(self._config, instance, args, kwargs, self._stream)
        if scope is None:
            return wrapped(*args, **kwargs)
        return _call(scope, wrapped, args, kwargs)


@guarded()
def _start_chat(
    config: Config, model: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any], stream: bool
) -> _ChatScope | None:
    capture = config.capture()
    model_id = getattr(model, "model_id", None)
    attributes = X.chat_attributes(
        model,
        model_id,
        _argument(args, kwargs, 1, "stop_sequences"),
        stream=stream,
        capture=capture,
        messages=_argument(args, kwargs, 0, "messages"),
        tools=_argument(args, kwargs, 3, "tools_to_call_from"),
    )
    name = f"{X.CHAT} {model_id}" if isinstance(model_id, str) and model_id else X.CHAT
    span = config.tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes)
    return _ChatScope(config, span, capture, stream)


class TimeoutWrapper:
    """``local_python_executor.timeout``: the code a ``CodeAgent`` runs in its timeout thread keeps our context.

    ``timeout(seconds)`` returns a decorator that runs the code in a ``ThreadPoolExecutor`` worker; the decorated
    function is bound to a copy of the caller's context, so the tool spans of the code sit under their step.
    """

    __slots__ = ()

    def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        decorate = wrapped(*args, **kwargs)
        if not is_enabled():
            return decorate

        def decorate_in_context(func: Callable[..., Any]) -> Any:
            return decorate(propagate_context(func))

        return decorate_in_context


def install(patcher: Patcher, config: Config) -> None:
    """Wrap the smolagents methods: agent runs and steps, tool calls, model calls."""
    from smolagents import local_python_executor
    from smolagents.agents import MultiStepAgent
    from smolagents.models import Model
    from smolagents.tools import Tool

    patcher.agent_methods = {
        "_step_stream": StepWrapper(config, "action", _REASONING),
        "_generate_planning_step": StepWrapper(config, "planning", _PLANNING),
        "provide_final_answer": StepWrapper(config, "final_answer", _RESPONSE),
    }
    patcher.model_methods = {
        "generate": GenerateWrapper(config, False),
        "generate_stream": GenerateWrapper(config, True),
    }
    patcher.wrap_tree(MultiStepAgent, "run", RunWrapper(config))
    for name, wrapper in patcher.agent_methods.items():
        patcher.wrap_tree(MultiStepAgent, name, wrapper)
    for name, wrapper in patcher.model_methods.items():
        patcher.wrap_tree(Model, name, wrapper)
    patcher.wrap_tree(Tool, "__call__", ToolWrapper(config))
    patcher.wrap_attribute(local_python_executor, "timeout", TimeoutWrapper())

"""The wrappers of the CrewAI instrumentor: crew runs, tasks, agents, tools and LLM calls.

Each wrapper opens its span, makes it current and runs the wrapped call once, outside our error handling. What a
task step did (tools, LLM calls, a delegation) is collected in a `_Step` held in a context variable, so the step's
``agent_trace.step.action_type`` is known when it ends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opentelemetry import trace

from otel_agent_trace._internal.context import (
    is_enabled,
    is_llm_instrumentation_enabled,
)
from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace.instrumentation.crewai import _extract as X
from otel_agent_trace.instrumentation.crewai._scopes import (
    _agent_output,
    _agent_scope,
    _arg,
    _crew_output,
    _crew_scope,
    _crew_traced,
    _end,
    _fail,
    _finish_llm,
    _is_retry,
    _llm,
    _start_llm,
    _start_tool,
    _task_output,
    _task_scope,
)


class Config:
    """What every wrapper of one ``instrument()`` call shares."""

    __slots__ = ("capture", "capture_http", "tracer")

    def __init__(self, tracer: trace.Tracer, capture: Callable[[], bool], capture_http: bool) -> None:
        self.tracer = tracer
        self.capture = capture
        self.capture_http = capture_http


# --- crew runs --------------------------------------------------------------------------------------------------------


class KickoffWrapper:
    """``Crew.kickoff``: one ``invoke_workflow {crew}`` span per run."""

    __slots__ = ("_config",)

    def __init__(self, config: Config) -> None:
        self._config = config

    def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if not is_enabled() or not _crew_traced(instance):
            return wrapped(*args, **kwargs)
        with _crew_scope(self._config, instance, _arg(args, kwargs, 0, "inputs")) as span:
            result = wrapped(*args, **kwargs)
            _crew_output(self._config, span, result)
            return result


class AsyncKickoffWrapper:
    """``Crew.kickoff_async`` / ``Crew.akickoff``."""

    __slots__ = ("_config",)

    def __init__(self, config: Config) -> None:
        self._config = config

    async def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if not is_enabled() or not _crew_traced(instance):
            return await wrapped(*args, **kwargs)
        with _crew_scope(self._config, instance, _arg(args, kwargs, 0, "inputs")) as span:
            result = await wrapped(*args, **kwargs)
            _crew_output(self._config, span, result)
            return result


# --- tasks ------------------------------------------------------------------------------------------------------------


class TaskWrapper:
    """``Task._execute_core``: one ``step {task}`` span per task execution."""

    __slots__ = ("_config",)

    def __init__(self, config: Config) -> None:
        self._config = config

    def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if not is_enabled():
            return wrapped(*args, **kwargs)
        with _task_scope(self._config, instance, args, kwargs) as span:
            result = wrapped(*args, **kwargs)
            _task_output(self._config, span, result)
            return result


class AsyncTaskWrapper:
    """``Task._aexecute_core``."""

    __slots__ = ("_config",)

    def __init__(self, config: Config) -> None:
        self._config = config

    async def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if not is_enabled():
            return await wrapped(*args, **kwargs)
        with _task_scope(self._config, instance, args, kwargs) as span:
            result = await wrapped(*args, **kwargs)
            _task_output(self._config, span, result)
            return result


# --- agents -----------------------------------------------------------------------------------------------------------


class AgentWrapper:
    """``Agent.execute_task``: one ``invoke_agent {role}`` span; a coworker called by another agent is its child."""

    __slots__ = ("_config",)

    def __init__(self, config: Config) -> None:
        self._config = config

    def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if not is_enabled() or _is_retry(instance, _arg(args, kwargs, 0, "task")):
            return wrapped(*args, **kwargs)
        with _agent_scope(self._config, instance, args, kwargs) as span:
            result = wrapped(*args, **kwargs)
            _agent_output(self._config, span, result)
            return result


class AsyncAgentWrapper:
    """``Agent.aexecute_task``."""

    __slots__ = ("_config",)

    def __init__(self, config: Config) -> None:
        self._config = config

    async def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if not is_enabled() or _is_retry(instance, _arg(args, kwargs, 0, "task")):
            return await wrapped(*args, **kwargs)
        with _agent_scope(self._config, instance, args, kwargs) as span:
            result = await wrapped(*args, **kwargs)
            _agent_output(self._config, span, result)
            return result


# --- tools ------------------------------------------------------------------------------------------------------------


def run_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return {"args": list(args), **kwargs} if args else kwargs


def invoke_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return _arg(args, kwargs, 0, "input")


class ToolWrapper:
    """``BaseTool.run`` / ``Tool.run`` (native function calling) and ``CrewStructuredTool.invoke`` (ReAct)."""

    __slots__ = ("_arguments", "_config")

    def __init__(self, config: Config, arguments: Callable[[tuple[Any, ...], dict[str, Any]], Any]) -> None:
        self._config = config
        self._arguments = arguments

    def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if not is_enabled():
            return wrapped(*args, **kwargs)
        call = _start_tool(self._config, instance, self._arguments(args, kwargs))
        if call is None:
            return wrapped(*args, **kwargs)
        try:
            result = wrapped(*args, **kwargs)
        except Exception as exc:
            call.fail(exc)
            raise
        call.finish(result)
        return result


class AsyncToolWrapper:
    """``BaseTool.arun`` / ``Tool.arun`` / ``CrewStructuredTool.ainvoke``."""

    __slots__ = ("_arguments", "_config")

    def __init__(self, config: Config, arguments: Callable[[tuple[Any, ...], dict[str, Any]], Any]) -> None:
        self._config = config
        self._arguments = arguments

    async def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if not is_enabled():
            return await wrapped(*args, **kwargs)
        call = _start_tool(self._config, instance, self._arguments(args, kwargs))
        if call is None:
            return await wrapped(*args, **kwargs)
        try:
            result = await wrapped(*args, **kwargs)
        except Exception as exc:
            call.fail(exc)
            raise
        call.finish(result)
        return result


# --- LLM calls --------------------------------------------------------------------------------------------------------


class LLMCallWrapper:
    """``call`` of ``crewai.LLM`` and of each native provider class: one ``chat {model}`` CLIENT span.

    The provider SDK call CrewAI makes runs inside ``suppress_llm_instrumentation()``, so our openai, anthropic and
    litellm instrumentors add no second span for the same call.
    """

    __slots__ = ("_config",)

    def __init__(self, config: Config) -> None:
        self._config = config

    def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if not is_enabled() or not is_llm_instrumentation_enabled():
            return wrapped(*args, **kwargs)
        span, stack = _start_llm(self._config, instance, args, kwargs)
        try:
            result = wrapped(*args, **kwargs)
        except Exception as exc:
            _fail(span, exc, "crewai.llm.fail")
            _end(span, stack)
            raise
        _finish_llm(self._config, span, stack, result)
        return result


class AsyncLLMCallWrapper:
    """``acall`` of ``crewai.LLM`` and of each native provider class."""

    __slots__ = ("_config",)

    def __init__(self, config: Config) -> None:
        self._config = config

    async def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if not is_enabled() or not is_llm_instrumentation_enabled():
            return await wrapped(*args, **kwargs)
        span, stack = _start_llm(self._config, instance, args, kwargs)
        try:
            result = await wrapped(*args, **kwargs)
        except Exception as exc:
            _fail(span, exc, "crewai.llm.fail")
            _end(span, stack)
            raise
        _finish_llm(self._config, span, stack, result)
        return result


class CallCompletedWrapper:
    """``BaseLLM._emit_call_completed_event``: the usage, finish reason and response id the provider reported."""

    __slots__ = ()

    def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        scope = _llm.get()
        if scope is not None and scope.llm is instance:
            with handle_internal_errors("crewai.llm.completed"):
                scope.span.set_attributes(
                    X.completed_event_attributes(
                        kwargs.get("usage"), kwargs.get("finish_reason"), kwargs.get("response_id")
                    )
                )
        return wrapped(*args, **kwargs)

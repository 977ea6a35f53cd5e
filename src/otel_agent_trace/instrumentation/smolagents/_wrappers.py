"""The wrappers of the smolagents instrumentor and the span scopes they drive.

smolagents runs an agent as nested generators: ``run`` -> ``_run_stream`` -> ``_step_stream`` (and
``_generate_planning_step``), with ``Model.generate_stream`` under them when ``stream_outputs`` is on. A generator's
body runs only while it is being iterated, so a traced generator is returned as a `TracedGenerator` proxy that makes
its span (and the run, tool and LLM-suppression context that goes with it) current for each ``next()`` / ``send()``
/ ``throw()``, and ends the span exactly once: exhausted, raised, closed, or garbage-collected unread.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from types import GeneratorType
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.instrumentation.utils import unwrap
from opentelemetry.trace import Span, SpanKind
from wrapt import ObjectProxy, wrap_function_wrapper

from otel_agent_trace._internal.context import (
    RunState,
    ToolScope,
    attach_span,
    current_run,
    is_enabled,
    is_llm_instrumentation_enabled,
    propagate_context,
    suppress_llm_instrumentation,
    use_run,
    use_tool,
)
from otel_agent_trace._internal.errors import guarded, handle_internal_errors, log_internal_error
from otel_agent_trace._internal.replay import mark_result_kind
from otel_agent_trace._internal.serialize import safe_json_dumps
from otel_agent_trace._internal.tracing import error_event_attributes, record_failure
from otel_agent_trace.instrumentation.smolagents import _extract as X
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import error as E
from otel_agent_trace.semconv import gen_ai as G
from otel_agent_trace.semconv import tool as T

if TYPE_CHECKING:
    _ProxyBase = ObjectProxy[Any]  # wrapt 2 ships generic stubs; the runtime class is not subscriptable
else:
    _ProxyBase = ObjectProxy

_Tokens = list[Any]

_STEP_HANDLER = "next_step"
"""``agent_trace.error.handler`` of a step error the agent loop goes on from (the model sees it in its memory)."""
_MAX_STEPS_HANDLER = "provide_final_answer"
"""``agent_trace.error.handler`` of ``AgentMaxStepsError``: the agent asks the model for a final answer instead."""

_REASONING = A.AgentStepActionTypeValues.REASONING.value
_TOOL_CALL = A.AgentStepActionTypeValues.TOOL_CALL.value
_RESPONSE = A.AgentStepActionTypeValues.RESPONSE.value
_PLANNING = A.AgentStepActionTypeValues.PLANNING.value


class Config:
    """What every wrapper needs: the tracer, the content switch, and the smolagents classes it tests against."""

    __slots__ = (
        "action_output_cls",
        "agent_error",
        "capture",
        "capture_http",
        "final_answer_step_cls",
        "generation_error",
        "max_steps_error",
        "patcher",
        "planning_step_cls",
        "tool_call_cls",
        "tracer",
    )

    def __init__(self, tracer: trace.Tracer, capture: Callable[[], bool], capture_http: bool, patcher: Patcher) -> None:
        from smolagents.agents import ActionOutput
        from smolagents.memory import FinalAnswerStep, PlanningStep, ToolCall
        from smolagents.utils import AgentError, AgentGenerationError, AgentMaxStepsError

        self.tracer = tracer
        self.capture = capture
        self.capture_http = capture_http
        self.patcher = patcher
        self.agent_error: type[BaseException] = AgentError
        self.generation_error: type[BaseException] = AgentGenerationError
        self.max_steps_error: type[BaseException] = AgentMaxStepsError
        self.tool_call_cls: type = ToolCall
        self.action_output_cls: type = ActionOutput
        self.final_answer_step_cls: type = FinalAnswerStep
        self.planning_step_cls: type = PlanningStep


# --- scopes ---------------------------------------------------------------------------------------------------


class _Scope:
    """A span and the context it makes current while the traced code runs; ends once."""

    __slots__ = ("config", "ended", "span")
    where = "smolagents.scope"

    def __init__(self, config: Config, span: Span) -> None:
        self.config = config
        self.span = span
        self.ended = False

    def _managers(self) -> tuple[AbstractContextManager[Any], ...]:
        return ()

    def _suppress_http(self) -> bool:
        return False

    def enter(self) -> _Tokens:
        """Make the span (and this scope's context) current; returns what `leave` needs."""
        tokens: _Tokens = []
        with handle_internal_errors(f"{self.where}.enter"):
            tokens.append(attach_span(self.span, suppress_http=self._suppress_http()))
            for manager in self._managers():
                manager.__enter__()
                tokens.append(manager)
        return tokens

    def leave(self, tokens: _Tokens) -> None:
        """Undo `enter`, innermost first."""
        with handle_internal_errors(f"{self.where}.leave"):
            for token in reversed(tokens):
                if isinstance(token, contextvars.Token):
                    otel_context.detach(token)
                else:
                    token.__exit__(None, None, None)

    def on_item(self, item: Any) -> None:
        """Record one item a traced generator yielded."""

    def _finish_attributes(self, result: Any) -> None:
        """Subclass hook: set what the successful end tells."""

    def _end(self) -> None:
        self.ended = True
        self.span.end()

    def finish(self, result: Any = None) -> None:
        """The traced call returned (or its generator was exhausted): record the outcome and end the span."""
        if self.ended:
            return
        with handle_internal_errors(f"{self.where}.finish"):
            self._finish_attributes(result)
        self._end()

    def fail(self, exc: BaseException) -> None:
        """The traced call raised ``exc``: record it (status ERROR, ``error.type``) and end the span."""
        if self.ended:
            return
        with handle_internal_errors(f"{self.where}.fail"):
            record_failure(self.span, exc)
            self._failed(exc)
        self._end()

    def _failed(self, exc: BaseException) -> None:
        """Subclass hook: what else a failure tells."""

    def abandon(self) -> None:
        """The traced generator was closed or dropped unfinished: end the span as it is."""
        if not self.ended:
            self._end()


_current_run: contextvars.ContextVar[_RunScope | None] = contextvars.ContextVar(
    "otel_agent_trace_smolagents_run", default=None
)
_current_tool: contextvars.ContextVar[object | None] = contextvars.ContextVar(
    "otel_agent_trace_smolagents_tool", default=None
)


class _RunScope(_Scope):
    """One ``MultiStepAgent.run``: the ``invoke_agent`` span, its `RunState`, its step in progress."""

    __slots__ = ("agent", "errors_seen", "name", "output", "run", "started", "step")
    where = "smolagents.run"

    def __init__(self, config: Config, span: Span, agent: Any, name: str, run: RunState) -> None:
        super().__init__(config, span)
        self.agent = agent
        self.name = name
        self.run = run
        self.step: _StepScope | None = None
        self.errors_seen: set[int] = set()
        self.started = time.time()
        self.output: Any = _NOTHING

    def enter(self) -> _Tokens:
        tokens = super().enter()
        with handle_internal_errors(f"{self.where}.enter"):
            tokens.append(_ContextVarReset(_current_run, _current_run.set(self)))
            manager = use_run(self.run)
            manager.__enter__()
            tokens.append(manager)
        return tokens

    def on_item(self, item: Any) -> None:
        if isinstance(item, self.config.final_answer_step_cls):
            self.output = getattr(item, "output", None)

    def handled_error(self, error: BaseException, handler: str) -> None:
        """An ``agent_trace.error`` event (``handled=True``) for an error the agent went on from."""
        if id(error) in self.errors_seen:
            return
        self.errors_seen.add(id(error))
        self.span.add_event(E.ERROR_EVENT_NAME, error_event_attributes(error, handled=True, handler=handler))
        self.span.set_attribute(E.ERROR_HANDLED, True)

    def _finish_attributes(self, result: Any) -> None:
        config = self.config
        # Errors the loop swallowed outside a step (final answer checks, max steps): read back from the memory.
        steps = getattr(getattr(self.agent, "memory", None), "steps", None)
        if isinstance(steps, list):
            for memory_step in steps:
                error = getattr(memory_step, "error", None)
                if not isinstance(error, config.agent_error):
                    continue
                start = getattr(getattr(memory_step, "timing", None), "start_time", None)
                if isinstance(start, float) and start < self.started:
                    continue  # a step of an earlier run (``reset=False``)
                handler = _MAX_STEPS_HANDLER if isinstance(error, config.max_steps_error) else _STEP_HANDLER
                self.handled_error(error, handler)
        if config.capture():
            output = self.output if self.output is not _NOTHING else getattr(result, "output", result)
            self.span.set_attribute(A.AGENT_STEP_OUTPUT, safe_json_dumps(output))


class _ContextVarReset:
    """`_Scope.leave` token of a plain ``ContextVar.set``."""

    __slots__ = ("token", "var")

    def __init__(self, var: contextvars.ContextVar[Any], token: contextvars.Token[Any]) -> None:
        self.var = var
        self.token = token

    def __exit__(self, *exc_info: Any) -> None:
        self.var.reset(self.token)


_NOTHING: Any = object()


class _StepScope(_Scope):
    """One agent step (action, planning, final answer): the ``step {index}`` span and the tool calls it asked for."""

    __slots__ = ("action_type", "lock", "memory_step", "pending", "run_scope")
    where = "smolagents.step"

    def __init__(self, config: Config, span: Span, run_scope: _RunScope, action_type: str, memory_step: Any) -> None:
        super().__init__(config, span)
        self.run_scope = run_scope
        self.action_type = action_type
        self.memory_step = memory_step
        self.pending: dict[str, list[tuple[str, Any]]] = {}
        self.lock = threading.Lock()

    def on_item(self, item: Any) -> None:
        config = self.config
        if isinstance(item, config.tool_call_cls):
            if self.action_type != _RESPONSE:
                self.action_type = _TOOL_CALL
            name, call_id = getattr(item, "name", None), getattr(item, "id", None)
            if isinstance(name, str) and isinstance(call_id, str):
                with self.lock:
                    self.pending.setdefault(name, []).append((call_id, getattr(item, "arguments", None)))
        elif isinstance(item, config.action_output_cls) and getattr(item, "is_final_answer", False):
            self.action_type = _RESPONSE
        elif isinstance(item, config.planning_step_cls):
            self.memory_step = item

    def take_call_id(self, tool_name: str, arguments: Any) -> str | None:
        """The id of the call of ``tool_name`` with ``arguments`` this step asked for (else its next one, or None).

        Parallel calls of one tool run in threads in any order: the arguments tell them apart.
        """
        with self.lock:
            calls = self.pending.get(tool_name)
            if not calls:
                return None
            index = next((i for i, call in enumerate(calls) if call[1] == arguments), 0)
            return calls.pop(index)[0]

    def _end(self) -> None:
        if self.run_scope.step is self:
            self.run_scope.step = None
        super()._end()

    def _finish_attributes(self, result: Any) -> None:
        self.span.set_attribute(A.AGENT_STEP_ACTION_TYPE, self.action_type)
        if self.config.capture():
            self._content(result)

    def _content(self, result: Any) -> None:
        memory_step = self.memory_step
        if memory_step is None:  # ``provide_final_answer`` returns the model's message
            content = getattr(result, "content", None)
            if content is not None:
                self.span.set_attribute(A.AGENT_STEP_OUTPUT, safe_json_dumps(content))
            return
        code = getattr(memory_step, "code_action", None)
        if code:
            self.span.set_attribute(A.AGENT_STEP_INPUT, safe_json_dumps(code))
        output = getattr(memory_step, "observations", None) or getattr(memory_step, "plan", None)
        if output:
            self.span.set_attribute(A.AGENT_STEP_OUTPUT, safe_json_dumps(output))

    def _failed(self, exc: BaseException) -> None:
        self.span.set_attribute(A.AGENT_STEP_ACTION_TYPE, self.action_type)
        config = self.config
        if isinstance(exc, config.agent_error) and not isinstance(exc, config.generation_error):
            self.run_scope.handled_error(exc, _STEP_HANDLER)  # ``_run_stream`` keeps it in memory and goes on


class _ToolScope(_Scope):
    """One ``Tool.__call__``: the ``execute_tool`` span, with the tool made current for HTTP spans under it."""

    __slots__ = ("call_id", "name", "start_ns", "tool")
    where = "smolagents.tool"

    def __init__(self, config: Config, span: Span, tool: Any, name: str, call_id: str | None, start_ns: int) -> None:
        super().__init__(config, span)
        self.tool = tool
        self.name = name
        self.call_id = call_id
        self.start_ns = start_ns

    def enter(self) -> _Tokens:
        tokens = super().enter()
        with handle_internal_errors(f"{self.where}.enter"):
            tokens.append(_ContextVarReset(_current_tool, _current_tool.set(self.tool)))
            manager = use_tool(ToolScope(self.name, self.call_id))
            manager.__enter__()
            tokens.append(manager)
        return tokens

    def _latency(self, status: str) -> None:
        self.span.set_attribute(T.TOOL_STATUS, status)
        self.span.set_attribute(T.TOOL_LATENCY_MS, (time.time_ns() - self.start_ns) / 1e6)

    def _finish_attributes(self, result: Any) -> None:
        self._latency("ok")
        if self.config.capture():
            self.span.set_attribute(G.GEN_AI_TOOL_CALL_RESULT, safe_json_dumps(result))
            mark_result_kind(self.span, result)

    def _failed(self, exc: BaseException) -> None:
        self._latency("error")


class _ChatScope(_Scope):
    """One model call: the ``chat`` CLIENT span; the provider SDK instrumentors and HTTP are suppressed under it."""

    __slots__ = ("capture", "summary")
    where = "smolagents.chat"

    def __init__(self, config: Config, span: Span, capture: bool, stream: bool) -> None:
        super().__init__(config, span)
        self.capture = capture
        self.summary = X.StreamSummary(capture) if stream else None

    def _suppress_http(self) -> bool:
        return not self.config.capture_http

    def _managers(self) -> tuple[AbstractContextManager[Any], ...]:
        return (suppress_llm_instrumentation(),)

    def on_item(self, item: Any) -> None:
        summary = self.summary
        if summary is not None:
            try:
                summary.observe(item)
            except Exception:  # noqa: BLE001 - per delta, cheaper than handle_internal_errors; same policy
                log_internal_error(f"{self.where}.observe")

    def _finish_attributes(self, result: Any) -> None:
        summary = self.summary
        if summary is not None:
            self.span.set_attributes(summary.attributes())
        else:
            self.span.set_attributes(X.response_attributes(result, capture=self.capture))


# --- the generator proxy --------------------------------------------------------------------------------------


def _resume(proxy: TracedGenerator, method: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    scope: _Scope = proxy._self_scope
    tokens = scope.enter()
    try:
        item = method(*args)
    except StopIteration:
        scope.finish()
        raise
    except Exception as exc:
        scope.fail(exc)
        raise
    finally:
        scope.leave(tokens)
    scope.on_item(item)
    return item


class TracedGenerator(_ProxyBase):
    """A smolagents generator whose span is current while it runs and ends exactly once."""

    def __init__(self, wrapped: Any, scope: _Scope) -> None:
        super().__init__(wrapped)
        self._self_scope = scope

    def __iter__(self) -> TracedGenerator:
        return self

    def __next__(self) -> Any:
        return _resume(self, self.__wrapped__.__next__, ())

    def send(self, value: Any) -> Any:
        """``generator.send``, traced like ``next()``."""
        return _resume(self, self.__wrapped__.send, (value,))

    def throw(self, *args: Any) -> Any:
        """``generator.throw``, traced like ``next()``."""
        return _resume(self, self.__wrapped__.throw, args)

    def close(self) -> None:
        """Close the generator (its ``finally`` blocks run with the span current) and end the span."""
        scope: _Scope = self._self_scope
        tokens = scope.enter()
        try:
            self.__wrapped__.close()
        except Exception as exc:
            scope.fail(exc)
            raise
        finally:
            scope.leave(tokens)
            scope.abandon()

    def __del__(self) -> None:
        scope = getattr(self, "_self_scope", None)
        if scope is not None:
            scope.abandon()


def _returned(scope: _Scope, result: Any) -> Any:
    """What a traced call returned: a generator comes back proxied; anything else ends the span now."""
    if isinstance(result, GeneratorType):
        with handle_internal_errors(f"{scope.where}.proxy"):
            return TracedGenerator(result, scope)
    scope.finish(result)
    return result


def _call(scope: _Scope, wrapped: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    """Run the user's call once with ``scope`` current; its exception is recorded and re-raised unchanged."""
    tokens = scope.enter()
    try:
        result = wrapped(*args, **kwargs)
    except Exception as exc:
        scope.fail(exc)
        raise
    finally:
        scope.leave(tokens)
    return _returned(scope, result)


# --- wrappers -------------------------------------------------------------------------------------------------


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


# --- patching -------------------------------------------------------------------------------------------------


class Patcher:
    """Wraps methods where a class defines them, once, and unwraps them all on ``uninstrument()``.

    Besides the smolagents classes wrapped by ``instrument()``, the classes of an agent and of its model are covered
    when the agent starts a run, so a ``Model`` or agent subclass defined after ``instrument()`` is traced too.
    """

    __slots__ = ("_done", "_lock", "agent_methods", "model_methods")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done: list[tuple[Any, str]] = []
        self.agent_methods: dict[str, Any] = {}
        self.model_methods: dict[str, Any] = {}

    def wrap(self, cls: type, name: str, wrapper: Any) -> None:
        """Wrap ``name`` on the class of ``cls``'s MRO that defines it (not ``object``), unless already done."""
        owner = next((klass for klass in cls.__mro__ if name in vars(klass)), None)
        if owner is None or owner is object:
            return
        with self._lock:
            if (owner, name) in self._done:
                return
            wrap_function_wrapper(owner, name, wrapper)
            self._done.append((owner, name))

    def wrap_attribute(self, owner: Any, name: str, wrapper: Any) -> None:
        """Wrap ``owner.name`` (a module function) once."""
        with self._lock:
            if (owner, name) in self._done or not callable(getattr(owner, name, None)):
                return
            wrap_function_wrapper(owner, name, wrapper)
            self._done.append((owner, name))

    def wrap_tree(self, base: type, name: str, wrapper: Any) -> None:
        """Wrap ``name`` on ``base`` and on every subclass (existing now) that defines it."""
        for cls in _subclasses(base):
            if name in vars(cls):
                self.wrap(cls, name, wrapper)

    def cover(self, agent: Any) -> None:
        """Wrap the step and model methods of an agent's class and its model's class (first run of a new class)."""
        for name, wrapper in self.agent_methods.items():
            self.wrap(type(agent), name, wrapper)
        model = getattr(agent, "model", None)
        if model is not None:
            for name, wrapper in self.model_methods.items():
                self.wrap(type(model), name, wrapper)

    def unwrap_all(self) -> None:
        """Restore every wrapped method, newest first."""
        with self._lock:
            done, self._done = self._done, []
        for owner, name in reversed(done):
            unwrap(owner, name)


def _subclasses(base: type) -> Iterator[type]:
    seen: set[type] = set()
    stack = [base]
    while stack:
        cls = stack.pop()
        if cls in seen:
            continue
        seen.add(cls)
        yield cls
        stack.extend(cls.__subclasses__())


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

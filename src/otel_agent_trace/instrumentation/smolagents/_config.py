"""What the smolagents wrappers share: their `Config`, and the `Patcher` that wraps (and unwraps) the methods."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.utils import unwrap
from wrapt import wrap_function_wrapper


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

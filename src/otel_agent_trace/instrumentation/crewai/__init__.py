"""Trace CrewAI: crew runs, task steps, agents (and the coworkers they delegate to), tools and LLM calls.

Usage::

    from otel_agent_trace.instrumentation.crewai import CrewAIInstrumentor

    CrewAIInstrumentor().instrument(tracer_provider=provider)  # capture_content=True to record prompts and results

Configuration (keyword arguments of ``instrument()``): ``tracer_provider``, ``capture_content`` (as for every
instrumentor) and ``capture_http`` (let HTTP instrumentors record the LLM request under the ``chat`` span; default
``False``).

Spans:

- ``invoke_workflow {crew}``: ``Crew.kickoff`` / ``kickoff_async`` / ``akickoff`` (``gen_ai.workflow.name``,
  ``agent_trace.run.id``, ``agent_trace.agent.handoffs`` = the crew's agent roles; with content capture the inputs
  and the final ``raw`` output as ``agent_trace.step.input``/``output``). ``kickoff_async`` runs ``kickoff`` in a
  thread: one span, not two. With ``stream=True`` the span is the one of the run CrewAI starts for the stream.
- ``step {task}``: each task execution (``Task._execute_core`` / ``_aexecute_core``): ``agent_trace.step.index``
  (the task's order in the run), ``agent_trace.step.name``, ``gen_ai.agent.name`` of its agent,
  ``agent_trace.step.action_type`` from what ran in it (``handoff`` if it delegated, else ``tool_call`` if a tool ran,
  else ``llm_call``).
- ``invoke_agent {role}``: ``Agent.execute_task`` / ``aexecute_task`` (``gen_ai.agent.name`` = role,
  ``gen_ai.agent.id``, ``gen_ai.agent.description`` = goal, ``agent_trace.agent.tools``). A coworker an agent
  delegates to (CrewAI's delegation tools) is a child ``invoke_agent`` span under the delegation tool's span, with
  ``agent_trace.agent.parent_name``/``parent_id`` and action type ``handoff``. CrewAI's retry of a failed execution
  is an ``agent_trace.error`` event (``handler=retry``) on the agent span, not a second span.
- ``execute_tool {name}``: ``BaseTool.run``/``arun`` (native function calling) and ``CrewStructuredTool.invoke``/
  ``ainvoke`` (ReAct ``Action:`` calls); ``gen_ai.tool.*``, ``agent_trace.tool.status``/``latency_ms``, arguments and
  result with content capture. A tool that raises gets status ERROR and ``error.type`` (CrewAI then hands the error
  text to the agent); a ``ToolFailure`` result (usage limit) gets status ERROR with ``error.type`` ``ToolFailure``.
  HTTP spans made inside a tool are marked as its external interactions.
- ``chat {model}`` (CLIENT): ``call``/``acall`` of ``crewai.LLM`` (litellm fallback) and of CrewAI's native provider
  classes (OpenAI, Anthropic, Azure, Bedrock, Gemini; wrapped when CrewAI imports them). Request parameters from the
  LLM's configuration, ``server.address``/``port`` of ``base_url``, and the usage, finish reason and response id the
  provider reported to CrewAI (``agent_trace.llm.usage_source`` = ``framework``); the tool calls a native call asked
  for (``agent_trace.llm.tool_call.names``/``ids``); messages and tool definitions with content capture.

One LLM call, one span: CrewAI reaches the model through the provider SDK (openai, anthropic...) or litellm. The
provider call runs inside ``suppress_llm_instrumentation()``, so our openai, anthropic and litellm instrumentors,
if also on, call straight through and add no second ``chat`` span (and HTTP instrumentors add none unless
``capture_http=True``). A custom ``BaseLLM`` subclass of the application is not traced (its provider SDK spans are).
CrewAI's own telemetry is independent: turn it off with ``CREWAI_DISABLE_TELEMETRY=true`` (not ``OTEL_SDK_DISABLED``,
which would disable this SDK too).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from types import ModuleType
from typing import TYPE_CHECKING, Any

from opentelemetry.instrumentation.utils import unwrap
from wrapt import wrap_function_wrapper

from otel_agent_trace.instrumentation._base import AgentInstrumentor

if TYPE_CHECKING:
    from otel_agent_trace.instrumentation.crewai import _wrappers

__all__ = ["CrewAIInstrumentor"]

_instruments = ("crewai >= 0.100",)

_Factory = Callable[[Any, Any], Any]
"""(the ``_wrappers`` module, its ``Config``) -> wrapper; ``_wrappers`` is imported only when CrewAI is."""

_TARGETS: tuple[tuple[str, str, str, _Factory], ...] = (
    ("crewai", "Crew", "kickoff", lambda W, c: W.KickoffWrapper(c)),
    ("crewai", "Crew", "kickoff_async", lambda W, c: W.AsyncKickoffWrapper(c)),
    ("crewai", "Crew", "akickoff", lambda W, c: W.AsyncKickoffWrapper(c)),
    ("crewai", "Task", "_execute_core", lambda W, c: W.TaskWrapper(c)),
    ("crewai", "Task", "_aexecute_core", lambda W, c: W.AsyncTaskWrapper(c)),
    ("crewai", "Agent", "execute_task", lambda W, c: W.AgentWrapper(c)),
    ("crewai", "Agent", "aexecute_task", lambda W, c: W.AsyncAgentWrapper(c)),
    ("crewai.tools.base_tool", "BaseTool", "run", lambda W, c: W.ToolWrapper(c, W.run_arguments)),
    ("crewai.tools.base_tool", "BaseTool", "arun", lambda W, c: W.AsyncToolWrapper(c, W.run_arguments)),
    ("crewai.tools.base_tool", "Tool", "run", lambda W, c: W.ToolWrapper(c, W.run_arguments)),
    ("crewai.tools.base_tool", "Tool", "arun", lambda W, c: W.AsyncToolWrapper(c, W.run_arguments)),
    ("crewai.tools.structured_tool", "CrewStructuredTool", "invoke", lambda W, c: W.ToolWrapper(c, W.invoke_arguments)),
    (
        "crewai.tools.structured_tool",
        "CrewStructuredTool",
        "ainvoke",
        lambda W, c: W.AsyncToolWrapper(c, W.invoke_arguments),
    ),
    ("crewai.llms.base_llm", "BaseLLM", "_emit_call_completed_event", lambda W, c: W.CallCompletedWrapper()),
)
"""(module, class, method, wrapper factory): wrapped when the module is imported, if the class defines the method."""

_LLM_CLASSES: tuple[tuple[str, str], ...] = (
    ("crewai.llm", "LLM"),
    ("crewai.llms.providers.openai.completion", "OpenAICompletion"),
    ("crewai.llms.providers.anthropic.completion", "AnthropicCompletion"),
    ("crewai.llms.providers.azure.completion", "AzureCompletion"),
    ("crewai.llms.providers.bedrock.completion", "BedrockCompletion"),
    ("crewai.llms.providers.gemini.completion", "GeminiCompletion"),
)
"""LLM classes whose ``call``/``acall`` are wrapped: now if imported, else when CrewAI imports them (lazily)."""


def _owner(module: Any, cls_name: str, method: str) -> type | None:
    """The class, if it defines ``method`` itself (an inherited one is wrapped on the class that defines it)."""
    cls = getattr(module, cls_name, None)
    if isinstance(cls, type) and method in vars(cls):
        return cls
    return None


class CrewAIInstrumentor(AgentInstrumentor):
    """Records CrewAI crews, tasks, agents, tools and LLM calls as workflow, step, agent, tool and chat spans."""

    _instruments = _instruments
    _module = "crewai"

    def instrumentation_dependencies(self) -> Collection[str]:
        """The supported CrewAI versions."""
        return _instruments

    def _patch(self, module: ModuleType, **kwargs: Any) -> None:
        from otel_agent_trace.instrumentation.crewai import _wrappers

        capture_http = bool(kwargs.get("capture_http", False))
        config = _wrappers.Config(self._tracer(kwargs), self._capture_content(kwargs), capture_http)
        self._wrapped: list[tuple[type, str]] = []
        for module_name in dict.fromkeys(target[0] for target in _TARGETS):
            self.when_imported(module_name, functools.partial(self._wrap_targets, name=module_name, config=config))
        for module_name, cls_name in _LLM_CLASSES:
            self.when_imported(module_name, functools.partial(self._wrap_llm, cls_name=cls_name, config=config))

    def _wrap_targets(self, module: Any, name: str, config: _wrappers.Config) -> None:
        from otel_agent_trace.instrumentation.crewai import _wrappers

        for target_module, cls_name, method, factory in _TARGETS:
            cls = _owner(module, cls_name, method) if target_module == name else None
            if cls is not None and (cls, method) not in self._wrapped:
                wrap_function_wrapper(cls, method, factory(_wrappers, config))
                self._wrapped.append((cls, method))

    def _wrap_llm(self, module: Any, cls_name: str, config: _wrappers.Config) -> None:
        from otel_agent_trace.instrumentation.crewai import _wrappers

        for method, wrapper in (("call", _wrappers.LLMCallWrapper), ("acall", _wrappers.AsyncLLMCallWrapper)):
            cls = _owner(module, cls_name, method)
            if cls is not None and (cls, method) not in self._wrapped:
                wrap_function_wrapper(cls, method, wrapper(config))
                self._wrapped.append((cls, method))

    def _unpatch(self, **kwargs: Any) -> None:
        for cls, method in reversed(getattr(self, "_wrapped", [])):
            unwrap(cls, method)
        self._wrapped = []

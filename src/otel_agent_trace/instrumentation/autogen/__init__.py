"""Trace AutoGen (``autogen-agentchat`` 0.7): team runs, agent turns, speaker selection, tools, code execution.

Usage::

    from otel_agent_trace.instrumentation.autogen import AutoGenInstrumentor

    AutoGenInstrumentor().instrument(tracer_provider=provider)  # capture_content=True to record messages

Spans (docs/autogen.md has the tree and every attribute):

- ``invoke_workflow {team}``: ``BaseGroupChat.run_stream`` (and ``run``, which drives it) of RoundRobinGroupChat,
  SelectorGroupChat, Swarm...: ``gen_ai.workflow.name``, ``agent_trace.run.id``, ``agent_trace.agent.handoffs`` (the
  participants), ``agent_trace.termination.condition``/``reason`` (the ``StopMessage`` source and text).
- ``step {agent}``: each agent turn (``ChatAgentContainer.handle_request``): ``gen_ai.agent.name``/``id``,
  ``agent_trace.step.index``, ``agent_trace.step.action_type`` (``handoff``, ``tool_call`` or ``response``); input =
  the messages the agent received, output = the messages it wrote, each ``{"id", "source", "type"}`` (plus
  ``content`` with content capture); an error in the turn is recorded on it. MagenticOne's orchestrator planning
  (``handle_start``, ``_update_task_ledger``) is a ``step {orchestrator}`` with action type ``planning``.
- ``decision speaker_selection``: ``select_speaker`` of the RoundRobin, Selector and Swarm managers, and each
  progress ledger of MagenticOne's orchestrator (``_orchestrate_step``): candidates, chosen speaker, the method as
  ``agent_trace.decision.condition``; with content capture the selector's answer or the ledger's reason as rationale.
- ``execute_tool {name}``: ``BaseTool.run_json`` (AutoGen's own span for the call is not made: one span per call);
  ``execute_tool code_execution``: ``CodeExecutorAgent.execute_code_block`` (code as arguments, exit code and
  terminal output as result).

LLM calls are the openai instrumentor's (``OpenAIChatCompletionClient`` uses the openai SDK): one ``chat`` span per
call, tokens counted once. AutoGen's own ``invoke_agent``/``create_agent`` spans and its runtime spans are kept;
the runtime spans carry the serialized messages only with content capture (``_runtime``);
``AUTOGEN_DISABLE_RUNTIME_TRACING=true`` turns them off.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from types import ModuleType
from typing import Any

from opentelemetry.instrumentation.utils import unwrap
from wrapt import wrap_function_wrapper

from otel_agent_trace.instrumentation._base import AgentInstrumentor
from otel_agent_trace.instrumentation.autogen.package import _instruments

__all__ = ["AutoGenInstrumentor"]

_GROUP_CHAT = "autogen_agentchat.teams._group_chat"
_MAGENTIC_ONE = f"{_GROUP_CHAT}._magentic_one._magentic_one_orchestrator"
_TARGETS: tuple[tuple[str, str, str, str], ...] = (
    (f"{_GROUP_CHAT}._base_group_chat", "BaseGroupChat", "run_stream", "_wrappers.RunStreamWrapper"),
    (f"{_GROUP_CHAT}._chat_agent_container", "ChatAgentContainer", "handle_request", "_wrappers.TurnWrapper"),
    (f"{_GROUP_CHAT}._chat_agent_container", "ChatAgentContainer", "_log_message", "_wrappers.LogMessageWrapper"),
    (
        f"{_GROUP_CHAT}._base_group_chat_manager",
        "BaseGroupChatManager",
        "_signal_termination",
        "_wrappers.TerminationWrapper",
    ),
    (
        f"{_GROUP_CHAT}._round_robin_group_chat",
        "RoundRobinGroupChatManager",
        "select_speaker",
        "_selection.SelectSpeakerWrapper",
    ),
    (
        f"{_GROUP_CHAT}._selector_group_chat",
        "SelectorGroupChatManager",
        "select_speaker",
        "_selection.SelectSpeakerWrapper",
    ),
    (f"{_GROUP_CHAT}._swarm_group_chat", "SwarmGroupChatManager", "select_speaker", "_selection.SelectSpeakerWrapper"),
    (_MAGENTIC_ONE, "MagenticOneOrchestrator", "handle_start", "_magentic.PlanningWrapper"),
    (_MAGENTIC_ONE, "MagenticOneOrchestrator", "_update_task_ledger", "_magentic.PlanningWrapper"),
    (_MAGENTIC_ONE, "MagenticOneOrchestrator", "_reenter_outer_loop", "_magentic.ReenterWrapper"),
    (_MAGENTIC_ONE, "MagenticOneOrchestrator", "_orchestrate_step", "_magentic.LedgerStepWrapper"),
    (
        "autogen_ext.models.openai._openai_client",
        "BaseOpenAIChatCompletionClient",
        "create",
        "_selection.SelectorAnswerWrapper",
    ),
    (
        "autogen_agentchat.agents._code_executor_agent",
        "CodeExecutorAgent",
        "execute_code_block",
        "_tools.CodeExecutionWrapper",
    ),
    ("autogen_core.tools._base", "BaseTool", "run_json", "_tools.ToolWrapper"),
    (
        "autogen_core._single_threaded_agent_runtime",
        "SingleThreadedAgentRuntime",
        "_create_otel_attributes",
        "_runtime.RuntimeAttributesWrapper",
    ),
)
"""(module, class, method, ``module.WrapperClass`` of this package): wrapped when the module is imported, if the
class defines the method."""

_TOOL_SPAN_MODULE = "autogen_core.tools._base"
_ORIGINAL = "otel_agent_trace_original"
"""Attribute of our replacement of AutoGen's ``trace_tool_span`` holding the original (restored by uninstrument)."""


class AutoGenInstrumentor(AgentInstrumentor):
    """Records AutoGen teams, agent turns, speaker selections, tools and code execution."""

    _instruments = _instruments
    _module = "autogen_agentchat"

    def instrumentation_dependencies(self) -> Collection[str]:
        """The supported autogen-agentchat versions."""
        return _instruments

    def _patch(self, module: ModuleType, **kwargs: Any) -> None:
        from otel_agent_trace.instrumentation.autogen._scopes import Config

        config = Config(self._tracer(kwargs), self._capture_content(kwargs))
        self._wrapped: list[tuple[Any, str]] = []
        for module_name in dict.fromkeys(target[0] for target in _TARGETS):
            self.when_imported(module_name, functools.partial(self._wrap_targets, name=module_name, config=config))

    def _wrap_targets(self, module: Any, name: str, config: Any) -> None:
        import importlib

        from otel_agent_trace.instrumentation.autogen import _tools

        for target_module, cls_name, method, wrapper in _TARGETS:
            if target_module != name:
                continue
            cls = getattr(module, cls_name, None)
            if isinstance(cls, type) and method in vars(cls) and (cls, method) not in self._wrapped:
                module_name, factory_name = wrapper.split(".")
                factory = getattr(importlib.import_module(f"{__name__}.{module_name}"), factory_name)
                wrap_function_wrapper(cls, method, factory(config))
                self._wrapped.append((cls, method))
        if name == _TOOL_SPAN_MODULE:
            original = getattr(module, "trace_tool_span", None)
            if callable(original) and not hasattr(original, _ORIGINAL):
                module.trace_tool_span = _tools.quiet_tool_span(original)
                self._wrapped.append((module, "trace_tool_span"))

    def _unpatch(self, **kwargs: Any) -> None:
        for owner, method in reversed(getattr(self, "_wrapped", [])):
            if isinstance(owner, type):
                unwrap(owner, method)
            else:
                current = getattr(owner, method, None)
                original = getattr(current, _ORIGINAL, None)
                if original is not None:
                    setattr(owner, method, original)
        self._wrapped = []

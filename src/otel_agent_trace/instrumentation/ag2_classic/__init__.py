"""Trace AG2 Classic (``import autogen``): chats, group chats, turns, speaker selection, tools, code execution.

The library is the distribution ``autogen`` 0.9-0.14 or ``ag2`` 0.9-0.14 (the same code).

Usage::

    from otel_agent_trace.instrumentation.ag2_classic import AG2ClassicInstrumentor

    AG2ClassicInstrumentor().instrument(tracer_provider=provider)  # capture_content=True to record messages

Spans (docs/ag2_classic.md has the tree and every attribute):

- ``invoke_workflow {sender} -> {recipient}``: ``initiate_chat``/``a_initiate_chat``;
  ``invoke_workflow {manager}``: ``GroupChatManager.run_chat``/``a_run_chat`` (participants, ``max_round``,
  selection method, termination condition and reason).
- ``step {agent}``: each turn (``generate_reply``/``a_generate_reply``): ``gen_ai.agent.name``,
  ``agent_trace.step.index``, action type; input = the chat history the agent answered, output = its reply, each
  message ``{"id": "{chat}:{index}", "index", "source", "recipient", "type"[, "reply_to"][, "content"]}``.
- ``decision speaker_selection``: ``GroupChat.select_speaker``/``a_select_speaker`` (candidates, method, chosen,
  the selector LLM's answer as rationale); the selector's LLM call sits under it. In the group patterns
  (``initiate_group_chat``) a selection a handoff drove also has its source, target and kind.
- ``execute_tool {name}``: ``execute_function``/``a_execute_function``; ``execute_tool code_execution``:
  ``LocalCommandLineCodeExecutor.execute_code_blocks`` and the legacy ``ConversableAgent.execute_code_blocks``.

LLM calls are the openai instrumentor's (OpenAIWrapper uses the openai SDK). AG2's own ``autogen.opentelemetry``
agent spans, when turned on too, are adopted (renamed and enriched, a turn's ``gen_ai.operation.name`` becomes
``step``), not duplicated; AG2's ``instrument_llm_wrapper`` LLM span is the one the openai instrumentor records
on (``_peers.FRAMEWORK_SCOPES``).
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from types import ModuleType
from typing import Any

from opentelemetry.instrumentation.dependencies import DependencyConflict, get_dependency_conflicts
from opentelemetry.instrumentation.utils import unwrap
from wrapt import wrap_function_wrapper

from otel_agent_trace.instrumentation._base import AgentInstrumentor
from otel_agent_trace.instrumentation.ag2_classic.package import _instruments, _instruments_any

__all__ = ["AG2ClassicInstrumentor"]

_AGENT = "autogen.agentchat.conversable_agent"
_GROUP = "autogen.agentchat.groupchat"
_LOCAL = "autogen.coding.local_commandline_code_executor"
_EVENTS = "autogen.events.agent_events"
_HANDOFFS = "autogen.agentchat.group.events.transition_events"
_TARGETS: tuple[tuple[str, str, str, str, bool], ...] = (
    (_AGENT, "ConversableAgent", "initiate_chat", "ChatWrapper", False),
    (_AGENT, "ConversableAgent", "a_initiate_chat", "ChatWrapper", True),
    (_AGENT, "ConversableAgent", "generate_reply", "TurnWrapper", False),
    (_AGENT, "ConversableAgent", "a_generate_reply", "TurnWrapper", True),
    (_AGENT, "ConversableAgent", "execute_function", "FunctionWrapper", False),
    (_AGENT, "ConversableAgent", "a_execute_function", "FunctionWrapper", True),
    (_AGENT, "ConversableAgent", "execute_code_blocks", "CodeWrapper", False),
    (_GROUP, "GroupChatManager", "run_chat", "GroupChatWrapper", False),
    (_GROUP, "GroupChatManager", "a_run_chat", "GroupChatWrapper", True),
    (_GROUP, "GroupChat", "select_speaker", "SelectWrapper", False),
    (_GROUP, "GroupChat", "a_select_speaker", "SelectWrapper", True),
    (_GROUP, "GroupChat", "_validate_speaker_name", "RationaleWrapper", False),
    (_LOCAL, "LocalCommandLineCodeExecutor", "execute_code_blocks", "CodeWrapper", False),
    (_EVENTS, "TerminationEvent", "__init__", "TerminationWrapper", False),
    (_HANDOFFS, "AfterWorksTransitionEvent", "__init__", "HandoffWrapper", False),
    (_HANDOFFS, "OnContextConditionTransitionEvent", "__init__", "HandoffWrapper", False),
    (_HANDOFFS, "OnConditionLLMTransitionEvent", "__init__", "HandoffWrapper", False),
    (_HANDOFFS, "ReplyResultTransitionEvent", "__init__", "HandoffWrapper", False),
)
"""(module, class, method, wrapper class in ``_wrappers`` or ``_tools``, async): wrapped when the module is
imported, if the class defines the method."""


class AG2ClassicInstrumentor(AgentInstrumentor):
    """Records AG2 Classic chats, group chats, agent turns, speaker selections, tools and code execution."""

    _instruments = _instruments
    _module = "autogen"

    def instrumentation_dependencies(self) -> Collection[str]:
        """The supported distribution (``autogen``; ``ag2`` 0.9-0.14 ships the same code and is accepted too)."""
        return _instruments

    def _check_dependency_conflicts(self) -> DependencyConflict | None:
        return get_dependency_conflicts((), _instruments_any)

    def _instrument(self, **kwargs: Any) -> None:
        from otel_agent_trace.instrumentation._base import require_installed

        require_installed(self._module)
        self._token = object()
        self._patched = False
        if get_dependency_conflicts((), _instruments_any) is None:  # ``import autogen`` of ag2 1.x: not ours
            self.when_imported(self._module, lambda module: self._patch(module, **kwargs))

    def _patch(self, module: ModuleType, **kwargs: Any) -> None:
        from otel_agent_trace.instrumentation.ag2_classic._spans import Config

        config = Config(self._tracer(kwargs), self._capture_content(kwargs))
        self._wrapped: list[tuple[Any, str]] = []
        self._inherited: list[tuple[Any, str]] = []
        for module_name in dict.fromkeys(target[0] for target in _TARGETS):
            self.when_imported(module_name, functools.partial(self._wrap_targets, name=module_name, config=config))

    def _wrap_targets(self, module: Any, name: str, config: Any) -> None:
        from otel_agent_trace.instrumentation.ag2_classic import _spans, _tools, _wrappers

        for target_module, cls_name, method, wrapper, is_async in _TARGETS:
            if target_module != name:
                continue
            cls = getattr(module, cls_name, None)
            inherited = method == "__init__"  # AG2's events are pydantic models made by ``wrap_event``
            own = isinstance(cls, type) and method in vars(cls)
            if isinstance(cls, type) and (own or inherited) and (cls, method) not in self._wrapped:
                base = getattr(_tools, wrapper, None) or getattr(_wrappers, wrapper)
                factory = type(f"Async{wrapper}", (_spans.AsyncWrapper, base), {}) if is_async else base
                wrap_function_wrapper(cls, method, factory(config))
                self._wrapped.append((cls, method))
                if not own:
                    self._inherited.append((cls, method))

    def _unpatch(self, **kwargs: Any) -> None:
        inherited = getattr(self, "_inherited", [])
        for owner, method in reversed(getattr(self, "_wrapped", [])):
            if (owner, method) in inherited:
                delattr(owner, method)  # the class had no method of its own: the inherited one shows again
            else:
                unwrap(owner, method)
        self._wrapped = []
        self._inherited = []

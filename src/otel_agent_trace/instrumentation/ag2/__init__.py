"""Trace AG2 1.x (``import ag2``): agent runs, the steps of their loop, tools.

Usage::

    from otel_agent_trace.instrumentation.ag2 import AG2Instrumentor

    AG2Instrumentor().instrument(tracer_provider=provider)  # capture_content=True to record messages

The instrumentor adds one middleware of ours to every agent turn (``Agent._drive_scope``, which ``ask``, ``run``,
``AgentReply.ask`` and the A2A executor all enter), so nothing of the user's agents changes. Spans
(docs/ag2.md has the tree and every attribute):

- ``invoke_agent {name}``: one agent turn (``on_turn``): ``gen_ai.agent.name``, ``agent_trace.run.id``; the reply
  text as output with content capture; an exception of the turn is recorded on it.
- ``step {name}``: one iteration of the agent loop: the LLM call (the openai instrumentor's ``chat`` span is its
  child: ag2's ``OpenAIConfig`` client uses the openai SDK, so one LLM span per call, tokens counted once) and the
  tool calls it requested; ``agent_trace.step.index``, ``agent_trace.step.action_type`` (``tool_call`` or
  ``response``), ``agent_trace.llm.tool_call.names``.
- ``execute_tool {name}``: each tool execution (``on_tool_execution``): ``gen_ai.tool.name``,
  ``gen_ai.tool.call.id``, arguments and result with content capture, ``agent_trace.tool.status``; a tool error
  (``ToolErrorEvent``) is recorded as an error of the span.

Network (``ag2.network``): each channel is an ``invoke_workflow {type}`` span (``agent_trace.channel.id``, ended
with ``agent_trace.termination.condition``/``reason`` when the hub closes or expires it); each inbound message an
agent handles (the default handler's turn) is a ``step {agent}`` under it with the message it answered
(``agent_trace.step.reply_to``, ``answered_author``, ``answered_recipients``, ``causation_id``); the
agent's ``invoke_agent`` span is the step's child (a turn the handler skips makes no step). In the turn-taking
channels (``discussion``, ``workflow``, ``consulting``) each accepted message is followed by a ``decision
speaker_selection`` under the channel: participants as options, the speaker the adapter expects next as chosen
(``terminate`` when a workflow's graph ends it), how as condition (ordering, the ``TransitionGraph`` rule, the
handoff tool), the handoff's reason as rationale with content capture. ag2's own
``TelemetryMiddleware`` is independent: when the user adds it too, both trees are made (docs/ag2.md, limits).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from types import ModuleType
from typing import Any

from opentelemetry.instrumentation.utils import unwrap
from wrapt import wrap_function_wrapper

from otel_agent_trace.instrumentation._base import AgentInstrumentor
from otel_agent_trace.instrumentation.ag2.package import _instruments

__all__ = ["AG2Instrumentor"]

_AGENT_MODULE = "ag2.agent"
_HANDLERS_MODULE = "ag2.network.client.handlers"
_HUB_MODULE = "ag2.network.hub.core"


class AG2Instrumentor(AgentInstrumentor):
    """Records AG2 agent turns, the steps of their loop and their tool calls."""

    _instruments = _instruments
    _module = "ag2"

    def instrumentation_dependencies(self) -> Collection[str]:
        """The supported ag2 versions."""
        return _instruments

    def _patch(self, module: ModuleType, **kwargs: Any) -> None:
        from otel_agent_trace.instrumentation.ag2 import _middleware

        config = _middleware.Config(self._tracer(kwargs), self._capture_content(kwargs))
        self._wrapped: list[type] = []

        def wrap(agent_module: ModuleType) -> None:
            cls = getattr(agent_module, "Agent", None)
            if isinstance(cls, type) and "_drive_scope" in vars(cls) and cls not in self._wrapped:
                wrap_function_wrapper(cls, "_drive_scope", _middleware.DriveScopeWrapper(config))
                self._wrapped.append(cls)

        self.when_imported(_AGENT_MODULE, wrap)
        self._wrap_network(config)

    def _wrap_network(self, config: Any) -> None:
        from otel_agent_trace.instrumentation.ag2 import _network, _selection

        channels = _network.Channels(config)
        self._network: list[tuple[Any, str]] = []

        def handlers(module: ModuleType) -> None:
            if callable(getattr(module, "_process_substantive", None)) and (module, "_process_substantive") not in (
                self._network
            ):
                wrap_function_wrapper(module, "_process_substantive", _network.TurnWrapper(channels))
                self._network.append((module, "_process_substantive"))

        def hub(module: ModuleType) -> None:
            cls = getattr(module, "Hub", None)
            if not isinstance(cls, type):
                return
            for method, wrapper in (
                ("_transition_channel", _network.TransitionWrapper(channels)),
                ("close", _network.HubCloseWrapper(channels)),
                ("_post_envelope_impl", _selection.PostWrapper()),
            ):
                if method in vars(cls) and (cls, method) not in self._network:
                    wrap_function_wrapper(cls, method, wrapper)
                    self._network.append((cls, method))

        def adapter(class_name: str) -> Callable[[ModuleType], None]:
            def wrap(module: ModuleType) -> None:
                cls = getattr(module, class_name, None)
                if isinstance(cls, type) and "on_accepted" in vars(cls) and (cls, "on_accepted") not in self._network:
                    wrap_function_wrapper(cls, "on_accepted", _selection.AcceptedWrapper(channels))
                    self._network.append((cls, "on_accepted"))

            return wrap

        self.when_imported(_HANDLERS_MODULE, handlers)
        self.when_imported(_HUB_MODULE, hub)
        for module_name, class_name in _selection.ADAPTERS:
            self.when_imported(module_name, adapter(class_name))

    def _unpatch(self, **kwargs: Any) -> None:
        for cls in getattr(self, "_wrapped", []):
            unwrap(cls, "_drive_scope")
        self._wrapped = []
        for owner, method in reversed(getattr(self, "_network", [])):
            unwrap(owner, method)
        self._network = []

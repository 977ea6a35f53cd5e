"""Trace Pydantic AI agents zero-code: its own GenAI spans switched on, no duplicate LLM span (docs/pydantic_ai.md).

Usage::

    from otel_agent_trace.instrumentation.pydantic_ai import PydanticAIInstrumentor

    PydanticAIInstrumentor().instrument(tracer_provider=provider)  # capture_content=True to record content

Pydantic AI emits OpenTelemetry GenAI spans itself once instrumented (``Agent.instrument_all()``,
``Agent(...).instrument = ...``, or the ``Instrumentation`` capability): ``invoke_agent {agent}``, ``chat {model}``
per model request, ``execute_tool {tool}`` per tool call. This instrumentor adds no span of its own:

- When ``pydantic_ai`` is imported, and unless the program has switched Pydantic AI's instrumentation itself
  (``Agent.instrument_all(...)`` before, or at any time after: the program's call wins), it calls
  ``Agent.instrument_all(InstrumentationSettings(...))`` with our tracer provider (the ``tracer_provider`` keyword,
  else the global one) and ``include_content`` from ``capture_content`` (default: the
  ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` setting, read then). An agent's own ``instrument`` setting
  or ``Instrumentation`` capability is left alone (Pydantic AI prefers it to the default).
- One LLM span per call: Pydantic AI's ``chat`` span is current when its model calls the openai (or anthropic)
  SDK, so our SDK instrumentor records its attributes on that span instead of nesting a second one
  (``instrumentation._peers.framework_span``): the usage is on one span, once.
- The processor adds our agent semantics to its spans on export (``processor/_frameworks.py``): step index and
  action type, ``agent_trace.run.id``.

``uninstrument()`` puts Pydantic AI's default back only if it is still the one set here.
"""

from __future__ import annotations

from collections.abc import Collection
from types import ModuleType
from typing import Any

from otel_agent_trace.instrumentation._base import AgentInstrumentor

__all__ = ["PydanticAIInstrumentor"]

_instruments = ("pydantic-ai-slim >= 1.0",)


class PydanticAIInstrumentor(AgentInstrumentor):
    """Switches Pydantic AI's own OpenTelemetry instrumentation on, with our provider and content setting."""

    _instruments = _instruments
    _module = "pydantic_ai"
    _installed: Any = None
    """The settings object this instrumentor made the default (to undo only our own change)."""

    def instrumentation_dependencies(self) -> Collection[str]:
        """The supported ``pydantic-ai-slim`` versions (``pydantic-ai`` installs it)."""
        return _instruments

    def _patch(self, module: ModuleType, **kwargs: Any) -> None:
        from pydantic_ai.agent import Agent
        from pydantic_ai.models.instrumented import InstrumentationSettings

        if getattr(Agent, "_instrument_default", False) is not False:  # the program chose already (False: the default)
            return
        settings = InstrumentationSettings(
            tracer_provider=kwargs.get("tracer_provider"),
            meter_provider=kwargs.get("meter_provider"),
            include_content=self._capture_content(kwargs)(),
        )
        Agent.instrument_all(settings)
        self._installed = settings

    def _unpatch(self, **kwargs: Any) -> None:
        import sys

        installed, self._installed = self._installed, None
        agent_module = sys.modules.get("pydantic_ai.agent")
        agent = getattr(agent_module, "Agent", None)
        if installed is not None and agent is not None and getattr(agent, "_instrument_default", None) is installed:
            agent.instrument_all(False)

"""Trace OpenAI Agents SDK runs as OpenTelemetry GenAI spans, through the SDK's own tracing hooks.

``instrument()`` registers a ``TracingProcessor`` (``agents.add_trace_processor``) next to the SDK's own ones, on
the first ``import agents`` (at once if it is imported); it turns every SDK trace and span into an OTel span,
parented by the SDK's parent ids:

- trace → ``invoke_workflow {trace name}`` (``gen_ai.workflow.name``, ``gen_ai.conversation.id`` = group id)
- agent → ``invoke_agent {agent}`` (``gen_ai.agent.name``, ``agent_trace.agent.tools``,
  ``agent_trace.agent.handoffs``; after a handoff: a child of the handoff span with a link to it, and
  ``agent_trace.agent.parent_name`` = the agent that handed off)
- function tool → ``execute_tool {tool}`` (``gen_ai.tool.name``, ``gen_ai.tool.type``, ``gen_ai.tool.call.id``,
  ``agent_trace.tool.status``, ``agent_trace.tool.latency_ms``; with content capture ``gen_ai.tool.call.arguments``
  and ``gen_ai.tool.call.result``)
- response / generation → ``chat {requested model}`` (``gen_ai.provider.name`` = ``openai``,
  ``gen_ai.request.{model,temperature,top_p,max_tokens,stream}``, ``gen_ai.response.{id,model,finish_reasons}``,
  ``gen_ai.usage.*``, ``agent_trace.llm.tool_call.{names,ids}``; with content capture ``gen_ai.input.messages`` and
  ``gen_ai.output.messages``). HTTP instrumentation is suppressed under it: no duplicate HTTP span.
- handoff → ``handoff {to agent}`` (``agent_trace.step.action_type`` = ``handoff``,
  ``agent_trace.handoff.{from,to}_agent``, ``agent_trace.agent.parent_name`` = the agent handing off)
- guardrail → ``decision {guardrail}`` (``agent_trace.decision.{name,options,chosen}``, chosen = ``triggered`` or
  ``not_triggered``; with content capture ``agent_trace.decision.rationale`` = its ``output_info``)
- MCP list-tools, custom and voice spans → spans of their own name; the SDK's ``task`` and ``turn`` spans are not
  emitted (their children, and their errors, go to the enclosing agent).

Every span inside an agent run carries ``gen_ai.agent.name`` and ``agent_trace.step.index`` (0, 1, ... per run).
SDK span errors give status ERROR, ``error.type`` (``tool_error``, ``agent_error``...) and
``agent_trace.error.message``; an exception propagating while a span ends is recorded on it (exception event,
``error.type`` = its class). A tripped guardrail makes its decision span ERROR (``error.type``
``agents.exceptions.InputGuardrailTripwireTriggered`` / ``OutputGuardrailTripwireTriggered``) and the agent and
workflow spans ERROR with that exception's event.

Usage::

    from otel_agent_trace.instrumentation.openai_agents import OpenAIAgentsInstrumentor
    OpenAIAgentsInstrumentor().instrument(tracer_provider=provider)

Configuration (keyword arguments of ``instrument()``):

- ``capture_content``: record tool arguments/results, model inputs/outputs and guardrail output info (default: the
  ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` setting, read at call time).
- ``suppress_llm_spans``: while the SDK's model-call span is open, our OpenAI SDK instrumentor records no second
  ``chat`` span for the same call (default ``True``).

The SDK keeps exporting to OpenAI's trace backend unless told otherwise (``agents.set_trace_processors([])`` keeps
only OpenTelemetry); that export runs under ``suppress_instrumentation()``, so it makes no spans, and no error
traces when the backend is unreachable. ``uninstrument()`` removes our processor and the patches (see
``_patches``).
"""

from __future__ import annotations

import sys
from collections.abc import Collection
from types import ModuleType
from typing import TYPE_CHECKING, Any

from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace.instrumentation._base import AgentInstrumentor
from otel_agent_trace.instrumentation.openai_agents.package import _instruments

if TYPE_CHECKING:
    from otel_agent_trace.instrumentation.openai_agents._processor import OTelTracingProcessor

__all__ = ["OpenAIAgentsInstrumentor"]

_LAZY = hasattr(AgentInstrumentor, "when_imported")
"""The base class patches on the library's first import (``_module`` / ``_patch`` / ``_unpatch``)."""


class OpenAIAgentsInstrumentor(AgentInstrumentor):
    """Registers a tracing processor that records the Agents SDK's traces and spans as OpenTelemetry spans."""

    _instruments = _instruments
    _module = "agents"

    def instrumentation_dependencies(self) -> Collection[str]:
        """The openai-agents versions this instrumentor supports."""
        return _instruments

    def _instrument(self, **kwargs: Any) -> None:
        if _LAZY:
            super()._instrument(**kwargs)
        else:  # an eager base: import the SDK now
            self._patch(self._require("agents"), **kwargs)

    def _uninstrument(self, **kwargs: Any) -> None:
        if _LAZY:
            super()._uninstrument(**kwargs)
        else:
            self._unpatch(**kwargs)

    def _patch(self, module: ModuleType, **kwargs: Any) -> None:
        from otel_agent_trace.instrumentation.openai_agents import _patches
        from otel_agent_trace.instrumentation.openai_agents._processor import OTelTracingProcessor

        processor = OTelTracingProcessor(
            self._tracer(kwargs),
            self._capture_content(kwargs),
            suppress_llm_spans=bool(kwargs.get("suppress_llm_spans", True)),
        )
        self._processor: OTelTracingProcessor | None = processor
        self._wrapped = _patches.patch(processor)
        module.add_trace_processor(processor)

    def _unpatch(self, **kwargs: Any) -> None:
        processor = getattr(self, "_processor", None)
        if processor is None:
            return
        processor.active = False
        self._processor = None
        wrapped, self._wrapped = getattr(self, "_wrapped", []), []
        with handle_internal_errors("openai_agents.uninstrument"):
            from otel_agent_trace.instrumentation.openai_agents import _patches

            _patches.unpatch(wrapped)
        with handle_internal_errors("openai_agents.uninstrument"):
            tracing = sys.modules.get("agents.tracing")
            multi = tracing.get_trace_provider()._multi_processor  # type: ignore[union-attr]
            multi.set_processors([p for p in multi._processors if p is not processor])

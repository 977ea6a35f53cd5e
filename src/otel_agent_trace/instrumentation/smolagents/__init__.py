"""Trace smolagents agents: runs, steps, tool calls and model calls as OpenTelemetry GenAI spans.

Usage::

    from otel_agent_trace.instrumentation.smolagents import SmolagentsInstrumentor

    SmolagentsInstrumentor().instrument(tracer_provider=provider)  # capture_content=True to record content

Configuration (keyword arguments of ``instrument()``):

- ``tracer_provider``: the provider to use (default: the global one).
- ``capture_content``: record tasks, messages, tool arguments/results, code actions and observations (default:
  the ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` setting, read at call time).
- ``capture_http``: let HTTP instrumentors record the model's HTTP request under its ``chat`` span (default
  ``False``).

Spans (``run(stream=True)`` too: the run and step spans then stay open while the caller iterates):

- ``invoke_agent {agent}`` (``MultiStepAgent.run``): ``gen_ai.agent.name`` (the agent's ``name``, else its class),
  ``gen_ai.agent.description``, ``agent_trace.run.id``, ``agent_trace.agent.tools``, ``agent_trace.agent.handoffs``
  (managed agents), ``gen_ai.request.model``. A managed agent's run sits under the step of the agent that called it
  and carries ``agent_trace.agent.parent_name`` (action type ``handoff``). With content capture the task and the final
  answer (``agent_trace.step.input``/``output``). Errors the agent went on from (step errors, max steps reached) are
  ``agent_trace.error`` events with ``handled=True``; a run that raises has status ERROR and ``error.type``.
- ``step {index}``: one per action step (``_step_stream``), planning step and forced final answer (max steps),
  numbered from 0 in the run. ``agent_trace.step.index``, ``agent_trace.step.name`` (``action {n}`` with smolagents'
  step number, ``planning``, ``final_answer``), ``agent_trace.step.action_type`` (``tool_call`` when it called tools
  or ran code, ``response`` when it gave the final answer, ``planning``, else ``reasoning``). A step that raised has
  status ERROR. With content capture: the code action and the observations.
- ``execute_tool {name}`` (``Tool.__call__``): ``gen_ai.tool.name``, ``gen_ai.tool.call.id`` (from the model's tool
  call), ``agent_trace.tool.status``/``latency_ms``; with content capture ``gen_ai.tool.call.arguments``/``result``.
- ``chat {model_id}`` (CLIENT; ``Model.generate`` / ``generate_stream`` of every smolagents model):
  ``gen_ai.provider.name`` (from the model class), ``gen_ai.request.*``, ``gen_ai.response.{id,model,
  finish_reasons}`` (from the provider's raw response), ``gen_ai.usage.*`` (smolagents' token counts),
  ``agent_trace.llm.tool_call.{names,ids}``; with content capture ``gen_ai.input.messages``,
  ``gen_ai.tool.definitions``, ``gen_ai.output.messages``.

One LLM call, one span: the model call runs inside ``suppress_llm_instrumentation()`` (and HTTP suppression), so our
openai / anthropic / litellm instrumentors record no second span for the call ``OpenAIServerModel``,
``LiteLLMModel``... make, and the tokens are counted once, on the ``chat`` span.

``Model`` and agent subclasses defined after ``instrument()`` are covered when an agent using them first runs.
"""

from __future__ import annotations

from collections.abc import Collection
from types import ModuleType
from typing import Any

from otel_agent_trace.instrumentation._base import AgentInstrumentor

__all__ = ["SmolagentsInstrumentor"]

_instruments = ("smolagents >= 1.10",)


class SmolagentsInstrumentor(AgentInstrumentor):
    """Records smolagents runs, steps, tool calls and model calls as spans."""

    _instruments = _instruments
    _module = "smolagents"
    _patcher: Any = None

    def instrumentation_dependencies(self) -> Collection[str]:
        """The supported ``smolagents`` versions."""
        return _instruments

    def _patch(self, module: ModuleType, **kwargs: Any) -> None:
        from otel_agent_trace.instrumentation.smolagents._config import Config, Patcher
        from otel_agent_trace.instrumentation.smolagents._wrappers import install

        patcher = Patcher()
        config = Config(self._tracer(kwargs), self._capture_content(kwargs), bool(kwargs.get("capture_http")), patcher)
        self._patcher = patcher
        install(patcher, config)

    def _unpatch(self, **kwargs: Any) -> None:
        patcher = self._patcher
        if patcher is not None:
            patcher.unwrap_all()
            self._patcher = None

"""Google ADK's legacy span schema, read as its semconv-aligned one (used by `_frameworks.FrameworkSpans`).

ADK has two span layouts. The semconv-aligned one (``google-adk`` 2.13's default): ``invoke_workflow {root}`` >
``invoke_agent {agent}`` > ``generate_content {model}`` and ``execute_tool {tool}`` with ``gen_ai.tool.call.*``.
The legacy one (2.11's default, the only ADK on Python 3.10; 2.13 with ``ADK_TELEMETRY_SCHEMA_VERSION_OPT_IN=1``):
a root ``invocation`` span without ``gen_ai.operation.name``, a ``call_llm`` span per model request holding
``generate_content`` (``call_llm`` stays open while the tools the model asked for run beside it, so it ends after
them), and ADK's own content attributes (``gcp.vertex.agent.tool_call_args`` / ``tool_response`` /
``llm_request`` / ``llm_response``) recorded by ADK's own switch ``ADK_CAPTURE_MESSAGE_CONTENT_IN_SPANS``, which
defaults on. 2.11 with ``ADK_TELEMETRY_SCHEMA_VERSION_OPT_IN=2`` mixes them (``invoke_workflow`` over ``call_llm``).
Each span is recognised by its own name and attributes, whatever the version or the switch.

`adopt_legacy` makes a legacy span read like its semconv-aligned counterpart, adding, never overwriting:

- ``invocation``: ``gen_ai.operation.name=invoke_workflow`` (the span ADK renamed it to) and
  ``gen_ai.workflow.name`` (the root agent, the first ``invoke_agent`` under it).
- legacy ``execute_tool``: ``gen_ai.tool.call.arguments`` / ``gen_ai.tool.call.result`` from ADK's attributes,
  when our content capture is on.
- with our content capture off and ``ADK_CAPTURE_MESSAGE_CONTENT_IN_SPANS`` not set, ADK's legacy content
  attributes are replaced by ``{}`` (what ADK writes itself when its switch is off): content only when content
  capture is on, as with the semconv-aligned schema. Setting ``ADK_CAPTURE_MESSAGE_CONTENT_IN_SPANS`` leaves
  ADK's choice alone.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import Any, Final

from opentelemetry.sdk.trace import ReadableSpan

from otel_agent_trace._internal.settings import capture_content
from otel_agent_trace.semconv import gen_ai as G

INVOCATION: Final = "invocation"
"""The legacy root span of one ``Runner.run_async`` (``invoke_workflow {root}`` in the semconv-aligned schema)."""
CALL_LLM: Final = "call_llm"
"""The legacy span of one model request (the ``generate_content`` span of the request is its child)."""
MERGED_TOOLS: Final = "(merged tools)"
"""``gen_ai.tool.name`` of ADK's ``execute_tool (merged)`` span: bookkeeping after parallel tools, not a step."""
CAPTURE_SWITCH: Final = "ADK_CAPTURE_MESSAGE_CONTENT_IN_SPANS"
TOOL_ARGS: Final = "gcp.vertex.agent.tool_call_args"
TOOL_RESPONSE: Final = "gcp.vertex.agent.tool_response"
LLM_REQUEST: Final = "gcp.vertex.agent.llm_request"
LLM_RESPONSE: Final = "gcp.vertex.agent.llm_response"
CONTENT_KEYS: Final = (TOOL_ARGS, TOOL_RESPONSE, LLM_REQUEST, LLM_RESPONSE)
_EMPTY = "{}"
_PLACEHOLDERS = frozenset({_EMPTY, "N/A", "<not specified>", '{"result": "<not specified>"}'})
MAX_WORKFLOWS = 4096


class LegacySchema:
    """Adds the semconv-aligned attributes to ADK's legacy spans; remembers root agent names (bounded, LRU)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._root_agent: OrderedDict[int, tuple[int, str]] = OrderedDict()
        """Parent span id -> (start, name) of the earliest ``invoke_agent`` exported under it."""

    def agent_ended(self, span: ReadableSpan, attributes: dict[str, Any]) -> None:
        """Note an ``invoke_agent`` span: the first one under an ``invocation`` names its workflow."""
        name = attributes.get(G.GEN_AI_AGENT_NAME)
        if span.parent is None or not isinstance(name, str):
            return
        start = span.start_time or 0
        with self._lock:
            known = self._root_agent.get(span.parent.span_id)
            if known is None or start < known[0]:
                self._root_agent[span.parent.span_id] = (start, name)
                self._root_agent.move_to_end(span.parent.span_id)
                if len(self._root_agent) > MAX_WORKFLOWS:
                    self._root_agent.popitem(last=False)

    def adopt(self, span: ReadableSpan, attributes: dict[str, Any]) -> None:
        """The semconv-aligned attributes of a legacy span (nothing for a span that is not one)."""
        if span.name == INVOCATION and G.GEN_AI_OPERATION_NAME not in attributes:
            attributes[G.GEN_AI_OPERATION_NAME] = G.GenAiOperationNameValues.INVOKE_WORKFLOW.value
            if span.context is not None:
                with self._lock:
                    root = self._root_agent.pop(span.context.span_id, None)
                if root is not None:
                    attributes.setdefault(G.GEN_AI_WORKFLOW_NAME, root[1])
            return
        if not any(key in attributes for key in CONTENT_KEYS):
            return
        if capture_content():
            if attributes.get(G.GEN_AI_TOOL_NAME) != MERGED_TOOLS:
                _copy(attributes, TOOL_ARGS, G.GEN_AI_TOOL_CALL_ARGUMENTS)
                _copy(attributes, TOOL_RESPONSE, G.GEN_AI_TOOL_CALL_RESULT)
        elif os.environ.get(CAPTURE_SWITCH) is None:
            for key in CONTENT_KEYS:
                if key in attributes:
                    attributes[key] = _EMPTY


def _copy(attributes: dict[str, Any], source: str, target: str) -> None:
    value = attributes.get(source)
    if isinstance(value, str) and value not in _PLACEHOLDERS and target not in attributes:
        attributes[target] = value

"""The OpenInference view of each exported span, so Arize Phoenix and Langfuse show steps, decisions and tools well.

An export-thread `Enricher` (``processor/_enrich.py`` installs it unless ``OTEL_AGENT_TRACE_OPENINFERENCE=false``).
It adds, never overwriting what a span already carries (an OpenInference instrumentor's own attributes win):

- ``openinference.span.kind`` on every span of an agent run or GenAI operation (`span_kind`: LLM, EMBEDDING,
  RETRIEVER, TOOL, AGENT from ``gen_ai.operation.name``; CHAIN for steps, decisions and the other spans of a run;
  nothing on other spans, which viewers show as UNKNOWN either way and which stay exported as they are), and
  ``agent_trace.openinference.derived`` when the kind is ours (so our readers do not map these copies back);
- ``session.id``/``user.id`` from our correlation ids, ``agent.name``, ``metadata`` (small JSON: run id, step index
  and name, action type, agent, decision options and choice) and ``tag.tags``;
- only when content capture puts content on spans (``SPAN_ONLY``, ``SPAN_AND_EVENT``): ``input.value`` and
  ``output.value`` with their mime types, taken from the content attributes already on the span (a step's input and
  output, a tool's arguments and result, an LLM's messages, whose ``output.value`` is the answer text), a decision's
  condition and options as input and its choice as output, and ``llm.tools.N.tool.json_schema`` from
  ``gen_ai.tool.definitions``.

The copies cost no budget our own attributes need: each large value is added only as far as the span's budget still
has room once every existing value is counted at its per-attribute cut; a copy cut or left out to stay within it is
listed in ``agent_trace.truncated`` (``input.value``, ``output.value (dropped)``). What is added is then redacted
and budgeted like the rest of the span.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan

from otel_agent_trace._internal.serialize import dumps
from otel_agent_trace._internal.settings import ContentMode, Settings
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import decision as D
from otel_agent_trace.semconv import gen_ai as G
from otel_agent_trace.semconv import openinference as OI

from ._budget import _RESERVE, SpanBudget
from ._parts import cut_value, value_bytes

_Kind = OI.OpenInferenceSpanKindValues
_JSON = OI.OpenInferenceMimeTypeValues.JSON.value
_TEXT = OI.OpenInferenceMimeTypeValues.TEXT.value

_KIND_OF_OPERATION = {
    G.GenAiOperationNameValues.CHAT.value: _Kind.LLM.value,
    G.GenAiOperationNameValues.TEXT_COMPLETION.value: _Kind.LLM.value,
    G.GenAiOperationNameValues.GENERATE_CONTENT.value: _Kind.LLM.value,
    G.GenAiOperationNameValues.EMBEDDINGS.value: _Kind.EMBEDDING.value,
    G.GenAiOperationNameValues.RETRIEVAL.value: _Kind.RETRIEVER.value,
    G.GenAiOperationNameValues.EXECUTE_TOOL.value: _Kind.TOOL.value,
    G.GenAiOperationNameValues.INVOKE_AGENT.value: _Kind.AGENT.value,
    G.GenAiOperationNameValues.CREATE_AGENT.value: _Kind.AGENT.value,
    G.GenAiOperationNameValues.INVOKE_WORKFLOW.value: _Kind.CHAIN.value,
}
_RUN_KEYS = (A.AGENT_RUN_ID, A.AGENT_STEP_ACTION_TYPE, A.SESSION_ID, G.GEN_AI_CONVERSATION_ID)
"""Any of these marks a span as part of an agent run (CHAIN unless a better kind applies)."""
_INPUT_KEYS = (A.AGENT_STEP_INPUT, G.GEN_AI_TOOL_CALL_ARGUMENTS, G.GEN_AI_INPUT_MESSAGES, G.GEN_AI_RETRIEVAL_QUERY_TEXT)
_OUTPUT_KEYS = (A.AGENT_STEP_OUTPUT, G.GEN_AI_TOOL_CALL_RESULT)
_METADATA = (
    ("run_id", A.AGENT_RUN_ID),
    ("step_index", A.AGENT_STEP_INDEX),
    ("step_name", A.AGENT_STEP_NAME),
    ("action_type", A.AGENT_STEP_ACTION_TYPE),
    ("agent_name", G.GEN_AI_AGENT_NAME),
    ("agent_id", G.GEN_AI_AGENT_ID),
    ("parent_agent", A.AGENT_PARENT_NAME),
    ("tool_call_id", G.GEN_AI_TOOL_CALL_ID),
    ("request_id", A.REQUEST_ID),
    ("environment", A.ENVIRONMENT),
)
_DECISION_METADATA = (
    ("name", D.DECISION_NAME),
    ("condition", D.DECISION_CONDITION),
    ("options", D.DECISION_OPTIONS),
    ("chosen", D.DECISION_CHOSEN),
    ("confidence", D.DECISION_CONFIDENCE),
)
_MIME_KEY = {OI.OI_INPUT_VALUE: OI.OI_INPUT_MIME_TYPE, OI.OI_OUTPUT_VALUE: OI.OI_OUTPUT_MIME_TYPE}
_TOOLS_PREFIX = OI.OI_LLM_TOOLS + "."
_MAX_SMALL_TEXT = 256
"""Longest text kept in ``metadata``/``tag.tags`` (they are context, not content)."""
_MAX_ITEMS = 16
"""Most list items kept in ``metadata`` and ``tag.tags``."""
_MAX_TOOLS = 64
"""Most ``llm.tools.N`` entries written for one span."""
MIN_COPY_BYTES = 128
"""A copy (``input.value``...) is cut to the room left, but left out (and listed) below this many bytes."""


def span_kind(attributes: Mapping[str, Any]) -> str:
    """The ``openinference.span.kind`` for a span with these attributes (see the module docstring)."""
    operation = attributes.get(G.GEN_AI_OPERATION_NAME)
    if isinstance(operation, str) and operation:
        return _KIND_OF_OPERATION.get(operation, _Kind.CHAIN.value)
    if D.DECISION_NAME in attributes:
        return _Kind.CHAIN.value
    if G.GEN_AI_TOOL_NAME in attributes and G.GEN_AI_TOOL_CALL_ID in attributes:
        return _Kind.TOOL.value
    if G.GEN_AI_REQUEST_MODEL in attributes:  # another instrumentation's LLM span (OpenLLMetry) without an operation
        return _Kind.LLM.value
    if any(key in attributes for key in _RUN_KEYS):
        return _Kind.CHAIN.value
    return _Kind.UNKNOWN.value


def typed(value: Any) -> tuple[str, str]:
    """``(text, mime type)`` of a content value: JSON objects and lists as JSON, JSON strings unwrapped, else text."""
    if not isinstance(value, str):
        return dumps(list(value) if isinstance(value, tuple) else value), _JSON
    head = value.lstrip()[:1]
    if head in ("{", "["):
        return value, _JSON
    if head == '"':
        try:
            inner = json.loads(value)
        except (ValueError, RecursionError):
            return value, _TEXT
        if isinstance(inner, str):
            return inner, _TEXT
    return value, _TEXT


def answer_text(messages: Any) -> str | None:
    """The text of the model's output messages (``gen_ai.output.messages``), ``None`` when it holds no text."""
    try:
        parsed = json.loads(messages) if isinstance(messages, str) else None
    except (ValueError, RecursionError):
        return None
    if isinstance(parsed, dict):
        parsed = [parsed]
    if not isinstance(parsed, list):
        return None
    texts: list[str] = []
    for message in parsed:
        if not isinstance(message, dict):
            continue
        content = message.get("content")
        if isinstance(content, str) and content:
            texts.append(content)
        parts = message.get("parts")
        for part in parts if isinstance(parts, list) else ():
            if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("content"), str):
                texts.append(part["content"])
    return "\n\n".join(texts) if texts else None


def _small(value: Any) -> Any:
    if isinstance(value, str):
        return value[:_MAX_SMALL_TEXT]
    if isinstance(value, (list, tuple)):
        return [_small(item) for item in value[:_MAX_ITEMS]]
    return value


def metadata(attributes: Mapping[str, Any]) -> str | None:
    """The ``metadata`` JSON for a span: small context only (ids, names, the decision's options and choice)."""
    out: dict[str, Any] = {key: _small(attributes[name]) for key, name in _METADATA if name in attributes}
    decision = {key: _small(attributes[name]) for key, name in _DECISION_METADATA if name in attributes}
    if decision:
        out["decision"] = decision
    return dumps(out) if out else None


def tags(attributes: Mapping[str, Any]) -> tuple[str, ...]:
    """``tag.tags``: the action type, the environment and ``agent_trace.tags``, without repeats."""
    found: list[str] = []
    for name in (A.AGENT_STEP_ACTION_TYPE, A.ENVIRONMENT):
        value = attributes.get(name)
        if isinstance(value, str) and value:
            found.append(value)
    extra = attributes.get(A.TAGS)
    if isinstance(extra, str):
        extra = (extra,)
    if isinstance(extra, (list, tuple)):
        found.extend(item for item in extra if isinstance(item, str) and item)
    return tuple(dict.fromkeys(item[:_MAX_SMALL_TEXT] for item in found))[:_MAX_ITEMS]


def _decision_io(attributes: Mapping[str, Any]) -> tuple[Any, Any]:
    given = {"condition": attributes.get(D.DECISION_CONDITION), "options": attributes.get(D.DECISION_OPTIONS)}
    inputs = {k: list(v) if isinstance(v, tuple) else v for k, v in given.items() if v is not None}
    chosen = attributes.get(D.DECISION_CHOSEN)
    rationale = attributes.get(D.DECISION_RATIONALE)
    output: Any = chosen
    if rationale is not None:
        output = {"chosen": chosen, "rationale": rationale}
    return (inputs or None), output


def content_io(kind: str, attributes: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """``(key, value, mime type)`` for ``input.value`` and ``output.value``, from the span's content."""
    if D.DECISION_NAME in attributes and kind == _Kind.CHAIN.value:
        raw_in, raw_out = _decision_io(attributes)
    else:
        raw_in = next((attributes[k] for k in _INPUT_KEYS if attributes.get(k) is not None), None)
        raw_out = next((attributes[k] for k in _OUTPUT_KEYS if attributes.get(k) is not None), None)
    out = []
    if raw_in is not None:
        out.append((OI.OI_INPUT_VALUE, *typed(raw_in)))
    messages = attributes.get(G.GEN_AI_OUTPUT_MESSAGES)
    if raw_out is not None:
        out.append((OI.OI_OUTPUT_VALUE, *typed(raw_out)))
    elif messages is not None:
        answer = answer_text(messages)  # only tool calls (no text): show the messages rather than nothing
        out.append(
            (OI.OI_OUTPUT_VALUE, answer, _TEXT) if answer is not None else (OI.OI_OUTPUT_VALUE, *typed(messages))
        )
    return out


def tool_schemas(definitions: Any) -> list[str]:
    """OpenAI-style JSON schema of each ``gen_ai.tool.definitions`` entry (``llm.tools.N.tool.json_schema``)."""
    try:
        parsed = json.loads(definitions) if isinstance(definitions, str) else None
    except (ValueError, RecursionError):
        return []
    out: list[str] = []
    for item in parsed if isinstance(parsed, list) else ():
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        function = {k: item[k] for k in ("name", "description", "parameters") if item.get(k) is not None}
        out.append(dumps({"type": item.get("type") or "function", "function": function}))
    return out


class OpenInferenceView:
    """The `Enricher` that adds the OpenInference attributes (see the module docstring)."""

    __slots__ = ("budget", "capture_content")

    def __init__(self, settings: Settings) -> None:
        self.capture_content = settings.mode in (ContentMode.SPAN_ONLY, ContentMode.SPAN_AND_EVENT)
        """Content copies (``input.value``...) only when content goes on spans (not ``EVENT_ONLY``, not off)."""
        self.budget = SpanBudget(
            max_attribute_bytes=settings.max_attribute_bytes, max_span_bytes=settings.max_span_bytes
        )

    def __call__(self, span: ReadableSpan, attributes: dict[str, Any]) -> None:
        given = attributes.get(OI.OPENINFERENCE_SPAN_KIND)
        derived = not (isinstance(given, str) and given)  # else an OpenInference instrumentor's span: fill gaps only
        kind = span_kind(attributes) if derived else str(given)
        if kind == _Kind.UNKNOWN.value and derived:
            return  # no GenAI or agent structure, outside runs: what a viewer shows without a kind; span kept as is
        room = self._room(span, attributes)
        notes: list[str] = []
        if derived:
            need = sum(map(value_bytes, (OI.OPENINFERENCE_SPAN_KIND, kind, OI.OPENINFERENCE_DERIVED, True)))
            if need > room:  # a span at its budget: our own attributes keep it (and the note only if it fits too)
                note = f"{OI.OPENINFERENCE_SPAN_KIND} (dropped)"
                if (
                    value_bytes(note) + 1 + (0 if A.TRUNCATED in attributes else value_bytes(A.TRUNCATED))
                    <= room + _RESERVE
                ):
                    _note(attributes, [note])
                return
            attributes[OI.OPENINFERENCE_SPAN_KIND] = kind
            attributes[OI.OPENINFERENCE_DERIVED] = True  # a reader of OpenInference traces leaves this span as is
            room -= need
        extras: list[tuple[str, Any]] = [  # in the order they get the room the budget leaves
            (OI.OI_SESSION_ID, attributes.get(A.SESSION_ID, attributes.get(G.GEN_AI_CONVERSATION_ID))),
            (OI.OI_USER_ID, attributes.get(A.USER_ID)),
            (OI.OI_AGENT_NAME, attributes.get(G.GEN_AI_AGENT_NAME) if kind == _Kind.AGENT.value else None),
        ]
        if self.capture_content:
            extras += [(key, (text, mime)) for key, text, mime in content_io(kind, attributes)]
        extras += [(OI.OI_METADATA, metadata(attributes)), (OI.OI_TAG_TAGS, tags(attributes) or None)]
        extras = [(key, value) for key, value in extras if value is not None and key not in attributes]
        schemas = self._schemas(kind, attributes)
        for key, value in extras:
            if key in _MIME_KEY:
                (text, mime), mime_key = value, _MIME_KEY[key]
                mime_size = value_bytes(mime_key) + value_bytes(mime)
                room = self._put(attributes, key, text, room - mime_size, notes)
                if key in attributes:
                    attributes.setdefault(mime_key, mime)
                else:
                    room += mime_size
            else:
                room = self._put(attributes, key, value, room, notes)
        kept = 0
        for i, schema in enumerate(schemas[:_MAX_TOOLS]):
            key = f"{OI.OI_LLM_TOOLS}.{i}.{OI.OI_TOOL_JSON_SCHEMA}"
            size = value_bytes(key) + min(value_bytes(schema), self.budget.max_attribute_bytes)
            if size > room:
                break
            attributes[key] = schema
            room -= size
            kept += 1
        if kept < len(schemas):
            notes.append(f"{OI.OI_LLM_TOOLS}: {len(schemas) - kept} of {len(schemas)} dropped")
        if notes:
            _note(attributes, notes)

    def _schemas(self, kind: str, attributes: Mapping[str, Any]) -> list[str]:
        """``llm.tools`` entries to add: an LLM span's tool definitions (content on spans, none there yet)."""
        definitions = attributes.get(G.GEN_AI_TOOL_DEFINITIONS)
        if definitions is None or kind != _Kind.LLM.value or not self.capture_content:
            return []
        if any(key.startswith(_TOOLS_PREFIX) for key in attributes):
            return []
        return tool_schemas(definitions)

    def _put(self, attributes: dict[str, Any], key: str, text: Any, room: int, notes: list[str]) -> int:
        """Add ``key`` within ``room`` bytes (cut to fit, or left out and listed); the room left."""
        size = value_bytes(key) + min(value_bytes(text), self.budget.max_attribute_bytes)
        if size <= room:
            attributes[key] = text
            return room - size
        fit = room - value_bytes(key)
        if fit < MIN_COPY_BYTES:
            notes.append(f"{key} (dropped)")
            return room
        attributes[key] = cut_value(text, fit)
        notes.append(key)
        return room - value_bytes(key) - value_bytes(attributes[key])

    def _room(self, span: ReadableSpan, attributes: Mapping[str, Any]) -> int:
        """Bytes the span budget has left once every value is counted at its per-attribute cut (as `SpanBudget`)."""
        limit = self.budget.max_attribute_bytes
        used = value_bytes(span.name) + value_bytes(span.status.description or "")
        used += _mapping_at_cut(attributes, limit)
        used += sum(value_bytes(e.name) + _mapping_at_cut(e.attributes or {}, limit) for e in span.events)
        used += sum(_mapping_at_cut(link.attributes or {}, limit) for link in span.links)
        return self.budget.max_span_bytes - _RESERVE - used


def _note(attributes: dict[str, Any], notes: list[str]) -> None:
    """Append ``notes`` to ``agent_trace.truncated`` (the budget merges its own entries after them)."""
    previous = attributes.get(A.TRUNCATED)
    if isinstance(previous, str):
        previous = (previous,)
    kept = [e for e in previous if isinstance(e, str)] if isinstance(previous, (list, tuple)) else []
    attributes[A.TRUNCATED] = (*kept, *notes)


def _mapping_at_cut(attributes: Mapping[str, Any], limit: int) -> int:
    return sum(value_bytes(key) + min(value_bytes(value), limit) for key, value in attributes.items())

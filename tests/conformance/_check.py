"""Check one recorded span against a span definition of `_spec`: a list of what does not conform."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

from tests.conformance._spec import (
    BOOL,
    DEVIATIONS,
    INT,
    NUMBER,
    STRING,
    STRINGS,
    Attr,
    Fact,
    Level,
    SpanDefinition,
)

_PLACEHOLDER = re.compile(r"\{([a-z_.]+)\}")


def _typed(value: Any, kind: str) -> bool:
    if kind == STRING:
        return isinstance(value, str) and value != ""
    if kind == INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == BOOL:
        return isinstance(value, bool)
    if kind == NUMBER:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == STRINGS:
        return isinstance(value, tuple) and all(isinstance(v, str) for v in value)
    return True


def _expected_name(template: str, attributes: Mapping[str, Any]) -> str:
    return _PLACEHOLDER.sub(lambda m: str(attributes.get(m.group(1), "")), template).strip()


def conformance_problems(span: ReadableSpan, definition: SpanDefinition, facts: Collection[Fact]) -> list[str]:
    """What in ``span`` breaks ``definition`` given what the test knows about its call (``facts``); ``[]`` if none.

    Required attributes must be there with their type (and a well-known value where the spec lists them);
    a conditional one must be there when its fact holds (and absent when not, for "if and only if" ones); an
    opt-in one must be absent without `Fact.CONTENT`, and there with it when its fact holds; a listed
    recommended one must be there when its fact holds. The span kind must be the spec's, the name too unless
    `DEVIATIONS` names another.
    """
    facts = set(facts) | {Fact.ALWAYS}
    attributes = dict(span.attributes or {})
    problems: list[str] = []
    if span.kind is not definition.kind:
        problems.append(f"span kind {span.kind.name}, the spec says {definition.kind.name}")
    deviation = DEVIATIONS.get(definition.id)
    templates = deviation.names if deviation is not None else (definition.name,)
    expected = [_expected_name(template, attributes) for template in templates]
    if span.name not in expected:
        problems.append(f"span name {span.name!r}, expected {' or '.join(map(repr, expected))} {templates}")
    operation = attributes.get("gen_ai.operation.name")
    if operation not in definition.operation:
        problems.append(f"gen_ai.operation.name {operation!r}, expected one of {sorted(definition.operation)}")
    failed = span.status.status_code is StatusCode.ERROR
    if failed != (Fact.ERROR in facts):
        problems.append(f"status {span.status.status_code.name} but the test says error={Fact.ERROR in facts}")
    for attr in definition.attributes:
        problems.extend(_attr_problems(attr, attributes, facts))
    return problems


def _attr_problems(attr: Attr, attributes: Mapping[str, Any], facts: set[Fact]) -> list[str]:
    present = attr.key in attributes
    applies = attr.when in facts
    label = f"{attr.key} ({attr.level.value}{', ' + attr.condition if attr.condition else ''})"
    if attr.level is Level.OPT_IN:
        if Fact.CONTENT not in facts:
            return [f"{label} recorded without content capture"] if present else []
        if applies and not present:
            return [f"{label} missing with content capture on although {attr.when.value}"]
        return _value_problems(attr, attributes, label) if present else []
    must = attr.level is Level.REQUIRED or applies
    if must and not present:
        return [f"{label} missing" + ("" if attr.level is Level.REQUIRED else f" although {attr.when.value}")]
    if present and not applies and attr.exactly:
        return [f"{label} set although not: {attr.when.value}"]
    return _value_problems(attr, attributes, label) if present else []


def _value_problems(attr: Attr, attributes: Mapping[str, Any], label: str) -> list[str]:
    value = attributes[attr.key]
    if attr.level is Level.OPT_IN:
        shape = _SHAPES.get(attr.key)
        if shape is None:  # type "any": a plain string (a tool's text result) is a value too
            return []
        try:  # a schema-shaped value, recorded as a JSON string on spans
            parsed = json.loads(str(value))
        except ValueError:
            return [f"{label} is not JSON: {str(value)[:80]!r}"]
        return [f"{label}: {problem}" for problem in shape(parsed)]
    if not _typed(value, attr.type):
        return [f"{label} = {value!r}, not a {attr.type}"]
    if attr.values is not None and value not in attr.values:
        return [f"{label} = {value!r}, not one of {sorted(attr.values)}"]
    return []


def _tool_definitions_shape(value: Any) -> list[str]:
    """Tool Definitions JSON Schema: an array of objects, each with a string ``type`` and ``name``."""
    if not isinstance(value, list):
        return ["not an array"]
    return [
        f"item {i} lacks a string type and name: {item!r}"[:200]
        for i, item in enumerate(value)
        if not (isinstance(item, dict) and isinstance(item.get("type"), str) and isinstance(item.get("name"), str))
    ]


def _messages_shape(value: Any, *, output: bool = False) -> list[str]:
    """Input/output messages JSON Schemas: an array of objects with a ``role`` and a ``parts`` array of typed
    parts; an output message also has its ``finish_reason``."""
    if not isinstance(value, list):
        return ["not an array"]
    problems = []
    for i, message in enumerate(value):
        parts = message.get("parts") if isinstance(message, dict) else None
        if not (isinstance(message, dict) and isinstance(message.get("role"), str) and isinstance(parts, list)):
            problems.append(f"message {i} lacks a role and parts: {message!r}"[:200])
        elif not all(isinstance(part, dict) and isinstance(part.get("type"), str) for part in parts):
            problems.append(f"message {i} has a part without a type"[:200])
        elif output and not isinstance(message.get("finish_reason"), str):
            problems.append(f"output message {i} has no finish_reason")
    return problems


def _output_messages_shape(value: Any) -> list[str]:
    return _messages_shape(value, output=True)


def _parts_shape(value: Any) -> list[str]:
    """System instructions JSON Schema: an array of typed parts."""
    if not isinstance(value, list):
        return ["not an array"]
    return [
        f"part {i} has no type" for i, part in enumerate(value) if not isinstance(part, dict) or not part.get("type")
    ]


_SHAPES = {
    "gen_ai.tool.definitions": _tool_definitions_shape,
    "gen_ai.system_instructions": _parts_shape,
    "gen_ai.input.messages": _messages_shape,
    "gen_ai.output.messages": _output_messages_shape,
}

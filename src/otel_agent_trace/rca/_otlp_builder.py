"""A tiny writer of OTLP-JSON documents for synthetic agent runs (no OpenTelemetry SDK involved)."""

from __future__ import annotations

import json
import random
from typing import Any

from otel_agent_trace.semconv import (
    AGENT_RUN_ID,
    AGENT_STEP_ACTION_TYPE,
    AGENT_STEP_INDEX,
    AGENT_STEP_INPUT,
    AGENT_STEP_NAME,
    AGENT_STEP_OUTPUT,
    ERROR_EVENT_NAME,
    ERROR_HANDLED,
    ERROR_HANDLER,
    ERROR_TYPE,
    EXCEPTION_MESSAGE,
    EXCEPTION_TYPE,
    GEN_AI_AGENT_NAME,
    GEN_AI_OPERATION_NAME,
    GEN_AI_TOOL_CALL_ARGUMENTS,
    GEN_AI_TOOL_CALL_ID,
    GEN_AI_TOOL_CALL_RESULT,
    GEN_AI_TOOL_NAME,
)

_MS = 1_000_000


def any_value(value: Any) -> dict[str, Any]:
    """An OTLP-JSON ``AnyValue`` for a Python value."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, (list, tuple)):
        return {"arrayValue": {"values": [any_value(v) for v in value]}}
    return {"stringValue": value if isinstance(value, str) else json.dumps(value, sort_keys=True)}


def key_values(attributes: dict[str, Any]) -> list[dict[str, Any]]:
    """An OTLP-JSON ``KeyValue`` list."""
    return [{"key": k, "value": any_value(v)} for k, v in attributes.items() if v is not None]


class RunBuilder:
    """Builds the spans of one run on a simulated clock; `document` gives the OTLP-JSON."""

    def __init__(self, rng: random.Random, agent: str, start_ns: int = 1_700_000_000_000_000_000) -> None:
        self.rng = rng
        self.trace_id = f"{rng.getrandbits(128):032x}"
        self.run_id = f"run-{rng.getrandbits(32):08x}"
        self.agent = agent
        self.clock = start_ns
        self.spans: list[dict[str, Any]] = []
        self._open: dict[str, dict[str, Any]] = {}
        self.step_index = 0

    def new_id(self) -> str:
        """A fresh span id."""
        return f"{self.rng.getrandbits(64):016x}"

    def tick(self, ms: float) -> None:
        """Advance the clock."""
        self.clock += int(ms * _MS)

    def start(self, name: str, parent: str | None, attributes: dict[str, Any]) -> str:
        """Open a span; returns its id."""
        span_id = self.new_id()
        attrs = {AGENT_RUN_ID: self.run_id, **attributes}
        span = {
            "traceId": self.trace_id,
            "spanId": span_id,
            "name": name,
            "kind": 1,
            "startTimeUnixNano": str(self.clock),
            "attributes": attrs,
            "events": [],
        }
        if parent:
            span["parentSpanId"] = parent
        self._open[span_id] = span
        self.spans.append(span)
        self.tick(self.rng.uniform(0.2, 2))
        return span_id

    def event(self, span_id: str, name: str, attributes: dict[str, Any]) -> None:
        """Add an event at the current time."""
        self._open[span_id]["events"].append(
            {"name": name, "timeUnixNano": str(self.clock), "attributes": key_values(attributes)}
        )

    def fail(self, span_id: str, exc_type: str, message: str) -> None:
        """Record an exception that escapes the span (status ERROR, ``exception`` event, ``error.type``)."""
        self.event(span_id, "exception", {EXCEPTION_TYPE: exc_type, EXCEPTION_MESSAGE: message})
        span = self._open[span_id]
        span["status"] = {"code": 2, "message": f"{exc_type}: {message}"}
        span["attributes"][ERROR_TYPE] = exc_type

    def handled(self, span_id: str, exc_type: str, message: str, handler: str) -> None:
        """Record an error that the span's code caught and handled (``agent_trace.error`` event)."""
        self.event(
            span_id,
            ERROR_EVENT_NAME,
            {EXCEPTION_TYPE: exc_type, EXCEPTION_MESSAGE: message, ERROR_HANDLED: True, ERROR_HANDLER: handler},
        )

    def end(self, span_id: str, ms: float = 0.0, /, **attributes: Any) -> None:
        """Close a span after ``ms`` more milliseconds, adding attributes."""
        self.tick(ms)
        span = self._open.pop(span_id)
        span["attributes"].update(attributes)
        span["endTimeUnixNano"] = str(self.clock)
        self.tick(self.rng.uniform(0.1, 1))

    def step(self, name: str, parent: str, action: str, step_input: Any) -> str:
        """Open a ``step {name}`` span."""
        index = self.step_index
        self.step_index += 1
        return self.start(
            f"step {name}",
            parent,
            {
                AGENT_STEP_NAME: name,
                AGENT_STEP_INDEX: index,
                AGENT_STEP_ACTION_TYPE: action,
                AGENT_STEP_INPUT: json.dumps(step_input, sort_keys=True),
            },
        )

    def end_step(self, span_id: str, output: Any, ms: float = 0.0) -> None:
        """Close a step with its output."""
        self.end(span_id, ms, **{AGENT_STEP_OUTPUT: json.dumps(output, sort_keys=True)})

    def tool(
        self, parent: str, tool: str, arguments: Any, result: Any, ms: float, error: tuple[str, str] | None = None
    ) -> str:
        """A whole ``execute_tool`` span."""
        span_id = self.start(
            f"execute_tool {tool}",
            parent,
            {
                GEN_AI_OPERATION_NAME: "execute_tool",
                GEN_AI_TOOL_NAME: tool,
                GEN_AI_TOOL_CALL_ID: f"call_{self.rng.getrandbits(40):010x}",
                GEN_AI_TOOL_CALL_ARGUMENTS: json.dumps(arguments, sort_keys=True),
                GEN_AI_AGENT_NAME: self.agent,
            },
        )
        self.tick(ms)
        if error:
            self.fail(span_id, *error)
            self.end(span_id)
        else:
            self.end(span_id, **{GEN_AI_TOOL_CALL_RESULT: json.dumps(result, sort_keys=True)})
        return span_id

    def agent_span(self, agent: str, parent: str | None, extra: dict[str, Any] | None = None) -> str:
        """Open an ``invoke_agent`` span."""
        return self.start(
            f"invoke_agent {agent}",
            parent,
            {GEN_AI_OPERATION_NAME: "invoke_agent", GEN_AI_AGENT_NAME: agent, **(extra or {})},
        )

    def document(self, service: str = "shop-agent") -> dict[str, Any]:
        """The OTLP-JSON ``{"resourceSpans": [...]}`` document of every span built so far."""
        spans = []
        for span in self.spans:
            out = dict(span)
            out["attributes"] = key_values(span["attributes"])
            out.setdefault("endTimeUnixNano", str(self.clock))
            spans.append(out)
        return {
            "resourceSpans": [
                {
                    "resource": {"attributes": key_values({"service.name": service})},
                    "scopeSpans": [{"scope": {"name": "otel_agent_trace"}, "spans": spans}],
                }
            ]
        }

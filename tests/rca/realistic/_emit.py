"""Replay a `Scenario` through the manual API, the way an application using otel-agent-trace records a run.

The spans go through the real `AgentSpanProcessor` (content capture on) into an in-memory exporter, are encoded
as OTLP-JSON by the exporters' encoder and read back by the public loader, so the RCA sees exactly what it would
read from a collector's file. Ids come from a seeded generator and times from the replay clock (`_clock`), so a
recording is reproducible.
"""

from __future__ import annotations

import builtins
import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opentelemetry import trace as otel_trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator

import otel_agent_trace as oat
from otel_agent_trace._internal.settings import set_settings
from otel_agent_trace._internal.tracing import set_default_tracer_provider
from otel_agent_trace.exporters.otlp_json import spans_to_otlp_json
from otel_agent_trace.model import Trace, group_traces, spans_from_otlp
from otel_agent_trace.processor import AgentSpanProcessor
from otel_agent_trace.semconv.gen_ai import GEN_AI_AGENT_NAME

from ._clock import replay_times
from ._script import Node, Scenario


class HTTPStatusError(Exception):
    """What an HTTP client raises on a 4xx/5xx answer."""


class GraphRecursionError(RecursionError):
    """What a graph runner raises when the step limit is reached without a stop condition."""


class ToolExecutionError(Exception):
    """What a tool wrapper raises when the tool itself fails."""


_LOCAL = {c.__name__: c for c in (HTTPStatusError, GraphRecursionError, ToolExecutionError)}


def _exception(spec: tuple[str, str]) -> Exception:
    kind, message = spec
    if kind == "JSONDecodeError":
        return json.JSONDecodeError(message, "", 0)
    cls = _LOCAL.get(kind) or getattr(builtins, kind, None)
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        raise ValueError(f"unknown exception type {kind!r}")
    return cls(message)


@dataclass
class EmittedRun:
    """A scenario after recording: the OTLP-JSON document, the loaded trace, and the decisive span's id."""

    scenario: Scenario
    document: dict[str, Any]
    trace: Trace
    decisive_span_id: str | None
    """Taken from the live span when it was recorded (the label's key is resolved independently)."""


class _SeededIds(RandomIdGenerator):
    """Trace and span ids from a seeded generator, so that a recording is the same every time."""

    def __init__(self) -> None:
        self.rng = random.Random(0)

    def generate_span_id(self) -> int:
        return self.rng.getrandbits(64) or 1

    def generate_trace_id(self) -> int:
        return self.rng.getrandbits(128) or 1


class Recorder:
    """A tracer provider as ``init()`` builds one (content capture on, no exporter), plus an in-memory exporter."""

    def __init__(self) -> None:
        self.provider: TracerProvider = oat.init(
            service_name="agent-benchmark",
            exporters="none",
            capture_content=True,
            instrumentors="none",
            set_global=False,
        )
        self.ids = _SeededIds()
        self.provider.id_generator = self.ids  # read when the manual API's tracer is first made
        self.exporter = InMemorySpanExporter()
        self.provider.add_span_processor(AgentSpanProcessor(SimpleSpanProcessor(self.exporter)))
        self._decisive: str | None = None

    def record(self, scenario: Scenario) -> EmittedRun:
        """Run the scenario through the manual API and read its trace back."""
        self.exporter.clear()
        self._decisive = None
        run_key = f"{scenario.system}:{scenario.category}:{scenario.shape}:{scenario.seed}"
        self.ids.rng.seed(f"ids:{run_key}")
        try:
            with oat.agent_session(f"s-{scenario.system}-{scenario.seed}", user_id="benchmark"):
                self._root(scenario)
        except Exception:  # the run failed by raising: the harness logs it and goes on to the next task
            pass
        document = spans_to_otlp_json(list(self.exporter.get_finished_spans()))
        replay_times(document, run_key)
        traces = group_traces(spans_from_otlp(json.loads(json.dumps(document))))
        if len(traces) != 1:
            raise AssertionError(f"expected one trace per run, got {len(traces)}")
        return EmittedRun(scenario, document, traces[0], self._decisive)

    def _note(self, node: Node, scenario: Scenario) -> None:
        if node is scenario.script.decisive:
            self._decisive = format(otel_trace.get_current_span().get_span_context().span_id, "016x")

    def _root(self, scenario: Scenario) -> None:
        root = scenario.root

        @oat.agent_run(root.agent, description=f"{scenario.family} ({scenario.system})")
        def run(task: str) -> Any:
            for child in root.children:
                self._node(child, scenario)
            if scenario.outcome is not None:
                o = scenario.outcome
                oat.record_outcome(
                    o.success,
                    expected=o.expected,
                    actual=o.actual,
                    reason=o.reason,
                    evaluator=o.evaluator,
                    score=1.0 if o.success else 0.0,
                )
            return root.output if root.output is not None else scenario.script.last_message

        run(root.input)

    def _node(self, node: Node, scenario: Scenario) -> None:
        flat = scenario.script.flat
        if node.kind == "run":

            @oat.agent_run(node.agent)
            def sub_agent(message: str) -> Any:
                self._note(node, scenario)
                for child in node.children:
                    self._node(child, scenario)
                return node.output

            sub_agent(node.input)
        elif node.kind == "step":
            with oat.step(node.name, action_type=node.action_type) as step:
                self._note(node, scenario)
                if flat:
                    step.set_attribute(GEN_AI_AGENT_NAME, node.agent)
                if node.input is not None:
                    step.set_input(node.input)
                for child in node.children:
                    self._node(child, scenario)
                if node.state is not None:
                    oat.snapshot_state(**node.state)
                if node.raises is not None:
                    raise _exception(node.raises)
                if node.output is not None:
                    step.set_output(node.output)
        elif node.kind == "tool":
            try:
                with oat.tool_call(node.name, call_id=node.call_id, arguments=node.input) as tool:
                    self._note(node, scenario)
                    if flat:
                        tool.set_attribute(GEN_AI_AGENT_NAME, node.agent)
                    if node.raises is not None:
                        raise _exception(node.raises)
                    tool.set_result(node.output)
            except Exception as exc:
                if not node.caught:
                    raise
                oat.record_error(exc, handler="reported to the model", handled=True)
        elif node.kind == "decision":
            with oat.decision(node.name, options=node.options) as choice:
                self._note(node, scenario)
                if flat:
                    choice.set_attribute(GEN_AI_AGENT_NAME, node.agent)
                choice.choose(node.output, rationale=node.rationale)
        else:
            raise ValueError(f"unknown node kind {node.kind!r}")

    def close(self) -> None:
        """Shut the provider down and give the manual API back to the process's defaults."""
        self.provider.shutdown()
        set_default_tracer_provider(None)
        set_settings(None)


@contextmanager
def recorder() -> Iterator[Recorder]:
    """A `Recorder` for the duration of the block (the process's tracing defaults are restored afterwards)."""
    rec = Recorder()
    try:
        yield rec
    finally:
        rec.close()


def write_jsonl(runs: list[EmittedRun], path: Path) -> None:
    """Write the runs as OTLP-JSON lines (one ``ExportTraceServiceRequest`` per line), as the file store does."""
    with path.open("w", encoding="utf-8") as out:
        for run in runs:
            out.write(json.dumps(run.document) + "\n")

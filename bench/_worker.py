"""One benchmark subprocess: set up one tool's tracing, run one scenario many times, print one JSON line.

``python bench/_worker.py --scenario S --tool T --capture on|off --port P --warmup W --iterations N [--profile]``

Every tracing tool gets the same no-op exporter (`DropExporter`, which counts what it receives) behind a batching
processor: the peers a plain SDK ``BatchSpanProcessor``, ours whatever ``otel_agent_trace.init()`` builds
(``AgentSpanProcessor`` around ``BoundedBatchSpanProcessor``); only the exporter ``init()`` would create is swapped
for the no-op one.

The timed loop measures the application thread: ``perf_counter_ns`` and the thread's CPU clock around each
iteration, both medians reported (CPU time does not count waiting for a busy machine's CPU). It also measures the
process CPU time of the loop plus a final ``force_flush()``, so work the batch and export threads do (our redaction
and budget pass run there) is counted too.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: tests.* mock bodies
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/: _mock_llm

MODEL = "gpt-4o-mini"
MESSAGES: Any = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Say hello."}]

# (scenario, tool) -> what to instrument; "ours" tools go through otel_agent_trace.init().
OURS = {
    "otel-agent-trace": None,
    "otel-agent-trace[langchain]": ["langchain"],
    "otel-agent-trace[agents]": ["openai_agents"],
}


class _Drop:
    """A span exporter that drops everything and counts it."""

    def __init__(self) -> None:
        self.count = 0

    def export(self, spans: Sequence[Any]) -> Any:
        from opentelemetry.sdk.trace.export import SpanExportResult

        self.count += len(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True


def _drop_exporter() -> Any:
    from opentelemetry.sdk.trace.export import SpanExporter

    class DropExporter(_Drop, SpanExporter):
        pass

    return DropExporter()


def _drop_metric_exporter() -> Any:
    """A metric exporter that drops everything (the metrics are still recorded and collected)."""
    from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult

    class DropMetricExporter(MetricExporter):
        def export(self, metrics_data: Any, timeout_millis: float = 10_000, **kwargs: Any) -> Any:
            return MetricExportResult.SUCCESS

        def force_flush(self, timeout_millis: float = 10_000) -> bool:
            return True

        def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
            pass

    return DropMetricExporter()


def _peer_meter_provider() -> Any:
    """What a peer that records metrics gets: an SDK provider with a periodic reader, as ``init()`` builds."""
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    return MeterProvider(metric_readers=[PeriodicExportingMetricReader(_drop_metric_exporter())])


def _peer_provider(exporter: Any) -> Any:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def setup_tracing(scenario: str, tool: str, capture: bool, exporter: Any) -> Any:
    """Install ``tool``'s tracing for ``scenario``; return the provider (``None`` when uninstrumented)."""
    if tool == "uninstrumented":
        return None
    if tool in OURS:
        import otel_agent_trace
        from otel_agent_trace.configuration import _init, _metrics

        _init.build_exporters = lambda *a, **k: [exporter]  # type: ignore[attr-defined]  # init()'s one change
        _metrics.build_metric_exporters = lambda *a, **k: [_drop_metric_exporter()]  # and the same for metrics
        # exporters="otlp_http" only keeps init() from preparing a local store; the builder above returns the no-op one
        return otel_agent_trace.init("bench", exporters="otlp_http", capture_content=capture, instrumentors=OURS[tool])
    provider = _peer_provider(exporter)
    if scenario == "openai":
        if tool == "openinference":
            from openinference.instrumentation.openai import OpenAIInstrumentor as OiOpenAI

            OiOpenAI().instrument(tracer_provider=provider)
        elif tool == "openllmetry":
            from opentelemetry.instrumentation.openai import OpenAIInstrumentor as LlmOpenAI

            LlmOpenAI().instrument(tracer_provider=provider, meter_provider=_peer_meter_provider())
        elif tool == "openai-v2":
            from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor as V2

            V2().instrument(tracer_provider=provider, meter_provider=_peer_meter_provider())  # type: ignore[no-untyped-call]
        else:
            raise SystemExit(f"unknown tool {tool!r} for {scenario}")
    elif scenario == "langgraph":
        if tool == "openinference":
            from openinference.instrumentation.langchain import LangChainInstrumentor as OiLangChain

            OiLangChain().instrument(tracer_provider=provider)
        elif tool == "openllmetry":
            from opentelemetry.instrumentation.langchain import LangchainInstrumentor as LlmLangChain

            LlmLangChain().instrument(tracer_provider=provider, meter_provider=_peer_meter_provider())
        else:
            raise SystemExit(f"unknown tool {tool!r} for {scenario}")
    elif scenario == "openai-agents":
        if tool == "openinference":
            from openinference.instrumentation.openai_agents import OpenAIAgentsInstrumentor as OiAgents

            OiAgents().instrument(tracer_provider=provider)
        elif tool == "openllmetry":
            from opentelemetry.instrumentation.openai_agents import OpenAIAgentsInstrumentor as LlmAgents

            LlmAgents().instrument(tracer_provider=provider, meter_provider=_peer_meter_provider())
        else:
            raise SystemExit(f"unknown tool {tool!r} for {scenario}")
    return provider


# --- scenarios: each returns one iteration as a callable ------------------------------------------------------------

TRANSPORT = {"name": "server"}
"""``server``: HTTP to the mock server in the driver; ``memory``: the same bodies from an in-process
``httpx2.MockTransport`` (the whole SDK and its HTTP client still run, no socket and no server thread to wait for)."""


def _memory_response(request: Any) -> Any:
    import httpx2
    from _mock_llm import answer

    try:
        body = json.loads(request.content or b"{}")
    except ValueError:
        body = {}
    content = answer(request.url.path, body if isinstance(body, dict) else {})
    status = 200 if content is not None else 404
    return httpx2.Response(status, content=content or b"{}", headers={"content-type": "application/json"})


def http_client(*, is_async: bool = False) -> Any:
    """The ``http_client=`` for an OpenAI client: ``None`` (real HTTP) or one on the in-memory transport."""
    if TRANSPORT["name"] != "memory":
        return None
    import httpx2

    if is_async:

        async def handler(request: Any) -> Any:
            return _memory_response(request)

        return httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
    return httpx2.Client(transport=httpx2.MockTransport(_memory_response))


def openai_call(base_url: str) -> Callable[[], Any]:
    """One sync chat completion (the README's shape)."""
    import openai

    client = openai.OpenAI(api_key="sk-bench", base_url=base_url, max_retries=0, http_client=http_client())
    create = client.chat.completions.create

    def run() -> Any:
        return create(model=MODEL, messages=MESSAGES, temperature=0.2, max_tokens=64)

    return run


def langgraph_run(base_url: str) -> Callable[[], Any]:
    """plan -> agent (ChatOpenAI + tools) -> tools_condition -> tools -> agent -> END: 3 nodes, 2 model calls."""
    from langchain_core.messages import BaseMessage, HumanMessage
    from langchain_core.tools import tool
    from langchain_openai import ChatOpenAI
    from langgraph.graph import START, MessagesState, StateGraph
    from langgraph.prebuilt import ToolNode, tools_condition

    @tool
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    chat = ChatOpenAI(model=MODEL, api_key="sk-bench", base_url=base_url, max_retries=0, http_client=http_client())  # type: ignore[arg-type]
    model = chat.bind_tools([add])

    def plan(state: MessagesState) -> dict[str, list[BaseMessage]]:
        return {"messages": []}

    def agent(state: MessagesState) -> dict[str, list[BaseMessage]]:
        return {"messages": [model.invoke(state["messages"])]}

    graph = StateGraph(MessagesState)
    graph.add_node("plan", plan)
    graph.add_node("agent", agent)
    graph.add_node("tools", ToolNode([add]))
    graph.add_edge(START, "plan")
    graph.add_edge("plan", "agent")
    graph.add_conditional_edges("agent", tools_condition)
    graph.add_edge("tools", "agent")
    app = graph.compile(name="bench_agent")

    def run() -> Any:
        result = app.invoke({"messages": [HumanMessage("what is 1 + 2?")]})
        assert result["messages"][-1].content == "1 + 2 = 3.", result
        return result

    return run


def openai_agents_run(base_url: str) -> Callable[[], Any]:
    """One Agents SDK run on the Responses API: a function-tool call, then the final answer (2 model calls)."""
    import asyncio

    import agents
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=base_url, api_key="sk-bench", max_retries=0, http_client=http_client(is_async=True))
    agents.set_default_openai_client(client)
    agents.set_default_openai_api("responses")

    @agents.function_tool
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    agent = agents.Agent(name="calculator", instructions="Use the add tool.", tools=[add], model=MODEL)
    loop = asyncio.new_event_loop()

    def run() -> Any:
        result = loop.run_until_complete(agents.Runner.run(agent, "what is 1 + 2?"))
        assert result.final_output == "1 + 2 = 3.", result.final_output
        return result

    return run


SCENARIOS: dict[str, Callable[[str], Callable[[], Any]]] = {
    "openai": openai_call,
    "langgraph": langgraph_run,
    "openai-agents": openai_agents_run,
}


def _before_setup(scenario: str) -> None:
    if scenario == "openai-agents":
        import agents

        # the SDK's default trace processor uploads to OpenAI's backend: removed for every tool alike
        agents.set_trace_processors([])


def measure(args: argparse.Namespace, profiler: Any = None) -> dict[str, Any]:
    capture = args.capture == "on"
    TRANSPORT["name"] = args.transport
    exporter = _drop_exporter()
    _before_setup(args.scenario)
    provider = setup_tracing(args.scenario, args.tool, capture, exporter)
    run = SCENARIOS[args.scenario](f"http://127.0.0.1:{args.port}/v1")
    for _ in range(args.warmup):
        run()
    if provider is not None:
        provider.force_flush()
    exported_before = exporter.count
    clock = time.perf_counter_ns
    thread_clock = time.thread_time_ns
    timings: list[float] = []
    thread_cpu: list[float] = []
    if profiler is not None:
        profiler.enable()
    cpu0 = time.process_time_ns()
    for _ in range(args.iterations):
        t0, c0 = clock(), thread_clock()
        run()
        timings.append((clock() - t0) / 1000.0)
        thread_cpu.append((thread_clock() - c0) / 1000.0)
    if provider is not None:
        provider.force_flush()
    cpu = (time.process_time_ns() - cpu0) / 1000.0 / args.iterations
    if profiler is not None:
        profiler.disable()
    return {
        "median_us": statistics.median(timings),
        "thread_cpu_us": statistics.median(thread_cpu),
        "cpu_us": cpu,
        "spans_per_iteration": (exporter.count - exported_before) / args.iterations,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), required=True)
    parser.add_argument("--tool", required=True)
    parser.add_argument("--capture", choices=("on", "off"), default="off")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--transport", choices=("server", "memory"), default="server")
    parser.add_argument("--profile", action="store_true", help="cProfile the timed loop; print the leaders")
    args = parser.parse_args(argv)
    if not args.profile:
        print(json.dumps(measure(args)))
        return
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    result = measure(args, profiler)  # the timed loop and the final flush only
    print(json.dumps(result), file=sys.stderr)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    print("Our own code, by self time:")
    pstats.Stats(profiler).sort_stats("tottime").print_stats("otel_agent_trace", 30)


if __name__ == "__main__":
    main()

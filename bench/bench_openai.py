"""Added time per ``openai`` sync chat completion: ours vs the other OpenAI instrumentations.

Not a test. Run ``python bench/bench_openai.py`` (``--rounds``, ``--calls``, ``--warmup`` to change the effort).

How it measures:

- One local mock server (stdlib ``ThreadingHTTPServer``, HTTP/1.1 keep-alive, Nagle off) runs in this process and
  answers ``POST /v1/chat/completions`` with a fixed, realistic JSON body.
- Every variant runs in its own worker subprocess (the peers patch the same methods, so they must not share a
  process); the workers of one round run one after the other, the order rotating between rounds. A worker makes
  ``--warmup`` calls, then times ``--calls`` calls one by one and reports their median.
- Every instrumented variant gets the same tracer setup: an SDK ``TracerProvider`` with a ``SimpleSpanProcessor``
  and an exporter that drops spans, so export cost is equal. Content capture is off everywhere.
- ``bare span`` makes the uninstrumented call inside a hand-made span:
  ``tracer.start_span(name, kind=CLIENT, attributes=<request attrs>)``, the call, ``span.set_attributes(<response
  attrs>)``, ``span.end()``, with exactly the attributes our instrumentor records for the same call. Its added
  time is the floor any instrumentation recording those attributes pays. (Timed apart from a real call, the same
  span work takes about half as long: caches are warm. Only the in-context cost is a fair yardstick.)
- ``--transport mock`` swaps the server for an in-memory ``httpx2.MockTransport`` returning the same body: the
  whole SDK still runs, without socket jitter, which on a busy machine dwarfs a 20 µs difference.
- Per round, a variant's added cost is its median minus the uninstrumented median of the same round; the table
  shows the median over rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

VARIANTS = ("uninstrumented", "otel-agent-trace", "openai-v2", "openllmetry", "openinference", "bare span")
PEER_PACKAGES = {
    "openai-v2": "opentelemetry-instrumentation-openai-v2",
    "openllmetry": "opentelemetry-instrumentation-openai",
    "openinference": "openinference-instrumentation-openai",
}

BODY = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello! How can I help you today?", "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 19,
            "completion_tokens": 9,
            "total_tokens": 28,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
        "system_fingerprint": "fp_bench",
    }
).encode()
MESSAGES = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Say hello."}]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)


# --- worker ---------------------------------------------------------------------------------------------------------


def _provider() -> Any:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

    class DropExporter(SpanExporter):
        def __init__(self) -> None:
            self.count = 0

        def export(self, spans: Sequence[Any]) -> SpanExportResult:
            self.count += len(spans)
            return SpanExportResult.SUCCESS

    exporter = DropExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def _instrument(variant: str, provider: Any) -> None:
    if variant == "otel-agent-trace":
        from otel_agent_trace.instrumentation.openai import OpenAIInstrumentor

        OpenAIInstrumentor().instrument(tracer_provider=provider, capture_content=False)
    elif variant == "openai-v2":
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor as V2

        V2().instrument(tracer_provider=provider)
    elif variant == "openllmetry":
        from opentelemetry.instrumentation.openai import OpenAIInstrumentor as Llm

        Llm(enrich_assistant=False).instrument(tracer_provider=provider)
    elif variant == "openinference":
        from openinference.instrumentation.openai import OpenAIInstrumentor as Oi

        Oi().instrument(tracer_provider=provider)


def _client(port: int, transport: str) -> Any:
    import openai

    base_url = f"http://127.0.0.1:{port}/v1"
    if transport == "mock":
        import httpx2

        mock = httpx2.MockTransport(
            lambda request: httpx2.Response(200, content=BODY, headers={"content-type": "application/json"})
        )
        return openai.OpenAI(
            api_key="sk-bench", base_url=base_url, max_retries=0, http_client=httpx2.Client(transport=mock)
        )
    return openai.OpenAI(api_key="sk-bench", base_url=base_url, max_retries=0)


def _time_calls(func: Any, warmup: int, calls: int) -> list[float]:
    for _ in range(warmup):
        func()
    timings = []
    clock = time.perf_counter_ns
    for _ in range(calls):
        t0 = clock()
        func()
        timings.append((clock() - t0) / 1000.0)
    return timings


def _bare_span_worker(port: int, warmup: int, calls: int, transport: str) -> dict[str, Any]:
    """Record our span for one call, then time uninstrumented calls each inside a hand-made span with its attributes."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import SpanKind

    from otel_agent_trace.instrumentation.openai import OpenAIInstrumentor
    from otel_agent_trace.semconv.gen_ai import GEN_AI_RESPONSE_ID

    memory = InMemorySpanExporter()
    probe = TracerProvider()
    probe.add_span_processor(SimpleSpanProcessor(memory))
    inst = OpenAIInstrumentor()
    inst.instrument(tracer_provider=probe)
    client = _client(port, transport)
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, temperature=0.2, max_tokens=64)
    inst.uninstrument()
    (recorded,) = memory.get_finished_spans()
    everything = dict(recorded.attributes or {})
    response_keys = [k for k in everything if k.startswith(("gen_ai.response.", "gen_ai.usage."))]
    response_attrs = {k: everything.pop(k) for k in response_keys}
    request_attrs = everything
    assert GEN_AI_RESPONSE_ID in response_attrs

    provider, exporter = _provider()
    tracer = provider.get_tracer("bench")
    name = recorded.name
    create = client.chat.completions.create

    def call_in_bare_span() -> None:
        span = tracer.start_span(name, kind=SpanKind.CLIENT, attributes=dict(request_attrs))
        create(model="gpt-4o-mini", messages=MESSAGES, temperature=0.2, max_tokens=64)
        span.set_attributes(dict(response_attrs))
        span.end()

    timings = _time_calls(call_in_bare_span, warmup, calls)
    return {"median_us": statistics.median(timings), "spans": exporter.count, "attributes": len(recorded.attributes)}


def worker(variant: str, port: int, warmup: int, calls: int, transport: str) -> dict[str, Any]:
    if variant == "bare span":
        return _bare_span_worker(port, warmup, calls, transport)
    provider, exporter = _provider()
    _instrument(variant, provider)
    client = _client(port, transport)

    def call() -> None:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, temperature=0.2, max_tokens=64)

    timings = _time_calls(call, warmup, calls)
    return {"median_us": statistics.median(timings), "spans": exporter.count}


# --- driver ---------------------------------------------------------------------------------------------------------


def _installed(variant: str) -> str | None:
    """None when the variant can run, else why it cannot."""
    package = PEER_PACKAGES.get(variant)
    if package is None:
        return None
    from importlib.metadata import PackageNotFoundError, version

    try:
        version(package)
    except PackageNotFoundError:
        return f"not installed (pip install {package})"
    return None


def _run_worker(variant: str, port: int, warmup: int, calls: int, transport: str) -> dict[str, Any]:
    env = dict(os.environ)
    env.update(
        {
            "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "false",
            "TRACELOOP_TRACE_CONTENT": "false",
            "OPENINFERENCE_HIDE_INPUTS": "true",
            "OPENINFERENCE_HIDE_OUTPUTS": "true",
            "OTEL_SEMCONV_STABILITY_OPT_IN": "gen_ai_latest_experimental",
        }
    )
    cmd = [sys.executable, __file__, "--worker", variant, "--port", str(port)]
    cmd += ["--warmup", str(warmup), "--calls", str(calls), "--transport", transport]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    names = ["openai", "opentelemetry-sdk", *PEER_PACKAGES.values()]
    out = []
    for name in names:
        try:
            out.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            out.append(f"{name} (absent)")
    return ", ".join(out)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--worker")
    parser.add_argument("--port", type=int)
    parser.add_argument("--transport", choices=("server", "mock"), default="server")
    args = parser.parse_args(argv)

    if args.worker:
        print(json.dumps(worker(args.worker, args.port, args.warmup, args.calls, args.transport)))
        return

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]

    skipped = {v: why for v in VARIANTS if (why := _installed(v)) is not None}
    runnable = [v for v in VARIANTS if v not in skipped]
    per_round: dict[str, list[float]] = {v: [] for v in runnable}
    added: dict[str, list[float]] = {v: [] for v in runnable}
    spans: dict[str, int] = {}
    errors: dict[str, str] = {}
    print(f"{_versions()}; Python {sys.version.split()[0]}; transport {args.transport}", file=sys.stderr)
    for r in range(args.rounds):
        shift = r % len(runnable)
        order = runnable[shift:] + runnable[:shift]
        results = {}
        for variant in order:
            result = _run_worker(variant, port, args.warmup, args.calls, args.transport)
            if "error" in result:
                errors[variant] = result["error"]
                continue
            results[variant] = result
            per_round[variant].append(result["median_us"])
            spans[variant] = result["spans"]
        base = results.get("uninstrumented")
        for variant, result in results.items():
            if base is not None and variant != "uninstrumented":
                added[variant].append(result["median_us"] - base["median_us"])
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    server.shutdown()

    bare = statistics.median(added["bare span"]) if added.get("bare span") else None
    rows = []
    for variant in VARIANTS:
        if variant in skipped or (variant in errors and not per_round.get(variant)):
            rows.append((variant, "-", "-", "-", skipped.get(variant) or f"failed: {errors[variant]}"))
            continue
        median = statistics.median(per_round[variant])
        note = ""
        if variant not in ("uninstrumented", "bare span") and spans.get(variant, 0) == 0:
            note = "recorded no span"
        if variant == "uninstrumented":
            rows.append((variant, f"{median:.1f}", "0", "-", note))
        elif variant == "bare span":
            extra = statistics.median(added[variant])
            rows.append((variant, f"{median:.1f}", f"{extra:.1f}", "1.00", "start_span + same attributes + end"))
        else:
            extra = statistics.median(added[variant])
            ratio = f"{extra / bare:.2f}" if bare else "-"
            rows.append((variant, f"{median:.1f}", f"{extra:.1f}", ratio, note))
    header = ("variant", "median µs/call", "added µs", "added / bare span", "note")
    print(f"| {' | '.join(header)} |")
    print(f"|{'|'.join('---' for _ in header)}|")
    for row in rows:
        print(f"| {' | '.join(row)} |")


if __name__ == "__main__":
    main()

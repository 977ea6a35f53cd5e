"""Hot-loop cost of each piece of one traced openai call: our wrapper, the SDK span, each span processor, export.

``.venv-bench/bin/python bench/bench_pieces.py [--reps 9]``

Not the end-to-end figure (see `bench_app_thread.py`): each piece runs alone in a tight loop (thread CPU time, best
and median of ``--reps`` repetitions), so caches are warm and the pieces add up to less than a real call costs.
Use it to see which piece a change moved. The span used is the one a real ``chat.completions.create`` made under
``otel_agent_trace.init()`` (as `_worker.py` sets it up: no-op exporters, in-memory transport).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _worker


def _per_call(fn: Callable[[], Any], n: int) -> float:
    clock = time.thread_time_ns
    c0 = clock()
    for _ in range(n):
        fn()
    return (clock() - c0) / n / 1000.0


def _measure(fn: Callable[[], Any], n: int, reps: int, after: Callable[[], Any] = lambda: None) -> tuple[float, float]:
    out = []
    for _ in range(reps):
        gc.collect()
        out.append(_per_call(fn, n))
        after()
    return min(out), statistics.median(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=9)
    args = parser.parse_args()
    import openai
    from opentelemetry import context as otel_context
    from opentelemetry.instrumentation.utils import suppress_instrumentation
    from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.trace import SpanKind

    from otel_agent_trace.instrumentation.openai import _extract
    from otel_agent_trace.processor._prepare import prepare

    _worker.TRANSPORT["name"] = "memory"
    provider = _worker.setup_tracing("openai", "otel-agent-trace", False, _worker._drop_exporter())
    kept: list[ReadableSpan] = []

    class Keep(SpanProcessor):
        def on_end(self, span: ReadableSpan) -> None:
            kept[:] = [span]

    provider.add_span_processor(Keep())
    run = _worker.openai_call("http://127.0.0.1:1/v1")
    for _ in range(20):
        run()
    span = kept[0]
    processors = [p for p in provider._active_span_processor._span_processors if not isinstance(p, Keep)]
    attributes = dict(span.attributes or {})
    response_keys = ("gen_ai.response", "gen_ai.usage", "openai.response")
    request = {k: v for k, v in attributes.items() if not k.startswith(response_keys)}
    response = {k: v for k, v in attributes.items() if k not in request}
    plain = TracerProvider()
    plain.add_span_processor(BatchSpanProcessor(_worker._drop_exporter()))
    ours_tracer, plain_tracer = provider.get_tracer("bench"), plain.get_tracer("bench")

    def span_of(tracer: Any) -> Callable[[], None]:
        def one() -> None:
            s = tracer.start_span("chat gpt-4o-mini", kind=SpanKind.CLIENT, attributes=request)
            s.set_attributes(response)
            s.end()

        return one

    wrapper: Any = getattr(openai.resources.chat.completions.Completions.create, "_self_wrapper")  # noqa: B009
    client = openai.OpenAI(api_key="sk-bench", base_url="http://127.0.0.1:1/v1", http_client=_worker.http_client())
    resource = client.chat.completions
    kwargs = {"model": _worker.MODEL, "messages": _worker.MESSAGES, "temperature": 0.2, "max_tokens": 64}
    with suppress_instrumentation():
        result = resource.create(**kwargs)

    def wrapper_cycle() -> None:  # what our wrapper adds around the SDK call (the call itself left out)
        started = wrapper._start(resource, kwargs)
        otel_context.detach(started[1])
        wrapper._finish(started[0], result, started[2], started[3], False)

    def extract() -> None:
        out = _extract.base_attributes("chat", _worker.MODEL)
        _extract.chat_request_attributes(kwargs, out, False)
        _extract.server_attributes(resource, out)
        _extract.chat_response_attributes(result, {}, False)

    agent = processors[0]
    live = ours_tracer.start_span("chat gpt-4o-mini", attributes=request)
    flush = provider.force_flush
    rows: list[tuple[str, tuple[float, float]]] = [
        (
            "SDK span, plain BatchSpanProcessor (start, set, end)",
            _measure(span_of(plain_tracer), 500, args.reps, plain.force_flush),
        ),
        ("SDK span, init()'s processors (start, set, end)", _measure(span_of(ours_tracer), 500, args.reps, flush)),
        ("our openai wrapper around the call (span included)", _measure(wrapper_cycle, 500, args.reps, flush)),
        ("  attribute extraction (request + response)", _measure(extract, 2000, args.reps)),
        ("  AgentSpanProcessor.on_start", _measure(lambda: agent.on_start(live, None), 2000, args.reps)),
    ]
    for processor in processors:
        name = f"  {type(processor).__name__}.on_end"
        rows.append((name, _measure(lambda p=processor: p.on_end(span), 2000, args.reps, flush)))  # type: ignore[misc]
    rows.append(("    prepare()", _measure(lambda: prepare(span, agent.hold, None), 2000, args.reps)))
    if agent.recent is not None:
        rows.append(("    diagnose buffer (ended)", _measure(lambda: agent.recent.ended(span), 2000, args.reps)))
    rows.append(("    batch queue (on_end)", _measure(lambda: agent.delegate.on_end(span), 2000, args.reps, flush)))
    transformer = agent.transformer
    rows.append(
        ("export thread: export_form (all enrichers)", _measure(lambda: transformer.export_form(span), 300, args.reps))
    )
    enrichers = transformer.enrichers
    for i, enricher in enumerate(enrichers):
        transformer.enrichers = tuple(e for j, e in enumerate(enrichers) if j != i)
        name = f"  export_form without {type(enricher).__name__}"
        rows.append((name, _measure(lambda: transformer.export_form(span), 300, args.reps)))
    transformer.enrichers = ()
    rows.append(("  export_form without any enricher", _measure(lambda: transformer.export_form(span), 300, args.reps)))
    transformer.enrichers = enrichers
    print(f"{len(attributes)} attributes on the span; best and median of {args.reps} repetitions, thread CPU µs")
    print("| piece | best µs | median µs |\n|---|---|---|")
    for name, (best, median) in rows:
        print(f"| {name} | {best:.1f} | {median:.1f} |")


if __name__ == "__main__":
    main()

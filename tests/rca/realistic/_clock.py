"""A replay clock: the times of a recorded run as a real agent run would have them, drawn from its seed.

Replaying a script takes microseconds per span, so the recorded durations are noise (and differ from one
recording to the next). Before the run is read back, every span's start and end (and its events' and tool
latency's) are rewritten from a simulated clock: model turns take seconds, tools tenths of a second to seconds,
agent and decision bookkeeping little, in the recorded start order and nesting. The result is deterministic.
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

from otel_agent_trace.semconv.tool import TOOL_LATENCY_MS

_EPOCH_NS = 1_790_000_000 * 10**9  # 2026-09-22, a fixed day for every recording


def _work_ns(span: dict[str, Any], rng: random.Random) -> int:
    name: str = span.get("name", "")
    if name.startswith("execute_tool "):
        seconds = rng.uniform(0.4, 4.0) if "code" in name or "python" in name else rng.uniform(0.05, 1.6)
    elif name.startswith("decision "):
        seconds = rng.uniform(0.2, 1.5)
    elif name.startswith("invoke_agent ") or name.startswith("evaluate "):
        seconds = rng.uniform(0.002, 0.02)
    else:
        seconds = rng.uniform(0.6, 9.0)
    return int(seconds * 1e9)


def _spans(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        span
        for resource in document.get("resourceSpans", [])
        for scope in resource.get("scopeSpans", [])
        for span in scope.get("spans", [])
    ]


def replay_times(document: dict[str, Any], seed: str) -> None:
    """Rewrite the document's span, event and tool-latency times in place from a clock seeded by ``seed``."""
    rng = random.Random(f"clock:{seed}")
    spans = _spans(document)
    ids = {s["spanId"] for s in spans}
    children: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for span in spans:
        parent = span.get("parentSpanId")
        children[parent if parent in ids else None].append(span)
    for group in children.values():
        group.sort(key=lambda s: int(s["startTimeUnixNano"]))

    def place(span: dict[str, Any], now: int) -> int:
        span["startTimeUnixNano"] = str(now)
        now += int(rng.uniform(0.001, 0.01) * 1e9)
        for child in children.get(span["spanId"], []):
            now = place(child, now) + int(rng.uniform(0.001, 0.05) * 1e9)
        now += _work_ns(span, rng)
        span["endTimeUnixNano"] = str(now)
        events = span.get("events", [])
        for i, event in enumerate(events):
            event["timeUnixNano"] = str(now - (len(events) - i) * 1000)
        for attribute in span.get("attributes", []):
            if attribute.get("key") == TOOL_LATENCY_MS:
                attribute["value"] = {"doubleValue": (now - int(span["startTimeUnixNano"])) / 1e6}
        return now

    now = _EPOCH_NS + rng.randrange(0, 30 * 86400) * 10**9
    for root in children.get(None, []):
        now = place(root, now)

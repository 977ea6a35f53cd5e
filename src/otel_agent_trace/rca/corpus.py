"""Synthetic agent runs with known injected root causes, as OTLP-JSON, for tests, benchmarks and demos.

Every run is an ``order_agent`` processing a shop order: plan (chat), look up the product, check stock, fetch the
customer, retrieve the shipping policy, pick a shipping method (decision), compute the total, validate, delegate
payment to a ``payment_agent`` sub-agent, create the shipment and answer. Distractors occur in passing and failing
runs alike: rate-limited chat calls that succeed on retry, unrelated low-confidence decisions, slowish tools.

Injected root causes (`CATEGORIES`); the labelled span is never the span where the failure surfaces:

* ``wrong_tool_output``: ``get_product`` returns a negative price (the payment gateway rejects the amount) or
  ``check_stock`` returns an unknown warehouse (the shipping API rejects it).
* ``bad_decision``: ``choose_shipping`` picks ``drone`` with low confidence; the shipping API refuses it.
* ``swallowed_exception``: ``crm_lookup`` raises ``KeyError`` which is swallowed; it resurfaces steps later.
* ``timeout``: ``check_stock`` hangs for half a minute; the run later exceeds its deadline.
* ``bad_retrieved_data``: the policy retrieval returns a wrong shipping fee; validation rejects the order.
* ``subagent_failure``: the payment sub-agent's gateway call fails; the shipment step fails later.

The labels live only in `CorpusRun`, never in the spans.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

from ._corpus_parts import CATEGORIES, CorpusRun, _chat, _done, _raise
from ._order_run import generate_run
from ._otlp_builder import RunBuilder

__all__ = [
    "CATEGORIES",
    "CorpusRun",
    "generate_corpus",
    "generate_long_run",
    "generate_run",
    "iter_spectrum_runs",
    "write_jsonl",
]


def generate_corpus(runs_per_category: int = 4, passing: int = 10, seed: int = 0) -> list[CorpusRun]:
    """``runs_per_category`` failing runs of each of `CATEGORIES` plus ``passing`` passing runs, shuffled."""
    rng = random.Random(seed)
    plan = [c for c in CATEGORIES for _ in range(runs_per_category)] + ["pass"] * passing
    rng.shuffle(plan)
    return [generate_run(category, rng.getrandbits(48)) for category in plan]


def iter_spectrum_runs(
    n_runs: int, seed: int = 0, failing_share: float = 0.3, categories: tuple[str, ...] = CATEGORIES
) -> Iterator[CorpusRun]:
    """``n_runs`` runs for spectrum analysis: mostly passing, ``failing_share`` of them of ``categories``."""
    rng = random.Random(seed)
    for _ in range(n_runs):
        category = rng.choice(categories) if rng.random() < failing_share else "pass"
        yield generate_run(category, rng.getrandbits(48))


def write_jsonl(runs: list[CorpusRun] | Iterator[CorpusRun], path: str) -> int:
    """Write runs to one JSONL file in the local store format (one OTLP-JSON document a line); returns the count."""
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        for run in runs:
            out.write(json.dumps(run.document, separators=(",", ":")) + "\n")
            count += 1
    return count


def generate_long_run(target_spans: int = 10_000, seed: int = 0) -> CorpusRun:
    """One long ``batch_agent`` run of about ``target_spans`` spans, for benchmarks.

    A loop over items, each a step with a tool call and a model call. Item 3's ``get_quote`` returns a negative
    price that is carried along and makes the final ``settle`` tool fail; the labelled root cause is that span.
    """
    rng = random.Random(seed)
    b = RunBuilder(rng, "batch_agent")
    root = b.agent_span("batch_agent", None)
    label = None
    item = 0
    running = 0.0
    bad_price = 0.0
    while len(b.spans) < target_spans - 6:
        sku = f"SKU-{item:05d}"
        step = b.step(f"quote_item_{item % 50}", root, "tool_call", {"sku": sku})
        price = round(rng.uniform(5, 500), 2)
        if item == 3:
            price = bad_price = -price
        tool = b.tool(step, "get_quote", {"sku": sku}, {"sku": sku, "price": price}, rng.uniform(20, 200))
        label = tool if item == 3 else label
        _chat(
            b,
            step,
            [{"role": "user", "content": f"Summarise quote for {sku}"}],
            f"{sku} costs {price}",
            retry=rng.random() < 0.01,
        )
        b.end_step(step, {"sku": sku, "price": price})
        running = round(running + price, 2)
        item += 1
    step = b.step("settle", root, "tool_call", {"bad_item_price": bad_price, "items": item})
    b.tool(step, "settle", {"price": bad_price}, None, 50, ("ValueError", f"price must be positive, got {bad_price}"))
    _raise(b, [step, root], "ValueError", f"price must be positive, got {bad_price}")
    return _done(b, "wrong_tool_output", label)

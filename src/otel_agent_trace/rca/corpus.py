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
from dataclasses import dataclass
from typing import Any

from otel_agent_trace.semconv import (
    AGENT_PARENT_NAME,
    DECISION_CHOSEN,
    DECISION_CONFIDENCE,
    DECISION_NAME,
    DECISION_OPTIONS,
    DECISION_RATIONALE,
    GEN_AI_INPUT_MESSAGES,
    GEN_AI_OPERATION_NAME,
    GEN_AI_OUTPUT_MESSAGES,
    GEN_AI_REQUEST_MODEL,
)

from ._otlp_builder import RunBuilder

CATEGORIES = (
    "wrong_tool_output",
    "bad_decision",
    "swallowed_exception",
    "timeout",
    "bad_retrieved_data",
    "subagent_failure",
)
"""The injected root-cause categories."""


@dataclass(frozen=True)
class CorpusRun:
    """One generated run: its OTLP-JSON document and the answer key (never visible to the analysis)."""

    trace_id: str
    category: str
    """One of `CATEGORIES`, or ``"pass"``."""
    failed: bool
    root_cause_span_id: str | None
    """The span where the fault was injected; ``None`` for passing runs."""
    document: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The answer key (without the document)."""
        return {
            "trace_id": self.trace_id,
            "category": self.category,
            "failed": self.failed,
            "root_cause_span_id": self.root_cause_span_id,
        }


def _chat(b: RunBuilder, parent: str, messages: list[dict[str, Any]], answer: str, retry: bool = False) -> str:
    model = "gpt-4o-mini"
    attrs = {
        GEN_AI_OPERATION_NAME: "chat",
        GEN_AI_REQUEST_MODEL: model,
        GEN_AI_INPUT_MESSAGES: json.dumps(messages, sort_keys=True),
    }
    if retry:  # a rate-limited attempt, retried successfully: a distractor
        first = b.start(f"chat {model}", parent, attrs)
        b.tick(b.rng.uniform(50, 200))
        b.fail(first, "openai.RateLimitError", "Error code: 429 - rate limit reached, retry after 1s")
        b.end(first)
        b.handled(parent, "openai.RateLimitError", "rate limit reached", "retry")
        b.tick(1000)
    span = b.start(f"chat {model}", parent, attrs)
    b.end(
        span,
        b.rng.uniform(300, 1500),
        **{GEN_AI_OUTPUT_MESSAGES: json.dumps([{"role": "assistant", "content": answer}], sort_keys=True)},
    )
    return span


def _decision(
    b: RunBuilder, parent: str, name: str, options: list[str], chosen: str, confidence: float, inputs: dict[str, Any]
) -> str:
    step = b.step(name, parent, "decision", inputs)
    span = b.start(
        f"decision {name}",
        step,
        {
            DECISION_NAME: name,
            DECISION_OPTIONS: options,
            DECISION_CHOSEN: chosen,
            DECISION_CONFIDENCE: round(confidence, 2),
            DECISION_RATIONALE: f"{chosen} fits {sorted(inputs)[0]}",
        },
    )
    b.end(span, b.rng.uniform(1, 5))
    b.end_step(step, {"chosen": chosen})
    return span


def generate_run(category: str, seed: int) -> CorpusRun:
    """One run of the given category (``"pass"`` for a passing run), deterministic in ``seed``.

    Raises:
        ValueError: for an unknown category.
    """
    if category not in (*CATEGORIES, "pass"):
        raise ValueError(f"unknown category {category!r}; expected 'pass' or one of {', '.join(CATEGORIES)}")
    rng = random.Random(seed)
    b = RunBuilder(rng, "order_agent")
    label: str | None = None
    variant = rng.random() < 0.5
    order_id = f"ORD-{rng.randint(10000, 99999)}"
    sku = f"SKU-{rng.randint(100, 999)}"
    qty = rng.randint(2, 6)
    price = round(rng.uniform(5, 80), 2)
    cid = f"CUST-{rng.randint(1000, 9999)}"
    region = rng.choice(["EU-WEST", "US-EAST", "APAC-2"])
    fee = rng.choice([4.9, 6.5, 7.9, 9.5])
    root = b.agent_span("order_agent", None, {"agent_trace.step.input": json.dumps({"order_id": order_id})})
    request = f"Order {qty} x {sku} for customer {cid}, ship to {region} ({order_id})"

    step = b.step("plan", root, "llm_call", {"request": request})
    _chat(
        b,
        step,
        [{"role": "user", "content": request}],
        "Plan: lookup, stock, customer, policy, pay, ship",
        retry=rng.random() < 0.3,
    )
    b.end_step(step, {"plan": ["lookup", "stock", "customer", "policy", "pay", "ship"]})

    if rng.random() < 0.35:  # a cache miss handled by a fallback: an unrelated handled error, a distractor
        step = b.step("load_session", root, "memory", {"customer_id": cid})
        b.tool(step, "cache_get", {"key": f"session:{cid}"}, None, rng.uniform(2, 10), ("CacheMiss", "no session"))
        b.handled(step, "CacheMiss", "no session", "fallback")
        b.end_step(step, {"session": "new"})

    step = b.step("lookup_product", root, "tool_call", {"sku": sku})
    shown_price = -price if category == "wrong_tool_output" and variant else price
    product = {"sku": sku, "name": f"Widget {sku[-3:]}", "price": shown_price, "currency": "USD"}
    if rng.random() < 0.3:  # a legitimately negative number: a distractor for plausibility checks
        product["discount"] = -round(rng.uniform(1, 5), 2)
    tool = b.tool(step, "get_product", {"sku": sku}, product, rng.uniform(40, 400))
    label = tool if category == "wrong_tool_output" and variant else label
    b.end_step(step, product)

    step = b.step("check_inventory", root, "tool_call", {"sku": sku, "qty": qty})
    warehouse = "WH-0" if category == "wrong_tool_output" and not variant else f"WH-{rng.randint(11, 99)}"
    slow = category == "timeout"
    stock = {"sku": sku, "in_stock": qty + rng.randint(3, 40), "warehouse": warehouse}
    tool = b.tool(step, "check_stock", {"sku": sku}, stock, rng.uniform(31000, 38000) if slow else rng.uniform(60, 900))
    label = tool if category == "timeout" or (category == "wrong_tool_output" and not variant) else label
    b.end_step(step, stock)

    step = b.step("fetch_customer", root, "tool_call", {"customer_id": cid})
    if category == "swallowed_exception":
        label = b.tool(step, "crm_lookup", {"customer_id": cid}, None, rng.uniform(50, 300), ("KeyError", "'email'"))
        b.handled(step, "KeyError", "'email'", "default_value")
        customer: dict[str, Any] = {"customer_id": cid, "email": None, "tier": "standard"}
    else:
        customer = {"customer_id": cid, "email": f"{cid.lower()}@example.com", "tier": rng.choice(["gold", "basic"])}
        b.tool(step, "crm_lookup", {"customer_id": cid}, customer, rng.uniform(50, 300))
    b.end_step(step, customer)

    if rng.random() < 0.5:  # an unrelated, sometimes unsure decision: a distractor
        _decision(
            b,
            root,
            "choose_tone",
            ["formal", "friendly"],
            rng.choice(["formal", "friendly"]),
            rng.uniform(0.3, 0.95),
            {"tier": customer["tier"]},
        )

    step = b.step("retrieve_policy", root, "retrieval", {"query": f"shipping fee {region}"})
    kb_fee = round(fee * rng.choice([20, 30, 40]), 1) if category == "bad_retrieved_data" else fee
    docs = [
        {"id": f"doc-{rng.randint(100, 999)}", "text": f"Shipping to {region} costs {kb_fee} USD per order."},
        {"id": f"doc-{rng.randint(100, 999)}", "text": "Returns are accepted within 30 days."},
    ]
    retrieval = b.start(
        "retrieval policy_kb",
        step,
        {GEN_AI_OPERATION_NAME: "retrieval", "gen_ai.retrieval.query.text": f"shipping fee {region}"},
    )
    b.end(retrieval, rng.uniform(20, 200), **{"agent_trace.step.output": json.dumps(docs)})
    label = retrieval if category == "bad_retrieved_data" else label
    chat = _chat(
        b,
        step,
        [{"role": "user", "content": f"Extract the fee from: {json.dumps(docs)}"}],
        json.dumps({"shipping_fee": kb_fee}),
    )
    del chat
    b.end_step(step, {"shipping_fee": kb_fee})

    bad_decision = category == "bad_decision"
    method = "drone" if bad_decision else rng.choice(["standard", "express"])
    confidence = rng.uniform(0.2, 0.45) if bad_decision else rng.uniform(0.7, 0.97)
    decision = _decision(
        b,
        root,
        "choose_shipping",
        ["standard", "express", "drone"],
        method,
        confidence,
        {"region": region, "weight_kg": round(qty * 0.4, 1)},
    )
    label = decision if bad_decision else label

    total = round(shown_price * qty + kb_fee, 2)
    step = b.step("compute_total", root, "reasoning", {"price": shown_price, "qty": qty, "shipping_fee": kb_fee})
    b.end_step(step, {"total": total, "currency": "USD"}, rng.uniform(1, 10))

    step = b.step("validate_order", root, "reasoning", {"order_id": order_id, "total": total, "shipping_fee": kb_fee})
    if kb_fee > 50:
        b.fail(step, "ValidationError", f"shipping fee {kb_fee} exceeds the 50 USD cap for {order_id}")
        b.end(step, 2)
        b.fail(root, "ValidationError", f"shipping fee {kb_fee} exceeds the 50 USD cap for {order_id}")
        b.end(root, 1)
        return _done(b, category, label)
    b.end_step(step, {"valid": True}, 2)

    step = b.step("delegate_payment", root, "handoff", {"order_id": order_id, "amount": total, "customer_id": cid})
    sub = b.agent_span("payment_agent", step, {AGENT_PARENT_NAME: "order_agent"})
    auth_step = b.step("authorize", sub, "tool_call", {"amount": total, "customer_id": cid})
    paid = True
    if total <= 0:
        b.tool(
            auth_step,
            "payment_gateway",
            {"amount": total, "customer_id": cid},
            None,
            rng.uniform(100, 400),
            ("ValueError", f"amount must be positive, got {total}"),
        )
        for span in (auth_step, sub, step, root):
            b.fail(span, "ValueError", f"amount must be positive, got {total}")
            b.end(span, 1)
        return _done(b, category, label)
    if category == "subagent_failure":
        label = b.tool(
            auth_step,
            "payment_gateway",
            {"amount": total, "customer_id": cid},
            None,
            rng.uniform(100, 400),
            ("GatewayError", "503 upstream unavailable"),
        )
        for span in (auth_step, sub):
            b.fail(span, "GatewayError", "503 upstream unavailable")
            b.end(span, 1)
        b.handled(step, "GatewayError", "payment agent failed", "continue_unpaid")
        b.end_step(step, {"paid": False})
        paid = False
    else:
        auth = f"AUTH-{rng.randint(100000, 999999)}"
        b.tool(
            auth_step,
            "payment_gateway",
            {"amount": total, "customer_id": cid},
            {"auth_code": auth},
            rng.uniform(100, 400),
        )
        b.end_step(auth_step, {"auth_code": auth})
        b.end(sub, 1, **{"agent_trace.step.output": json.dumps({"auth_code": auth})})
        b.end_step(step, {"paid": True, "auth_code": auth})

    step = b.step(
        "create_shipment",
        root,
        "tool_call",
        {"order_id": order_id, "method": method, "warehouse": warehouse, "region": region},
    )
    if not paid:
        _raise(b, [step, root], "ShipmentError", f"order {order_id} has no payment authorization")
        return _done(b, category, label)
    refusal = None
    if method == "drone":
        refusal = ("UnsupportedMethod", f"drone delivery is not available in {region}")
    elif warehouse == "WH-0":
        refusal = ("ShipmentError", f"unknown warehouse {warehouse}")
    if refusal is not None:
        shipment = {"method": method, "region": region, "warehouse": warehouse}
        b.tool(step, "shipping_api", shipment, None, rng.uniform(100, 300), refusal)
        _raise(b, [step, root], *refusal)
        return _done(b, category, label)
    tracking = f"TRK-{rng.randint(10**7, 10**8)}"
    b.tool(
        step,
        "shipping_api",
        {"method": method, "region": region, "warehouse": warehouse},
        {"tracking": tracking},
        rng.uniform(100, 1200),
    )
    b.end_step(step, {"tracking": tracking})

    step = b.step("respond", root, "response", {"email": customer["email"], "tracking": tracking, "total": total})
    if category == "swallowed_exception":
        _raise(b, [step, root], "KeyError", "'email'")
        return _done(b, category, label)
    if category == "timeout":
        _raise(b, [step, root], "DeadlineExceeded", "agent run exceeded its 30 s budget")
        return _done(b, category, label)
    _chat(
        b,
        step,
        [{"role": "user", "content": f"Confirm order {order_id}, tracking {tracking}"}],
        f"Your order {order_id} ships via {method}, tracking {tracking}, total {total} USD.",
    )
    b.end_step(step, {"sent_to": customer["email"]})
    b.end(root, 1, **{"agent_trace.step.output": json.dumps({"status": "shipped", "tracking": tracking})})
    return _done(b, category, label)


def _raise(b: RunBuilder, spans: list[str], exc_type: str, message: str) -> None:
    b.tick(b.rng.uniform(1, 20))
    for span in spans:
        b.fail(span, exc_type, message)
        b.end(span, 1)


def _done(b: RunBuilder, category: str, label: str | None) -> CorpusRun:
    failed = category != "pass"
    if failed and label is None:
        raise AssertionError(f"{category} run without an injected span")  # a bug in this generator
    return CorpusRun(b.trace_id, category, failed, label, b.document())


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

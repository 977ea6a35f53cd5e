"""The ``order_agent`` run of `otel_agent_trace.rca.corpus` (see there for its steps and injected root causes)."""

from __future__ import annotations

import json
import random
from typing import Any

from otel_agent_trace.semconv import AGENT_PARENT_NAME, GEN_AI_OPERATION_NAME

from ._corpus_parts import CATEGORIES, CorpusRun, _chat, _decision, _done, _raise
from ._otlp_builder import RunBuilder


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

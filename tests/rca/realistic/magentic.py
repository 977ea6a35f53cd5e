"""A Magentic-One-like team: the orchestrator plans and instructs, surfers report facts, the coder writes code,
the terminal runs it. Task family: the total of a purchase order at a vendor's member prices, minus its
loyalty discount.
"""

from __future__ import annotations

import random

from . import _code
from ._script import Outcome, Script
from ._world import PRODUCTS, VENDORS, call_id, money, near, near_int, pick, price, sample, say

ORCH, WEB, FILE, CODER, TERM = "Orchestrator", "WebSurfer", "FileSurfer", "Coder", "ComputerTerminal"
CATEGORIES = (
    "wrong_fact",
    "hallucinated_value",
    "wrong_plan",
    "code_bug",
    "misread_output",
    "premature_stop",
    "ignored_instruction",
    "wrong_tool_argument",
    "loop",
)

_TASKS = (
    "Purchase order {po} (file {path}) is being placed with {vendor}. We are loyalty members. What will the order "
    "cost in total at member prices after the loyalty discount? Answer with the amount only.",
    "Using the quantities in {path} and {vendor}'s current member prices, compute the amount due for {po} once "
    "the loyalty-member discount is applied.",
    "How much will {po} cost us? Quantities are in {path}; we buy from {vendor} as loyalty members (member prices, "
    "then their loyalty discount on the total).",
)
_INSTRUCT_WEB = (
    "Please search for {vendor}'s online catalogue and report the member price of {items}. Also find the loyalty "
    "discount stated in their terms.",
    "Go to {vendor}'s website. I need the member prices (not list prices) of {items}, and the loyalty discount rate.",
)
_INSTRUCT_FILE = (
    "Open {path} and tell me the ordered quantity of each line item.",
    "Please read {path} and report the quantities for {items}.",
)
_INSTRUCT_CODER = (
    "Write a Python script that computes the order total: quantities {qty}; member prices {prices}; then apply "
    "the {d}% loyalty discount to the subtotal. Print the subtotal and the final total.",
    "Please write code for the total of {po}. Quantities: {qty}. Unit prices: {prices}. Subtract the {d}% loyalty "
    "discount and print the result.",
)


def _fmt(values: dict[str, float], cur: str) -> str:
    return ", ".join(f"{k} {cur}{money(v)}" for k, v in values.items())


def _qfmt(values: dict[str, int]) -> str:
    return ", ".join(f"{k} x {v}" for k, v in values.items())


def generate(rng: random.Random, category: str | None, shape: str, raises: bool) -> tuple[Script, Outcome | None]:
    """One run of the team; ``category`` is the mistake one agent makes (``None``: nobody errs)."""
    vendor, cur = pick(rng, VENDORS), pick(rng, ("$", "€", "£"))
    products = sample(rng, PRODUCTS, 4)
    ordered = products[:2]
    catalogue = []
    for name in products:
        list_price = price(rng)
        member = round(list_price * (1 - pick(rng, (0.1, 0.12, 0.15, 0.2))), 2)
        catalogue.append((name, f"{vendor[:2].upper()}-{rng.randint(1000, 9999)}", list_price, member))
    rng.shuffle(catalogue)
    member_prices = {row[0]: row[3] for row in catalogue if row[0] in ordered}
    list_prices = {row[0]: row[2] for row in catalogue if row[0] in ordered}
    skus = {row[0]: row[1] for row in catalogue}
    qty = {name: rng.randint(2, 60) for name in ordered}
    discount = pick(rng, (5, 7, 8, 10, 12, 15))
    po = f"PO-{rng.randint(1000, 9999)}"
    path = pick(rng, (f"orders/{po}.csv", f"purchase_orders/{po.lower()}.csv"))
    gold = money(round(sum(qty[n] * member_prices[n] for n in ordered) * (1 - discount / 100), 2))
    items = " and ".join(ordered)
    task = say(rng, _TASKS, po=po, path=path, vendor=vendor)
    s = Script(ORCH, task, shape)
    agents = (WEB, FILE, CODER, TERM)

    # -- plan ------------------------------------------------------------------------------------------------------
    plan = [
        f"{WEB}: find the member prices of {items} and the loyalty discount on {vendor}'s site",
        f"{FILE}: read the quantities from {path}",
        f"{CODER}: write code for subtotal and discounted total",
        f"{TERM}: run the code",
        "report the final total",
    ]
    facts = [f"The order is {po}, quantities in {path}", f"Vendor: {vendor}", "We are loyalty members"]
    believed_discount = discount
    if category == "wrong_plan":
        plan = [p for p in plan if "loyalty discount" not in p]
        plan[0] = f"{WEB}: find the member prices of {items} on {vendor}'s site"
        plan[2] = f"{CODER}: write code for the order total"
    if category == "wrong_fact":
        believed_discount = pick(rng, [d for d in (5, 7, 8, 10, 12, 15) if d != discount])
        facts.append(f"{vendor}'s loyalty members get {believed_discount}% off every order (known from their terms)")
        plan[0] = f"{WEB}: find the member prices of {items} on {vendor}'s site"
    plan_text = (
        "Here is the fact sheet:\n- "
        + "\n- ".join(facts)
        + "\n\nPlan:\n"
        + "\n".join(f"{i + 1}. {p}" for i, p in enumerate(plan))
    )
    s.step(
        ORCH,
        "plan",
        input=task,
        output=plan_text,
        action_type="planning",
        decisive=category in ("wrong_plan", "wrong_fact"),
        state={"goal_stack": list(plan), "beliefs": {"facts": facts}},
    )
    if rng.random() < 0.5:
        s.step(ORCH, "update_ledger", output={"is_request_satisfied": False, "is_progress_being_made": True})

    # -- web surfer ------------------------------------------------------------------------------------------------
    s.decide(ORCH, "next_speaker", agents, WEB, f"Step 1 of the plan needs the {WEB}.")
    web_instruction = say(rng, _INSTRUCT_WEB, vendor=vendor, items=items)
    if category in ("wrong_plan", "wrong_fact"):
        web_instruction = f"Please open {vendor}'s online catalogue and report the member price of {items}."
    s.step(ORCH, "instruct", output=f"{WEB}, {web_instruction[0].lower()}{web_instruction[1:]}")
    reported_prices = dict(member_prices)
    reported_discount = discount
    site = "www." + vendor.lower().replace(" & ", "-").replace(" ", "") + ".com"
    with s.turn(WEB, web_instruction):
        query = f"{vendor} catalogue member prices"
        if category == "wrong_tool_argument":
            wrong_vendor = pick(rng, [v for v in VENDORS if v != vendor])
            query = f"{wrong_vendor} catalogue member prices"
            site = "www." + wrong_vendor.lower().replace(" & ", "-").replace(" ", "") + ".com"
        s.step(
            WEB,
            "act",
            output={"tool": "web_search", "arguments": {"query": query}},
            action_type="llm_call",
            decisive=category == "wrong_tool_argument",
        )
        if rng.random() < 0.25:  # a transient failure the surfer retries
            s.tool(
                WEB,
                "web_search",
                {"query": query},
                raises=("TimeoutError", "Read timed out. (read timeout=20)"),
                caught=True,
            )
        s.tool(
            WEB,
            "web_search",
            {"query": query},
            [
                {"title": f"Catalogue | {query.split(' catalogue')[0]}", "url": f"https://{site}/catalogue"},
                {"title": "Member pricing FAQ", "url": f"https://{site}/help/members"},
            ],
            call_id=call_id(rng),
        )
        if rng.random() < 0.4:
            s.step(
                WEB,
                "act",
                output={"tool": "click", "arguments": {"target": "Accept all cookies"}},
                action_type="llm_call",
            )
            s.tool(WEB, "click", {"target": "Accept all cookies"}, "Clicked 'Accept all cookies'.")
        page_rows = catalogue
        if category == "wrong_tool_argument":  # another vendor's catalogue: same products, other prices
            page_rows = [
                (n, f"XX-{rng.randint(1000, 9999)}", near(rng, lp), near(rng, mp)) for n, _, lp, mp in catalogue
            ]
            reported_prices = {row[0]: row[3] for row in page_rows if row[0] in ordered}
        hidden = ordered[1] if category == "hallucinated_value" else None
        lines = [
            f"{n} | {sku} | {cur}{money(lp)} | " + ("sign in to see" if n == hidden else f"{cur}{money(mp)}")
            for n, sku, lp, mp in page_rows
        ]
        page = "Catalogue\nProduct | SKU | List price | Member price\n" + "\n".join(lines)
        s.step(
            WEB,
            "act",
            output={"tool": "visit_url", "arguments": {"url": f"https://{site}/catalogue"}},
            action_type="llm_call",
        )
        s.tool(WEB, "visit_url", {"url": f"https://{site}/catalogue"}, page, call_id=call_id(rng))
        loops = 0
        if category == "loop":
            for _ in range(rng.randint(3, 5)):
                loops += 1
                s.step(
                    WEB,
                    "act",
                    output={"tool": "scroll_down", "arguments": {}},
                    action_type="llm_call",
                    decisive=loops == 2,
                )
                s.tool(WEB, "scroll_down", {}, page.splitlines()[-1] + "\n(end of page)")
        if category not in ("wrong_plan", "wrong_fact", "loop"):
            terms = f"Loyalty programme: members receive {discount}% off the order total. Free delivery over 200."
            s.step(
                WEB,
                "act",
                output={"tool": "visit_url", "arguments": {"url": f"https://{site}/terms"}},
                action_type="llm_call",
            )
            s.tool(WEB, "visit_url", {"url": f"https://{site}/terms"}, terms, call_id=call_id(rng))
        misread = category == "misread_output" and rng.random() < 0.5
        if misread:
            reported_prices[ordered[0]] = list_prices[ordered[0]]
        if hidden is not None:
            reported_prices[hidden] = near(rng, member_prices[hidden])
        if category == "loop":
            report = f"I could not find the loyalty terms on the page. Member prices: {_fmt(reported_prices, cur)}."
        else:
            report = say(
                rng,
                (
                    "On the catalogue page the member prices are: {p}.",
                    "I found the catalogue. Member prices: {p}.",
                    "The member price column shows {p}.",
                ),
                p=_fmt(reported_prices, cur),
            )
            if category not in ("wrong_plan", "wrong_fact"):
                report += f" The terms page says loyalty members get {reported_discount}% off the order total."
        s.step(WEB, "report", output=report, decisive=misread or hidden is not None)
        s.reply(report)
    if category == "loop":
        for _ in range(2):
            s.decide(ORCH, "next_speaker", agents, WEB, "The loyalty discount is still missing.")
            s.step(ORCH, "instruct", output=f"{WEB}, please find the loyalty discount rate in {vendor}'s terms.")
            with s.turn(WEB, "please find the loyalty discount rate"):
                s.step(WEB, "act", output={"tool": "scroll_down", "arguments": {}}, action_type="llm_call")
                s.tool(WEB, "scroll_down", {}, "(end of page)")
                s.step(WEB, "report", output="The page ends here; I could not find the discount.")
                s.reply("The page ends here; I could not find the discount.")
        believed_discount = 0

    # -- premature stop: the orchestrator answers before the file has been read -------------------------------------
    if category == "premature_stop":
        s.decide(
            ORCH,
            "next_speaker",
            (*agents, "none"),
            "none",
            "We have the prices and the discount, which is enough to give the total.",
            decisive=True,
        )
        guessed = {n: near_int(rng, qty[n]) for n in ordered}
        answer = money(round(sum(guessed[n] * member_prices[n] for n in ordered) * (1 - discount / 100), 2))
        s.step(
            ORCH,
            "final_answer",
            output=f"FINAL ANSWER: {cur}{answer}",
            action_type="response",
            state={"goal_stack": plan[1:]},
        )
        return s, _verdict(cur, gold, answer)

    # -- file surfer -----------------------------------------------------------------------------------------------
    s.decide(ORCH, "next_speaker", agents, FILE, "The quantities are in the purchase-order file.")
    file_instruction = say(rng, _INSTRUCT_FILE, path=path, items=items)
    s.step(ORCH, "instruct", output=f"{FILE}, {file_instruction[0].lower()}{file_instruction[1:]}")
    with s.turn(FILE, file_instruction):
        s.step(FILE, "act", output={"tool": "open_file", "arguments": {"path": path}}, action_type="llm_call")
        csv = "sku,description,quantity\n" + "\n".join(f"{skus[n]},{n},{qty[n]}" for n in ordered)
        s.tool(FILE, "open_file", {"path": path}, csv, call_id=call_id(rng))
        file_report = f"{path} has {len(ordered)} line items: {_qfmt(qty)}."
        s.step(FILE, "report", output=file_report)
        s.reply(file_report)

    # -- coder -------------------------------------------------------------------------------------------------------
    s.decide(ORCH, "next_speaker", agents, CODER, "Numbers are known; the total needs computing.")
    used_discount = believed_discount if category in ("wrong_fact", "loop") else reported_discount
    if category in ("wrong_plan", "loop"):
        coder_instruction = (
            f"Write a Python script that prints the order total: quantities {_qfmt(qty)}; unit prices "
            f"{_fmt(reported_prices, cur)}."
        )
        used_discount = 0
    else:
        coder_instruction = say(
            rng, _INSTRUCT_CODER, qty=_qfmt(qty), prices=_fmt(reported_prices, cur), d=used_discount, po=po
        )
    s.step(ORCH, "instruct", output=f"{CODER}, {coder_instruction[0].lower()}{coder_instruction[1:]}")
    bug = None
    if category == "code_bug":
        bug = "wrong_key" if raises else pick(rng, ("inverted_discount", "skips_first", "truncates_prices"))
    code_discount = None if category in ("ignored_instruction", "wrong_plan", "loop") else used_discount
    code = _code.total_code(rng, qty, reported_prices, code_discount, skus=skus, bug=bug)
    with s.turn(CODER, coder_instruction):
        message = say(
            rng,
            (
                "Here is the script:\n```python\n{c}```",
                "```python\n# order total\n{c}```\nRun it to get the total.",
            ),
            c=code,
        )
        s.step(
            CODER,
            "write_code",
            output=message,
            action_type="llm_call",
            decisive=category in ("code_bug", "ignored_instruction"),
        )
        s.reply(message)

    # -- terminal ---------------------------------------------------------------------------------------------------
    s.decide(ORCH, "next_speaker", agents, TERM, "The code is ready to run.")
    s.step(ORCH, "instruct", output=f"{TERM}, please run the script above.")
    stdout, error = _code.execute(code)
    with s.turn(TERM, "please run the script above"):
        if error is not None:
            s.tool(TERM, "execute_code", {"code": code, "language": "python"}, raises=error)
            return s, None
        s.tool(TERM, "execute_code", {"code": code, "language": "python"}, {"exit_code": 0, "stdout": stdout})
        out = f"exitcode: 0 (execution succeeded)\nCode output: {stdout}"
        s.step(TERM, "report", output=out)
        s.reply(out)

    misread_final = category == "misread_output" and not misread
    answer = _code.first_number(stdout) if misread_final else _code.last_number(stdout)
    answer = money(float(answer))
    s.step(
        ORCH,
        "final_answer",
        input=out,
        output=f"FINAL ANSWER: {cur}{answer}",
        action_type="response",
        decisive=misread_final,
    )
    return s, _verdict(cur, gold, answer)


def _verdict(cur: str, gold: str, answer: str) -> Outcome:
    ok = gold == answer
    reason = "matches the reference total" if ok else f"the total given ({cur}{answer}) is not {cur}{gold}"
    return Outcome(ok, f"{cur}{gold}", f"{cur}{answer}", reason)

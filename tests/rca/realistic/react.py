"""A tool-using ReAct support agent (thought, tool call, observation) talking with a customer. Task family:
returning one delivered item of an order, refunded to the payment method the customer asks for.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

from ._script import Outcome, Script
from ._world import PEOPLE, PRODUCTS, call_id, pick, price, sample, say

AGENT, CUSTOMER = "support_agent", "customer"
CATEGORIES = (
    "wrong_tool_argument",
    "misread_output",
    "premature_stop",
    "ignored_instruction",
    "loop",
    "hallucinated_value",
    "wrong_fact",
)
_OPENERS = (
    "Hi, I want to return the {item} from order {oid}. Please refund it to my {method}. My email is {email}.",
    "Hello! Order {oid}: the {item} isn't what I expected, I'd like to send it back. Refund to the {method} "
    "please. Email: {email}",
    "I'd like a return for {item} (order {oid}), money back on my {method}. I'm {email}.",
)


class _Agent:
    """Thought → tool call → observation, as the agent loop records it."""

    def __init__(self, s: Script, rng: random.Random) -> None:
        self.s, self.rng = s, rng

    def act(
        self,
        thought: str,
        tool: str,
        args: Mapping[str, object],
        result: object,
        *,
        decisive: bool = False,
        raises: tuple[str, str] | None = None,
    ) -> None:
        cid = call_id(self.rng)
        self.s.step(
            AGENT,
            "thought",
            output={"thought": thought, "tool_calls": [{"id": cid, "name": tool, "arguments": args}]},
            action_type="llm_call",
            decisive=decisive,
        )
        self.s.tool(AGENT, tool, args, result, call_id=cid, raises=raises)

    def say(self, text: str, *, decisive: bool = False) -> None:
        self.s.step(AGENT, "respond", output=text, action_type="response", decisive=decisive)


def generate(rng: random.Random, category: str | None, shape: str, raises: bool) -> tuple[Script, Outcome | None]:
    """One support conversation; ``category`` is the agent's mistake (``None``: handled correctly)."""
    person = pick(rng, PEOPLE)
    email = person.lower().replace(" ", ".").encode("ascii", "ignore").decode() + pick(rng, ("@mail.com", "@inbox.eu"))
    oid = f"#W{rng.randint(1000000, 9999999)}"
    item, other = sample(rng, PRODUCTS, 2)
    items = [
        {"item_id": str(rng.randint(10**9, 10**10 - 1)), "name": item, "price": price(rng)},
        {"item_id": str(rng.randint(10**9, 10**10 - 1)), "name": other, "price": price(rng)},
    ]
    rng.shuffle(items)
    target = next(i for i in items if i["name"] == item)
    wrong = next(i for i in items if i["name"] != item)
    card, gift = f"credit_card_{rng.randint(1000000, 9999999)}", f"gift_card_{rng.randint(1000000, 9999999)}"
    method = pick(rng, ("gift card", "credit card"))
    method_id, other_id = (gift, card) if method == "gift card" else (card, gift)
    uid = person.split()[0].lower() + f"_{rng.randint(1000, 9999)}"
    opener = say(rng, _OPENERS, item=item, oid=oid, method=method, email=email)
    s = Script(AGENT, opener, shape)
    s.auto_turns = True
    a = _Agent(s, rng)
    s.step(CUSTOMER, "message", output=opener)

    # authenticate
    if category == "loop":
        typo = email.replace("@", "@@", 1) if rng.random() < 0.5 else email.replace(".", "", 1)
        for n in range(rng.randint(3, 5)):
            a.act(
                "I need to find the user first.",
                "find_user_id_by_email",
                {"email": typo},
                "Error: user not found",
                decisive=n == 1,
            )
        a.say("I'm sorry, I couldn't find your account. I'll transfer you to a human agent.")
        s.tool(AGENT, "transfer_to_human_agents", {"summary": "user could not be authenticated"}, "Transfer successful")
        return s, Outcome(
            False,
            f"return of {item} refunded to {method_id}",
            "no return made",
            "the return was not made",
            evaluator="database_state",
        )
    a.act("First I should authenticate the user by email.", "find_user_id_by_email", {"email": email}, uid)
    order = {
        "order_id": oid,
        "user_id": uid,
        "status": "delivered",
        "items": items,
        "payment_history": [
            {"payment_method_id": card, "amount": items[0]["price"]},
            {"payment_method_id": gift, "amount": items[1]["price"]},
        ],
    }
    lookup = oid
    if category == "wrong_tool_argument" and raises:
        lookup = oid.lstrip("#")
        a.act(
            "Let me look up the order.",
            "get_order_details",
            {"order_id": lookup},
            None,
            decisive=True,
            raises=("ToolExecutionError", f"Order {lookup} not found"),
        )
        return s, None
    a.act("Let me look up the order.", "get_order_details", {"order_id": lookup}, order)
    if rng.random() < 0.4:
        a.act(
            "Check the customer's saved payment methods.",
            "get_user_details",
            {"user_id": uid},
            {"user_id": uid, "payment_methods": [card, gift], "name": person},
        )

    if category == "wrong_fact":
        a.say(
            "I'm sorry, returns are only accepted within 14 days of delivery, and this order is past that window, "
            "so I can't process the return.",
            decisive=True,
        )
        s.step(CUSTOMER, "message", output="That's not what your website says, but fine.")
        return s, Outcome(
            False,
            f"return of {item} refunded to {method_id}",
            "return refused",
            "an eligible return was refused",
            evaluator="database_state",
        )

    refund_to = method_id
    if category in ("ignored_instruction", "misread_output"):
        refund_to = other_id
    chosen = wrong if category == "wrong_tool_argument" else target
    confirm = f"I can return the {chosen['name']} (${chosen['price']}) with a refund to {refund_to}. Shall I proceed?"
    read_wrong = category == "misread_output"
    if read_wrong:
        a.say(f"The order was paid with {refund_to}, so the refund goes back there. " + confirm, decisive=True)
    else:
        a.say(confirm)
    s.step(CUSTOMER, "message", output=pick(rng, ("Yes, go ahead.", "yes please", "Yes.")))
    if category == "premature_stop":
        a.say(
            f"Your return for the {item} has been processed; the refund will appear on your {method} in 5-7 "
            "business days.",
            decisive=True,
        )
        return s, Outcome(
            False,
            f"return of {item} refunded to {method_id}",
            "no return made",
            "the return was not made",
            evaluator="database_state",
        )
    args = {"order_id": oid, "item_ids": [chosen["item_id"]], "payment_method_id": refund_to}
    a.act(
        "The customer confirmed; submit the return.",
        "return_delivered_order_items",
        args,
        {"order_id": oid, "status": "return requested", "return_items": [chosen["item_id"]], "refund_to": refund_to},
        decisive=category in ("wrong_tool_argument", "ignored_instruction"),
    )
    if category == "hallucinated_value":
        a.say(
            f"Done! Your return label has tracking number 1Z{rng.randint(10**9, 10**10 - 1)}; a refund of "
            f"${target['price']} goes to your {method}.",
            decisive=True,
        )
        return s, Outcome(
            False,
            "return label sent by email",
            "a tracking number that does not exist",
            "the reply gives a tracking number no tool returned",
            evaluator="reviewer",
        )
    a.say(
        say(
            rng,
            (
                "Done: the return is requested and the refund will go to {m}.",
                "Your return has been submitted; refund to {m}. Anything else?",
            ),
            m=refund_to,
        )
    )
    actual = f"return of {chosen['name']} refunded to {refund_to}"
    expected = f"return of {item} refunded to {method_id}"
    ok = actual == expected
    return s, Outcome(
        ok, expected, actual, "database matches" if ok else "the database state differs", evaluator="database_state"
    )

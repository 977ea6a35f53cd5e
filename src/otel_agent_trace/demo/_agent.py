"""The demo agent: books a hotel; one run gets a faulty exchange rate from a tool and fails three steps later."""

from __future__ import annotations

import json
from typing import Any

from otel_agent_trace.api import agent_run, agent_session, agent_step, decision, snapshot_state, tool_call

_HOTELS: list[dict[str, Any]] = [
    {"name": "Budget Inn", "usd_per_night": 90},
    {"name": "Central Plaza", "usd_per_night": 180},
    {"name": "Grand Palace", "usd_per_night": 420},
]


class NoOptionsError(RuntimeError):
    """Raised when the agent has nothing to offer the user."""


def run_agent(client: Any, *, budget_eur: float, faulty_rate: bool, session_id: str) -> str:
    """One agent run. With ``faulty_rate`` the rate tool returns a rate 100x too small; it surfaces later."""

    @tool_call("get_exchange_rate", description="EUR->USD exchange rate from the rates service")
    def get_exchange_rate(base: str, quote: str) -> dict[str, Any]:
        rate = 0.0108 if faulty_rate else 1.08  # the injected fault: the upstream answers in the wrong unit (x0.01)
        return {"base": base, "quote": quote, "rate": rate}

    @agent_step("convert_budget", action_type="reasoning")
    def convert_budget(budget: float, rate: float) -> float:
        return round(budget * rate, 2)

    @tool_call("search_hotels", description="hotels up to a nightly price")
    def search_hotels(max_usd_per_night: float) -> list[dict[str, Any]]:
        return [h for h in _HOTELS if h["usd_per_night"] <= max_usd_per_night]

    @agent_step("compose_answer", action_type="response")
    def compose_answer(options: list[dict[str, Any]], budget_usd: float) -> str:
        if not options:
            raise NoOptionsError(f"no hotel at or under {budget_usd} USD per night: nothing to offer the user")
        messages = [
            {"role": "user", "content": "Find me a hotel"},
            {"role": "tool", "tool_call_id": "call_rate", "content": json.dumps(options)},
        ]
        reply = client.chat.completions.create(model="demo-model", messages=messages)
        return str(reply.choices[0].message.content)

    with agent_session(session_id, user_id="demo-user"), agent_run("hotel-booker", agent_id="booker-1", version="1.0"):
        with agent_step("plan", action_type="llm_call"):
            plan = client.chat.completions.create(
                model="demo-model",
                messages=[{"role": "user", "content": f"Find me a hotel for {budget_eur} EUR per night"}],
                tools=[{"type": "function", "function": {"name": "get_exchange_rate", "parameters": {}}}],
            )
            call = plan.choices[0].message.tool_calls[0]
            snapshot_state(working_memory={"budget_eur": budget_eur}, goal_stack=["book hotel", "convert budget"])
        args = json.loads(call.function.arguments)
        rate = get_exchange_rate(args["base"], args["quote"])["rate"]
        budget_usd = convert_budget(budget_eur, rate)
        snapshot_state(working_memory={"budget_eur": budget_eur, "budget_usd": budget_usd}, goal_stack=["book hotel"])
        with decision("hotel_tier", condition="budget_usd >= 150", options=["premium", "budget"]) as tier:
            tier.choose("premium" if budget_usd >= 150 else "budget", confidence=0.8)
        options = search_hotels(budget_usd)
        return compose_answer(options, budget_usd)

"""Small manual-API agents for the diagnose() tests: a hotel booker whose exchange-rate tool can be faulty."""

from __future__ import annotations

from typing import Any

import otel_agent_trace as oat

HOTELS = [{"name": "Budget Inn", "usd_per_night": 90}, {"name": "Central Plaza", "usd_per_night": 180}]


class NoOptionsError(RuntimeError):
    """Nothing to offer the user."""


def hotel_agent(*, faulty: bool = True, tool: str = "get_exchange_rate", on_failure: Any = None) -> Any:
    """An ``agent_run`` function: plan (snapshot) -> rate tool -> convert -> snapshot -> search -> compose.

    ``compose_answer`` raises when no hotel fits; the agent catches it and returns ``on_failure()``'s value.
    """

    @oat.tool_call(tool)
    def get_rate(base: str, quote: str) -> dict[str, Any]:
        return {"base": base, "quote": quote, "rate": 0.0108 if faulty else 1.08}

    @oat.agent_step("convert_budget")
    def convert_budget(budget: float, rate: float) -> float:
        return round(budget * rate, 2)

    @oat.tool_call("search_hotels")
    def search_hotels(max_usd_per_night: float) -> list[dict[str, Any]]:
        return [h for h in HOTELS if h["usd_per_night"] <= max_usd_per_night]

    @oat.agent_step("compose_answer")
    def compose_answer(options: list[dict[str, Any]], budget_usd: float) -> str:
        if not options:
            raise NoOptionsError(f"no hotel at or under {budget_usd} USD per night")
        return f"Book {options[0]['name']}"

    @oat.agent_run("hotel-booker")
    def book(budget_eur: float) -> Any:
        with oat.step("plan"):
            oat.snapshot_state(
                working_memory={"budget_eur": budget_eur}, goal_stack=["book hotel", "convert budget"], label="planned"
            )
        rate = get_rate("EUR", "USD")["rate"]
        budget_usd = convert_budget(budget_eur, rate)
        oat.snapshot_state(
            working_memory={"budget_eur": budget_eur, "budget_usd": budget_usd}, goal_stack=["book hotel"]
        )
        try:
            return compose_answer(search_hotels(budget_usd), budget_usd)
        except NoOptionsError:
            return on_failure() if on_failure is not None else None

    return book

"""A demo-like agent on the manual API, for record/replay tests: run as a script or as ``main``.

Its tools are not deterministic (a counter file and a random id), so only a replay that serves their recorded
results reproduces the run. ``MANUAL_AGENT_FAULTY=1`` makes the rate tool return a rate 100x too small, and the
run then fails in ``compose_answer``; ``MANUAL_AGENT_LOG`` names a file each real tool call appends a line to.
"""

from __future__ import annotations

import contextlib
import os
import random
from typing import Any

import otel_agent_trace as oat

HOTELS = [
    {"name": "Budget Inn", "usd": 90},
    {"name": "Central Plaza", "usd": 180},
    {"name": "Grand Palace", "usd": 420},
]


class NoOptionsError(RuntimeError):
    """Nothing to offer."""


def _log(line: str) -> None:
    path = os.environ.get("MANUAL_AGENT_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")


@oat.tool_call("get_exchange_rate")
def get_exchange_rate(base: str, quote: str) -> dict[str, Any]:
    _log(f"get_exchange_rate {base} {quote}")
    rate = 0.0108 if os.environ.get("MANUAL_AGENT_FAULTY") == "1" else 1.08
    return {"base": base, "quote": quote, "rate": rate, "request_id": random.randrange(10**9)}


@oat.step("convert_budget")
def convert_budget(budget: float, rate: float) -> float:
    return round(budget * rate, 2)


@oat.tool_call("search_hotels")
def search_hotels(max_usd: float) -> list[dict[str, Any]]:
    _log(f"search_hotels {max_usd}")
    return [h for h in HOTELS if h["usd"] <= max_usd]


@oat.tool_call("quote_id")
def quote_id() -> str:
    _log("quote_id")
    return f"Q-{random.randrange(10**6)}"


@oat.step("compose_answer", action_type="response")
def compose_answer(options: list[dict[str, Any]], budget_usd: float, quote: str) -> str:
    if not options:
        raise NoOptionsError(f"no hotel at or under {budget_usd} USD")
    return f"{quote}: {options[-1]['name']} fits {budget_usd} USD"


def run(budget_eur: float = 160.0) -> str:
    with oat.agent_run("hotel-booker", agent_id="booker-1"):
        rate = get_exchange_rate("EUR", "USD")["rate"]
        budget_usd = convert_budget(budget_eur, rate)
        options = search_hotels(budget_usd)
        return compose_answer(options, budget_usd, quote_id())


def main() -> None:
    oat.init("manual-agent", instrumentors="none", set_global=False)  # recording: by the environment
    with contextlib.suppress(NoOptionsError):
        print(run())


if __name__ == "__main__":
    main()

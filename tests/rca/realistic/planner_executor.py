"""Plan-and-execute: a planner writes the steps, an executor runs each with tools, a replanner decides whether to
go on or answer. Task family: a company's half-year revenue converted to another currency at a given day's rate.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

from ._script import Outcome, Script
from ._world import COMPANIES, CURRENCIES, call_id, near, pick, run_python, say

PLANNER, EXECUTOR, REPLANNER = "planner", "executor", "replanner"
CATEGORIES = (
    "wrong_plan",
    "wrong_tool_argument",
    "misread_output",
    "premature_stop",
    "loop",
    "hallucinated_value",
    "ignored_instruction",
    "code_bug",
)
_TASKS = (
    "What was {company}'s revenue for {half} {year} in {cur} millions, converted at the USD/{cur} rate of {date}?",
    "Give {company}'s {half} {year} revenue in millions of {cur}; convert the USD figures with the {date} rate.",
    "I need {company}'s total revenue over {half} {year}, expressed in {cur} (millions), at the exchange rate "
    "published for {date}.",
)
_DATES = {"H1": ("2024-06-28", "2024-06-30"), "H2": ("2024-12-31", "2024-12-29")}


def _exec_turn(
    s: Script,
    rng: random.Random,
    instruction: str,
    tool: str,
    args: Mapping[str, object],
    result: object,
    summary: str,
    *,
    decisive_call: bool = False,
    decisive_summary: bool = False,
    raises: tuple[str, str] | None = None,
) -> None:
    with s.turn(EXECUTOR, instruction):
        cid = call_id(rng)
        s.step(
            EXECUTOR,
            "act",
            input=instruction,
            action_type="llm_call",
            decisive=decisive_call,
            output={"tool_calls": [{"id": cid, "name": tool, "arguments": args}]},
        )
        if raises is None and rng.random() < 0.2:  # the tool client retries a transient 503 by itself
            s.tool(EXECUTOR, tool, args, raises=("HTTPStatusError", "503 Service Unavailable"), caught=True)
        s.tool(EXECUTOR, tool, args, result, call_id=cid, raises=raises)
        if raises is None:
            s.step(EXECUTOR, "summarize", output=summary, decisive=decisive_summary)
            s.reply(summary)


def generate(rng: random.Random, category: str | None, shape: str, raises: bool) -> tuple[Script, Outcome | None]:
    """One plan-and-execute run; ``category`` is the mistake made (``None``: a correct run)."""
    company, cur, year = pick(rng, COMPANIES), pick(rng, CURRENCIES), pick(rng, (2022, 2023, 2024))
    half = pick(rng, ("H1", "H2"))
    quarters = ("Q1", "Q2") if half == "H1" else ("Q3", "Q4")
    date = _DATES[half][0].replace("2024", str(year))
    revenue = {q: round(rng.uniform(180, 2400), 1) for q in quarters}
    income = {q: round(revenue[q] * rng.uniform(0.08, 0.3), 1) for q in quarters}
    rate = round(rng.uniform(0.7, 11.5), 4)
    gold = f"{(revenue[quarters[0]] + revenue[quarters[1]]) * rate:,.1f}"
    task = say(rng, _TASKS, company=company, half=half, year=year, cur=cur, date=date)
    s = Script(PLANNER, task, shape)

    plan = [f"Get {company}'s {q} {year} revenue (USD m)" for q in quarters]
    plan += [f"Get the USD/{cur} rate for {date}", f"Compute the {half} sum in {cur} with Python", "Answer"]
    if category == "wrong_plan":
        plan = [f"Get {company}'s {half} {year} revenue (USD m)", *plan[2:]]
    s.step(
        PLANNER,
        "plan",
        input=task,
        output={"steps": plan},
        action_type="planning",
        decisive=category == "wrong_plan",
        state={"goal_stack": list(plan)},
    )

    found: dict[str, float] = {}
    if category == "wrong_plan":  # the filings tool answers a half-year query with the latest quarter only
        q = quarters[1]
        args = {"company": company, "period": f"{half} {year}"}
        result = {"company": company, "period": f"{q} {year}", "revenue_usd_m": revenue[q], "currency": "USD"}
        _exec_turn(s, rng, plan[0], "get_financials", args, result, f"Revenue: {revenue[q]} USD m ({q} {year}).")
        found[half] = revenue[q]
    else:
        for i, q in enumerate(quarters):
            bad_arg = category == "wrong_tool_argument" and not raises and i == 1
            asked_year = year - 1 if bad_arg else year
            args = {"company": company, "period": f"{q} {asked_year}"}
            value = near(rng, revenue[q]) if bad_arg else revenue[q]
            result = {
                "company": company,
                "period": f"{q} {asked_year}",
                "revenue_usd_m": value,
                "operating_income_usd_m": income[q],
                "currency": "USD",
            }
            misread = category == "misread_output" and i == 0
            seen = income[q] if misread else value
            _exec_turn(
                s,
                rng,
                plan[i],
                "get_financials",
                args,
                result,
                f"{q} revenue: {seen} USD m.",
                decisive_call=bad_arg,
                decisive_summary=misread,
            )
            found[q] = seen
            if rng.random() < 0.3:
                with s.turn(REPLANNER, "Update the plan"):
                    s.step(
                        REPLANNER, "replan", output={"remaining": plan[i + 1 :]}, state={"goal_stack": plan[i + 1 :]}
                    )

    if category == "premature_stop":
        with s.turn(REPLANNER, "Decide: continue or respond"):
            s.decide(
                REPLANNER,
                "route",
                ("continue", "respond"),
                "respond",
                "Both quarterly figures are known; the revenue can be given now.",
                decisive=True,
            )
            answer = f"{sum(found.values()):,.1f}"
            s.step(
                REPLANNER,
                "respond",
                output=f"{company}'s {half} {year} revenue was {answer} million.",
                state={"goal_stack": plan[len(found) :]},
            )
        return s, _verdict(gold, answer, cur)

    fx_step = plan[-3]
    fx_date = date
    if category == "ignored_instruction":
        fx_date = "latest"
    fx_args: Mapping[str, object] = {"base": "USD", "quote": cur, "date": fx_date}
    used_rate: float | None = rate
    if category == "wrong_tool_argument" and raises:
        fx_args = {"base": "USD", "quote": cur, "date": date.replace("-", "/")}
        _exec_turn(
            s,
            rng,
            fx_step,
            "get_fx_rate",
            fx_args,
            None,
            "",
            decisive_call=True,
            raises=("HTTPStatusError", "422 Unprocessable Entity: 'date' must be YYYY-MM-DD"),
        )
        return s, None
    if category == "ignored_instruction":
        used_rate = near(rng, rate, spread=0.06)
        _exec_turn(
            s,
            rng,
            fx_step,
            "get_fx_rate",
            fx_args,
            {"pair": f"USD/{cur}", "rate": used_rate, "date": "latest"},
            f"USD/{cur} = {used_rate}.",
            decisive_call=True,
        )
    elif category in ("loop", "hallucinated_value"):
        weekend = _DATES[half][1].replace("2024", str(year))
        fx_args = {"base": "USD", "quote": cur, "date": weekend}
        empty = {"pair": f"USD/{cur}", "date": weekend, "rates": []}
        if category == "hallucinated_value":
            used_rate = near(rng, rate, spread=0.08)
            _exec_turn(
                s,
                rng,
                fx_step,
                "get_fx_rate",
                fx_args,
                empty,
                f"USD/{cur} on {weekend}: {used_rate}.",
                decisive_summary=True,
            )
        else:
            repeats = rng.randint(4, 6) if not raises else 12
            for n in range(repeats):
                with s.turn(EXECUTOR, fx_step):
                    cid = call_id(rng)
                    s.step(
                        EXECUTOR,
                        "act",
                        input=fx_step,
                        action_type="llm_call",
                        decisive=n == 1,
                        output={"tool_calls": [{"id": cid, "name": "get_fx_rate", "arguments": fx_args}]},
                    )
                    s.tool(EXECUTOR, "get_fx_rate", fx_args, empty, call_id=cid)
                    s.step(EXECUTOR, "summarize", output="No rate returned yet; trying again.")
            if raises:
                s.step(
                    PLANNER,
                    "graph",
                    raises=(
                        "GraphRecursionError",
                        "Recursion limit of 25 reached without hitting a stop condition. "
                        "You can increase the limit by setting the `recursion_limit` config key.",
                    ),
                )
                return s, None
            with s.turn(REPLANNER, "Decide: continue or respond"):
                s.decide(REPLANNER, "route", ("continue", "respond"), "respond", "The step budget is used up.")
                s.step(
                    REPLANNER,
                    "respond",
                    output="The exchange rate could not be retrieved, so the conversion is not available.",
                )
            return s, _verdict(gold, "", cur, actual="no answer")
    else:
        _exec_turn(
            s,
            rng,
            fx_step,
            "get_fx_rate",
            fx_args,
            {"pair": f"USD/{cur}", "rate": rate, "date": date},
            f"USD/{cur} on {date}: {rate}.",
        )

    values = ", ".join(f"{v}" for v in found.values())
    operation = "/" if category == "code_bug" else "*"
    code = (
        f"revenues_usd = [{values}]\n"
        f"rate = {used_rate}  # USD/{cur}\n"
        f"total = sum(revenues_usd) {operation} rate\n"
        "print(f'{total:,.1f}')\n"
    )
    stdout, _ = run_python(code)
    with s.turn(EXECUTOR, plan[-2]):
        cid = call_id(rng)
        s.step(
            EXECUTOR,
            "act",
            input=plan[-2],
            action_type="llm_call",
            decisive=category == "code_bug",
            output={"tool_calls": [{"id": cid, "name": "python", "arguments": {"code": code}}]},
        )
        s.tool(EXECUTOR, "python", {"code": code}, {"stdout": stdout, "exit_code": 0}, call_id=cid)
        s.step(EXECUTOR, "summarize", output=f"Result: {stdout.strip()}")
        s.reply(stdout.strip())
    answer = stdout.strip()
    with s.turn(REPLANNER, "Decide: continue or respond"):
        s.decide(REPLANNER, "route", ("continue", "respond"), "respond", "All steps are done.")
        s.step(
            REPLANNER,
            "respond",
            output=say(
                rng,
                (
                    "{company}'s {half} {year} revenue was {cur} {a} million.",
                    "Revenue for {half} {year}: {a} million {cur}.",
                ),
                company=company,
                half=half,
                year=year,
                cur=cur,
                a=answer,
            ),
            action_type="response",
        )
    return s, _verdict(gold, answer, cur)


def _verdict(gold: str, answer: str, cur: str, actual: str | None = None) -> Outcome:
    ok = gold == answer
    return Outcome(
        ok,
        f"{gold} million {cur}",
        actual or f"{answer} million {cur}",
        "matches the reference" if ok else "the amount differs from the reference",
    )

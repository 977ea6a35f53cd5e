"""A group chat: a manager picks the next speaker among named experts; an analyst plans and writes code, a
researcher looks figures up, a terminal runs code, a verifier checks and ends the chat. Task family: the
combined annual ridership of a few cities' tram networks in a given year.
"""

from __future__ import annotations

import random

from . import _code
from ._script import Outcome, Script
from ._world import CITIES, call_id, near_int, pick, sample, say

MANAGER, ANALYST, RESEARCHER, TERMINAL, VERIFIER = (
    "chat_manager",
    "DataAnalysis_Expert",
    "Research_Expert",
    "Computer_terminal",
    "Verification_Expert",
)
CATEGORIES = ("wrong_fact", "hallucinated_value", "code_bug", "wrong_plan", "premature_stop", "loop")
SPEAKERS = (ANALYST, RESEARCHER, TERMINAL, VERIFIER)
_TASKS = (
    "What was the combined tram ridership (millions of passengers) of {cities} in {year}?",
    "Add up the {year} annual tram passenger numbers, in millions, for {cities}.",
)


def generate(rng: random.Random, category: str | None, shape: str, raises: bool) -> tuple[Script, Outcome | None]:
    """One group-chat run; ``category`` is the mistake an expert makes (``None``: solved correctly)."""
    cities = sample(rng, CITIES, 3)
    year = pick(rng, (2019, 2021, 2022, 2023))
    riders = {c: round(rng.uniform(8, 140), 1) for c in cities}
    gold = f"{round(sum(riders.values()), 2):.2f}"
    task = say(rng, _TASKS, cities=", ".join(cities[:-1]) + " and " + cities[-1], year=year)
    s = Script(MANAGER, task, shape)
    s.auto_turns = True

    def speaker(name: str, why: str, *, decisive: bool = False) -> None:
        s.decide(MANAGER, "select_speaker", SPEAKERS, name, why, decisive=decisive)

    planned = cities[:2] if category == "wrong_plan" else cities
    speaker(ANALYST, "The analyst sets out the approach.")
    plan = (
        f"Plan: 1) {RESEARCHER} finds the {year} tram ridership of "
        + ", ".join(planned)
        + f"; 2) I write code to add them; 3) {TERMINAL} runs it; 4) {VERIFIER} checks."
    )
    s.step(ANALYST, "message", input=task, output=plan, decisive=category == "wrong_plan")

    speaker(RESEARCHER, "Figures are needed before any code.")
    found: dict[str, float] = {}
    wrong_city = cities[1]
    for c in planned:
        query = f"{c} tram annual ridership {year}"
        if category == "wrong_fact" and c == wrong_city:
            found[c] = round(riders[c] * pick(rng, (0.8, 1.25, 1.1)), 1)
            continue
        if category == "hallucinated_value" and c == wrong_city:
            s.tool(
                RESEARCHER,
                "web_search",
                {"query": query},
                [{"title": f"{c} opens new tram depot", "snippet": f"The {c} network added 12 new trams in {year}."}],
                call_id=call_id(rng),
            )
            found[c] = round(riders[c] * pick(rng, (0.85, 1.2)), 1)
            continue
        repeats = rng.randint(3, 4) if category == "loop" and c == wrong_city else 1
        for n in range(repeats):
            if repeats > 1:
                s.step(RESEARCHER, "message", output=f"Let me search again for {c}.", decisive=n == 1)
            result = [
                {
                    "title": f"{c} public transport annual report {year}",
                    "snippet": f"Trams carried {riders[c]} million passengers in {year}.",
                }
            ]
            if repeats > 1:
                result = [{"title": f"{c} transport authority", "snippet": "Annual reports are published each spring."}]
            s.tool(RESEARCHER, "web_search", {"query": query}, result, call_id=call_id(rng))
        if repeats == 1:
            found[c] = riders[c]
    if category == "loop":
        s.step(RESEARCHER, "message", output=f"I could not find the {year} figure for {wrong_city}.")
        for _ in range(rng.randint(2, 3)):
            speaker(VERIFIER, "Check progress.")
            s.step(VERIFIER, "message", output=f"We still need {wrong_city}. {RESEARCHER}, please search again.")
            speaker(RESEARCHER, "Asked to search again.")
            s.step(RESEARCHER, "message", output=f"Searching again for {wrong_city}.")
            s.tool(
                RESEARCHER,
                "web_search",
                {"query": f"{wrong_city} tram annual ridership {year}"},
                [
                    {
                        "title": f"{wrong_city} transport authority",
                        "snippet": "Annual reports are published each spring.",
                    }
                ],
                call_id=call_id(rng),
            )
        s.step(MANAGER, "max_round", output="Maximum number of rounds reached.")
        return s, Outcome(False, gold, "no answer", "the chat ended without an answer")
    listing = "; ".join(f"{c}: {v} million" for c, v in found.items())
    wrong_by_researcher = category in ("wrong_fact", "hallucinated_value")
    s.step(
        RESEARCHER,
        "message",
        output=say(rng, ("Here are the figures: {l}.", "{year} ridership — {l}."), l=listing, year=year),
        decisive=wrong_by_researcher,
    )

    if category == "premature_stop":
        speaker(VERIFIER, "The verifier can judge whether this suffices.")
        estimate = f"{round(sum(found.values()) + near_int(rng, 20), 2):.2f}"
        s.step(
            VERIFIER,
            "message",
            decisive=True,
            output=f"These look consistent. Roughly {estimate} million in total, no need to run code. TERMINATE",
        )
        return s, Outcome(False, gold, estimate, "the total is wrong")

    speaker(ANALYST, "Figures are available; code is next.")
    bug = None
    if category == "code_bug":
        bug = "wrong_key" if raises else "skips_first"
    code = _code.sum_code(rng, "Total ridership (millions):", found, bug=bug)
    s.step(ANALYST, "message", output=f"```python\n{code}```", decisive=category == "code_bug")
    speaker(TERMINAL, "Code to run.")
    stdout, error = _code.execute(code)
    if error is not None:
        s.tool(TERMINAL, "execute_code", {"code": code}, raises=error)
        return s, None
    s.tool(TERMINAL, "execute_code", {"code": code}, {"exit_code": 0, "output": stdout})
    s.step(TERMINAL, "message", output=f"exitcode: 0 (execution succeeded)\nCode output: {stdout}")
    answer = _code.last_number(stdout)
    speaker(VERIFIER, "Result to verify.")
    if rng.random() < 0.4:
        s.step(VERIFIER, "message", output="Let me re-add the figures by hand to confirm.")
    s.step(VERIFIER, "message", output=f"The sum is {answer} million. TERMINATE")
    ok = answer == gold
    return s, Outcome(ok, gold, answer, "correct total" if ok else "the total is wrong")

"""Retrieval-augmented answering: a query rewriter, a retriever over a policy index, a reranker, and the
assistant that answers from the top passages. Task family: travel-policy allowances by city and year.
"""

from __future__ import annotations

import random

from ._script import Outcome, Script
from ._world import CITIES, call_id, pick, sample, say

ASSISTANT, REWRITER, RETRIEVER, RERANKER = "policy_assistant", "query_rewriter", "retriever", "reranker"
CATEGORIES = ("wrong_tool_argument", "misread_output", "hallucinated_value", "ignored_instruction")
_TASKS = (
    "What is the hotel allowance per night in {city} under the {year} travel policy? Give the amount in pounds.",
    "Under our {year} travel policy, how much can I spend per night on a hotel in {city}? Amount in GBP please.",
    "{year} policy: what's the nightly hotel cap for {city}, in GBP?",
)
_JSON = ' Reply as JSON: {{"amount_gbp": <number>}}.'


def _chunk(doc: str, year: int, city: str, kind: str, eur: int, gbp: int) -> dict[str, object]:
    what = "Hotel allowance" if kind == "hotel" else "Meal allowance"
    unit = "per night" if kind == "hotel" else "per day"
    section = "4.2" if kind == "hotel" else "4.3"
    text = f"Travel policy {year}, section {section}. {what} in {city}: up to €{eur} {unit} (£{gbp})."
    return {"id": doc, "text": text, "metadata": {"year": year, "section": "4.2" if kind == "hotel" else "4.3"}}


def generate(rng: random.Random, category: str | None, shape: str, raises: bool) -> tuple[Script, Outcome | None]:
    """One question answered from the index; ``category`` is the mistake made (``None``: a correct answer)."""
    year = pick(rng, (2023, 2024, 2025))
    city, *others = sample(rng, CITIES, 4)
    hotel = {y: rng.randrange(90, 260, 5) for y in (year - 2, year)}
    gbp = {y: round(v * rng.uniform(0.83, 0.87)) for y, v in hotel.items()}
    meal_eur = rng.randrange(35, 80, 5)
    meal_gbp = round(meal_eur * 0.85)
    task = say(rng, _TASKS, city=city, year=year)
    json_reply = category == "ignored_instruction" and raises
    if json_reply or rng.random() < 0.2:
        task += _JSON
    s = Script(ASSISTANT, task, shape)

    keep_year = category != "wrong_tool_argument"
    query = say(rng, ("hotel allowance per night {city}", "{city} hotel nightly limit travel policy"), city=city)
    filters = {"year": year} if keep_year else {}
    with s.turn(REWRITER, task):
        rewritten = {"query": query, "filters": filters, "top_k": 8}
        s.step(
            REWRITER,
            "rewrite",
            input=task,
            output=rewritten,
            action_type="llm_call",
            decisive=category == "wrong_tool_argument",
        )
        s.reply(rewritten)

    docs = []
    listed = category != "hallucinated_value"
    n = rng.randint(100, 999)
    if listed:
        docs.append(_chunk(f"policy-{year}-{n}", year, city, "hotel", hotel[year], gbp[year]))
        docs.append(_chunk(f"policy-{year}-{n + 1}", year, city, "meal", meal_eur, meal_gbp))
    else:
        docs.append(
            {
                "id": f"policy-{year}-{n}",
                "metadata": {"year": year, "section": "4.1"},
                "text": f"Travel policy {year}, section 4.1. Cities not listed in 4.2 are booked through the "
                "travel desk, which confirms the rate case by case.",
            }
        )
    if not keep_year:
        docs.insert(0, _chunk(f"policy-{year - 2}-{n - 40}", year - 2, city, "hotel", hotel[year - 2], gbp[year - 2]))
    for other in others:
        docs.append(
            _chunk(
                f"policy-{year}-{rng.randint(100, 999)}",
                year,
                other,
                "hotel",
                rng.randrange(90, 260, 5),
                rng.randrange(80, 220, 5),
            )
        )
    scores = sorted((round(rng.uniform(0.55, 0.92), 3) for _ in docs), reverse=True)
    hits = [{**d, "score": sc} for d, sc in zip(docs, scores, strict=True)]
    with s.turn(RETRIEVER, query):
        s.tool(RETRIEVER, "search_index", {"index": "travel-policy", **rewritten}, hits, call_id=call_id(rng))
        s.reply([h["id"] for h in hits])

    top = hits[:3]
    with s.turn(RERANKER, query):
        ranked = [{"id": h["id"], "relevance": round(0.97 - 0.11 * i, 2)} for i, h in enumerate(top)]
        s.step(
            RERANKER,
            "rerank",
            input={"query": query, "candidates": [h["id"] for h in hits]},
            output=ranked,
            action_type="retrieval",
        )
        s.reply(ranked)

    context = "\n".join(f"[{h['id']}] {h['text']}" for h in top)
    expected = gbp[year]
    if category == "wrong_tool_argument":
        amount, source = gbp[year - 2], top[0]["id"]
    elif category == "misread_output":
        amount, source = meal_gbp, top[1]["id"]
    elif category == "hallucinated_value":
        amount, source = rng.randrange(110, 240, 5), top[0]["id"]
        expected_text = "no allowance in the policy: the travel desk confirms the rate"
    else:
        amount, source = expected, top[0]["id"]
    if category == "ignored_instruction" and not raises:
        reply = f"The {year} policy allows up to €{hotel[year]} per night in {city} [{source}]."
        actual = f"€{hotel[year]}"
    elif json_reply and category == "ignored_instruction":
        reply = f"According to [{source}], the nightly hotel allowance in {city} is £{amount}."
        actual = reply
    elif task.endswith(_JSON.strip()) or _JSON.strip() in task:
        reply = f'{{"amount_gbp": {amount}}}'
        actual = f"£{amount}"
    else:
        reply = say(
            rng,
            (
                "The {year} policy allows up to £{a} per night for hotels in {city} [{src}].",
                "You can spend up to £{a} per night in {city} ({year} policy, [{src}]).",
            ),
            year=year,
            a=amount,
            city=city,
            src=source,
        )
        actual = f"£{amount}"
    answer_decisive = category in ("misread_output", "hallucinated_value", "ignored_instruction")
    s.step(
        ASSISTANT,
        "answer",
        input={"question": task, "context": context},
        output=reply,
        action_type="llm_call",
        decisive=answer_decisive,
    )
    if _JSON.strip() in task:
        if json_reply:
            s.step(ASSISTANT, "parse_reply", input=reply, raises=("JSONDecodeError", "Expecting value"))
            return s, None
        s.step(ASSISTANT, "parse_reply", input=reply, output={"amount_gbp": amount})
    s.root.output = reply
    if category == "hallucinated_value":
        return s, Outcome(False, expected_text, actual, "the policy gives no amount for this city")
    ok = actual == f"£{expected}"
    return s, Outcome(ok, f"£{expected}", actual, "correct allowance" if ok else "wrong allowance for the question")

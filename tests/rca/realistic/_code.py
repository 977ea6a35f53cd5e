"""Analysis code as coding agents write it: several styles, and the bugs such code really has.

The code is executed (`_world.run_python`) to get what an executor would print, so a buggy program's output is
what that program produces.
"""

from __future__ import annotations

import random

from ._world import pick, run_python

BUGS = ("inverted_discount", "skips_first", "truncates_prices", "wrong_key")
"""``wrong_key`` raises (KeyError); the others print a wrong total."""


def total_code(
    rng: random.Random,
    quantities: dict[str, int],
    prices: dict[str, float],
    discount_pct: float | None,
    *,
    skus: dict[str, str] | None = None,
    bug: str | None = None,
) -> str:
    """Python that prints the subtotal and the total after a percentage discount."""
    style = rng.randrange(2)
    names = list(quantities)
    if style == 0 or bug == "wrong_key":
        qty_lines = ",\n".join(f"    {n!r}: {quantities[n]}" for n in names)
        if bug == "wrong_key" and skus:
            price_lines = ",\n".join(f"    {skus[n]!r}: {prices[n]}" for n in names)
        else:
            price_lines = ",\n".join(f"    {n!r}: {prices[n]}" for n in names)
        unit = "int(prices[k])" if bug == "truncates_prices" else "prices[k]"
        keys = "list(quantities)[1:]" if bug == "skips_first" else "quantities"
        if discount_pct is None:
            total = "subtotal"
        elif bug == "inverted_discount":
            total = f"subtotal * {discount_pct / 100}"
        else:
            total = f"subtotal * (1 - {discount_pct / 100})"
        return (
            f"quantities = {{\n{qty_lines},\n}}\n"
            f"prices = {{\n{price_lines},\n}}\n"
            f"subtotal = sum(quantities[k] * {unit} for k in {keys})\n"
            f"total = {total}\n"
            'print(f"Subtotal: {subtotal:.2f}")\n'
            + (
                'print(f"Total: {total:.2f}")\n'
                if discount_pct is None
                else 'print(f"Total after discount: {total:.2f}")\n'
            )
        )
    rows = ",\n".join(f"    ({n!r}, {quantities[n]}, {prices[n]})" for n in names)
    loop = "for i in range(1, len(items)):" if bug == "skips_first" else "for i in range(len(items)):"
    unit = "int(items[i][2])" if bug == "truncates_prices" else "items[i][2]"
    discount = pick(rng, ("discount", "rate"))
    if discount_pct is None:
        rate, total = "", "subtotal"
    else:
        rate = f"{discount} = {discount_pct} / 100\n"
        total = f"subtotal * {discount}" if bug == "inverted_discount" else f"subtotal * (1 - {discount})"
    return (
        f"items = [\n{rows},\n]\n"
        "subtotal = 0.0\n"
        f"{loop}\n"
        f"    subtotal += items[i][1] * {unit}\n"
        f"{rate}"
        f"total = round({total}, 2)\n"
        'print("Subtotal:", round(subtotal, 2))\n'
        'print("Total:", total)\n'
    )


def sum_code(rng: random.Random, label: str, values: dict[str, float], *, bug: str | None = None) -> str:
    """Python that adds a few named values and prints the sum (``skips_first`` or ``wrong_key`` bugs)."""
    lines = ",\n".join(f"    {k!r}: {v}" for k, v in values.items())
    var = pick(rng, ("values", "figures", "data"))
    if bug == "wrong_key":
        first = next(iter(values))
        lookup = first.lower().replace(" ", "_") + "_total"
        return f"{var} = {{\n{lines},\n}}\nresult = {var}[{lookup!r}] + sum({var}.values())\nprint({label!r}, result)\n"
    keys = f"list({var})[1:]" if bug == "skips_first" else var
    return f"{var} = {{\n{lines},\n}}\nresult = round(sum({var}[k] for k in {keys}), 2)\nprint({label!r}, result)\n"


def execute(code: str) -> tuple[str, tuple[str, str] | None]:
    """Run the code: its stdout and the exception it raised, if any."""
    return run_python(code)


def last_number(stdout: str) -> str:
    """The last number printed (what a reader takes as "the result")."""
    for line in reversed(stdout.strip().splitlines()):
        token = line.replace(",", "").split()[-1] if line.split() else ""
        try:
            return f"{float(token):.2f}"
        except ValueError:
            continue
    return ""


def first_number(stdout: str) -> str:
    """The first number printed."""
    for line in stdout.strip().splitlines():
        token = line.replace(",", "").split()[-1] if line.split() else ""
        try:
            return f"{float(token):.2f}"
        except ValueError:
            continue
    return ""

"""Entities, number formats, paraphrases and a code runner shared by the generators."""

from __future__ import annotations

import contextlib
import io
import random
from collections.abc import Sequence
from typing import Any, TypeVar

_T = TypeVar("_T")

CITIES = (
    "Lisbon", "Porto", "Lyon", "Turin", "Graz", "Ghent", "Leeds", "Cork", "Bergen", "Tampere", "Brno", "Kraków",
    "Seville", "Bilbao", "Utrecht", "Aarhus", "Malmö", "Basel", "Dresden", "Bologna",
)  # fmt: skip
VENDORS = (
    "Northwind Supply", "Halcyon Parts", "Brightline Tools", "Cobalt Office", "Juniper Labware", "Meridian Goods",
    "Alder & Finch", "Quayside Hardware", "Polar Components", "Tessellate Print",
)  # fmt: skip
PRODUCTS = (
    "cable ties (100 pack)", "USB-C hub", "desk lamp", "label printer tape", "safety goggles", "nitrile gloves (box)",
    "whiteboard markers", "wireless mouse", "M4 hex bolts (50)", "pipette tips (rack)", "HDMI cable 2 m",
    "ergonomic keyboard", "laminating pouches", "glass beakers 250 ml", "thermal paste", "cordless drill",
    "LED panel", "filing cabinet", "paper shredder", "soldering station",
)  # fmt: skip
PEOPLE = (
    "Ana Ribeiro", "Tomás Novák", "Ingrid Berg", "Samir Haddad", "Chloé Martin", "Luca Bianchi", "Priya Raman",
    "Jonas Weber", "Mei Chen", "Oskar Lind", "Fatima Zahra", "Daniel Okafor", "Elena Petrova", "Hugo Lefèvre",
)  # fmt: skip
COMPANIES = (
    "Arcadia Foods", "Bluefin Logistics", "Corvid Analytics", "Dunmore Energy", "Everly Health", "Fenwick Media",
    "Granite Insurance", "Harbor Robotics", "Ironleaf Games", "Kestrel Air",
)  # fmt: skip
CURRENCIES = ("EUR", "GBP", "CHF", "SEK", "NOK", "PLN", "CZK", "DKK")
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
    "December",
)  # fmt: skip


def pick(rng: random.Random, items: Sequence[_T]) -> _T:
    """One item."""
    return items[rng.randrange(len(items))]


def sample(rng: random.Random, items: Sequence[_T], k: int) -> list[_T]:
    """``k`` distinct items."""
    return rng.sample(list(items), k)


def say(rng: random.Random, templates: Sequence[str], **values: Any) -> str:
    """One of several paraphrases, filled in."""
    return pick(rng, templates).format(**values)


def money(value: float) -> str:
    """``1,284.50``."""
    return f"{value:,.2f}"


def price(rng: random.Random, low: float = 3.0, high: float = 180.0) -> float:
    """A shelf price ending in a usual way (.99, .50, .00, .49, .95)."""
    whole = rng.randint(int(low), int(high))
    return round(whole + pick(rng, (0.99, 0.5, 0.0, 0.49, 0.95, 0.25)), 2)


def near(rng: random.Random, value: float, *, spread: float = 0.25) -> float:
    """A different but plausible value of the same magnitude (what a misremembered or guessed number looks like)."""
    for _ in range(20):
        candidate = round(value * (1 + rng.uniform(-spread, spread)), 2)
        if abs(candidate - value) >= max(0.01, abs(value) * 0.04):
            return candidate
    return round(value * 1.17, 2)


def near_int(rng: random.Random, value: int) -> int:
    """A different plausible integer."""
    for _ in range(20):
        candidate = max(1, round(value * (1 + rng.uniform(-0.35, 0.35))))
        if candidate != value:
            return candidate
    return value + 1


def run_python(code: str) -> tuple[str, tuple[str, str] | None]:
    """Execute generated analysis code the way a code executor would: its stdout, and the exception it raised.

    The code is our own generated text (no input from outside), run with ``print`` and a few builtins.
    """
    out = io.StringIO()
    namespace: dict[str, Any] = {}
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, "<generated>", "exec"), namespace)
    except Exception as exc:
        return out.getvalue(), (type(exc).__name__, str(exc))
    return out.getvalue(), None


def traceback_text(code_name: str, line: int, error: tuple[str, str]) -> str:
    """The tail of a Python traceback as a terminal prints it."""
    kind, message = error
    return (
        "Traceback (most recent call last):\n"
        f'  File "/workspace/{code_name}", line {line}, in <module>\n'
        f"{kind}: {message}\n"
    )


def call_id(rng: random.Random) -> str:
    """An OpenAI-style tool call id."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "call_" + "".join(pick(rng, alphabet) for _ in range(24))

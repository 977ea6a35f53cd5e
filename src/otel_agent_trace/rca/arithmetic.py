"""Values a step computed from numbers it received: their blame belongs to whoever produced the wrong input.

A number a step states that is the product, quotient, sum or difference of two numeric values of its input (its
arguments, not numbers in prose: rounded to the stated precision), or one of them in another unit (x100, x1000,
x60, x3600, x24 and back), is supported by them. The check is bounded: only the failure's decisive numbers,
against the first `MAX_OPERANDS` numeric values of the span's input, and it follows a derived operand back at most
`MAX_DEPTH` steps.
"""

from __future__ import annotations

import itertools
import math
import re

from .provenance import Provenance
from .values import leaves
from .view import TraceView

MAX_OPERANDS = 12
"""Numbers of a span's input tried as operands (the first ones)."""
MAX_DEPTH = 3
"""How many derivation steps are followed back from a decisive number."""
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?![\w.])")
_UNITS = (100.0, 1000.0, 60.0, 3600.0, 24.0)


def _value(claim: str) -> tuple[float, int] | None:
    """The number of a number claim (``n:1.73 usd``) and its count of decimals."""
    if not claim.startswith("n:"):
        return None
    head = claim[2:].split(" ", 1)[0]
    try:
        number = float(head)
    except ValueError:
        return None
    return number, len(head.split(".", 1)[1]) if "." in head else 0


def _matches(result: float, target: float, decimals: int) -> bool:
    if not math.isfinite(result):
        return False
    if round(result, decimals) == target:
        return True
    return math.isclose(result, target, rel_tol=1e-6)


def input_numbers(view: TraceView, span_id: str) -> dict[str, float]:
    """The first `MAX_OPERANDS` numeric values of a span's input (numbers, or strings that are just a number)."""
    found: dict[str, float] = {}
    payload = view.inputs.get(span_id)
    for _, leaf in leaves(payload) if payload is not None else ():
        if isinstance(leaf, (int, float)) and not isinstance(leaf, bool) and math.isfinite(leaf):
            found.setdefault(repr(leaf), float(leaf))
        elif isinstance(leaf, str) and len(leaf) < 32 and _NUMBER.fullmatch(leaf.strip()):
            found.setdefault(leaf.strip().lstrip("+"), float(leaf))
        if len(found) >= MAX_OPERANDS:
            break
    return found


def operands(found: dict[str, float], claim: str) -> tuple[str, ...] | None:
    """The numbers of ``found`` that ``claim`` was computed from, or ``None`` when it is not derivable from them."""
    parsed = _value(claim)
    if parsed is None:
        return None
    target, decimals = parsed
    numbers = [(k, v) for k, v in found.items() if not _matches(v, target, decimals)]
    for key, a in numbers:
        if any(_matches(a * k, target, decimals) or _matches(a / k, target, decimals) for k in _UNITS):
            return (key,)
    for (ka, a), (kb, b) in itertools.combinations(numbers, 2):
        results = (a * b, a + b, a - b, b - a, a / b if b else math.nan, b / a if a else math.nan)
        if any(_matches(r, target, decimals) for r in results):
            return ka, kb
    return None


def _claim_of(number: str) -> str:
    if "." in number:
        number = number.rstrip("0").rstrip(".")
    return f"n:{number}"


def derived_blame(
    view: TraceView, prov: Provenance, span_id: str, claim: str, depth: int = 0
) -> list[tuple[str, float]]:
    """Who answers for ``claim`` that ``span_id`` first stated: itself, or the producers of the inputs it came from.

    Returns ``(span, share)`` pairs summing to 1: a computed number's share goes, evenly, to the spans that
    introduced its operands (operands the run was given are nobody's fault); a number computed only from given
    values, or not computed at all, stays with the span.
    """
    used = operands(input_numbers(view, span_id), claim) if depth < MAX_DEPTH else None
    if not used:
        return [(span_id, 1.0)]
    producers = []
    for number in used:
        key = _claim_of(number)
        producer = prov.introducer.get(key)
        if key not in prov.given and producer is not None and producer != span_id:
            producers.append((producer, key))
    if not producers:
        return [(span_id, 1.0)]
    out: list[tuple[str, float]] = []
    for producer, key in producers:
        out.extend((s, share / len(producers)) for s, share in derived_blame(view, prov, producer, key, depth + 1))
    return out

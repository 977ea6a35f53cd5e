"""The shape of a redaction rule (`SecretRule`), its gates and the helpers the rule tables are written with."""

from __future__ import annotations

from dataclasses import dataclass

GATE_RANDOM = "random"
"""The secret is at least 8 characters and mixes two of lower case, upper case and digits."""
GATE_ENTROPY = "entropy"
"""`GATE_RANDOM` plus a Shannon entropy of at least ``ENTROPY_THRESHOLD`` bits per character."""
GATE_ASSIGNMENT = "assignment"
"""An unquoted value assigned to a secret-named key (context rules in `_secret_scan` and docs/redaction.md)."""

ENTROPY_THRESHOLD = 3.0
"""Bits per character. Random base62/hex strings of 16+ characters score 3.5-5.5; English words and identifiers
of the same length mostly score below 3.0 (``password123`` 3.28, ``configuration`` 3.24), so the gate also requires
two character classes."""


@dataclass(frozen=True)
class SecretRule:
    """One secret shape.

    Attributes:
        id: Stable identifier, used to disable the rule (``disabled_rules=("jwt",)``).
        description: What the rule finds.
        regex: Python regular expression, tried at each occurrence of a literal; group ``secret`` is replaced.
            Rules found by ``keywords`` are compiled case-insensitive, rules found by ``prefixes`` case-sensitive.
        prefixes: Case-sensitive literals at which the match starts (or ends ``back`` characters later).
        keywords: Case-insensitive literals (lower case) at which the match starts.
        back: How many characters before the literal the match starts (0: at the literal).
        back_min: With a variable-length part before the literal, the fewest characters before it (the match
            is tried at each start from ``back`` to ``back_min`` characters before); -1 means ``back``.
        window: The longest match in characters; a secret running past it is extended over token characters.
        gate: ``""`` (none), `GATE_RANDOM`, `GATE_ENTROPY` or `GATE_ASSIGNMENT`.
    """

    id: str
    description: str
    regex: str
    prefixes: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    back: int = 0
    back_min: int = -1
    window: int = 1200
    gate: str = ""


def prefixed(
    rule_id: str, description: str, regex: str, *prefixes: str, back: int = 0, back_min: int = -1, window: int = 1200
) -> SecretRule:
    return SecretRule(rule_id, description, regex, prefixes=prefixes, back=back, back_min=back_min, window=window)


def keyworded(
    rule_id: str, description: str, regex: str, *keywords: str, gate: str = "", window: int = 1200
) -> SecretRule:
    return SecretRule(rule_id, description, regex, keywords=keywords, gate=gate, window=window)


NOT_AFTER_TOKEN = r"(?<![A-Za-z0-9_])"  # not in the middle of a longer token
TOKEN_END = r"(?![A-Za-z0-9_])"  # token ends here
NEAR = r"[\w.\-\"' ]{0,40}?(?:[:=]|=>)\s{0,5}[\"']?"  # 'keyword ... = "', at most 40 characters apart

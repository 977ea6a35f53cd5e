"""The text content of a span's input and output, normalized for provenance: shingles and salient claims.

Only content counts: bookkeeping fields (ids, call ids, token counts, model and provider names, timestamps, roles,
finish reasons, booleans) are dropped before anything is compared, and each side of a span is capped at
`MAX_TEXT` characters, so the cost per span is bounded whatever the payload.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import accumulate, compress, filterfalse, repeat
from operator import eq, mod
from typing import Any

from .values import is_bookkeeping, parse_payload

MAX_TEXT = 6000
"""Characters of text kept per span side (input or output): provenance cost is bounded per span."""
SHINGLE = 3
"""Words per shingle: three consecutive content words are rarely shared by chance."""
SAMPLE = 3
"""One shingle in about this many is kept for texts of `SAMPLE_FROM` words or more."""
SAMPLE_FROM = 24
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "then",
        "else",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "i",
        "you",
        "he",
        "she",
        "we",
        "they",
        "me",
        "my",
        "your",
        "our",
        "their",
        "them",
        "his",
        "her",
        "us",
        "do",
        "does",
        "did",
        "done",
        "have",
        "has",
        "had",
        "not",
        "no",
        "yes",
        "so",
        "than",
        "too",
        "very",
        "can",
        "could",
        "will",
        "would",
        "shall",
        "should",
        "may",
        "might",
        "must",
        "just",
        "also",
        "only",
        "about",
        "into",
        "over",
        "under",
        "again",
        "further",
        "once",
        "all",
        "any",
        "both",
        "each",
        "few",
        "more",
        "most",
        "other",
        "some",
        "such",
        "own",
        "same",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "let",
        "lets",
        "ok",
        "okay",
        "please",
        "thanks",
        "thank",
        "now",
        "up",
        "out",
        "off",
        "well",
        "get",
        "got",
        "let's",
        "i'll",
        "i'm",
        "it's",
        "we'll",
    ]
)
_WORD = re.compile(r"[a-z0-9]+(?:[.,'][a-z0-9]+)*")
# The two patterns below start with a character class so the regex engine skips straight to the characters that can
# start a match; the lookbehind after it is the original leading one, checked on the character before that class.
# They match exactly what ``(?<![\w.])[-+]?\$?\d[\d,]*...`` and ``\b[A-Z][a-zA-Z0-9&'-]+...`` match
# (tests/rca/test_speed_equivalence.py compares them on generated text), at about half the cost.
_NUMBER_UNIT = re.compile(
    r"[-+$\d](?<![\w.].)(?:(?<=[-+])\$?\d|(?<=\$)\d|(?<=\d))[\d,]*(?:\.\d+)?(?:\s?(?:%|[a-z]{1,12}\b))?", re.IGNORECASE
)
_PHRASE = re.compile(r"[A-Z](?<!\w.)[a-zA-Z0-9&'-]+(?:\s+(?:of|the|de|and|for|&)?\s*[A-Z][a-zA-Z0-9&'-]+){0,4}")
_QUOTED = re.compile(r"[\"“']([^\"”'\n]{3,80})[\"”']")
_CODE = re.compile(r"```[a-zA-Z0-9_+-]*\n(.*?)```", re.DOTALL)
_NUMBER_HEAD = re.compile(r"[-+]?\d+(?:\.\d+)?")
_TRIVIAL_NUMBERS = frozenset({"0", "1", "2", "-1"})


def _key_of(path_key: Any) -> str:
    return str(path_key).lower().rsplit(".", 1)[-1]


def _strings(value: Any, depth: int = 0) -> Iterator[str]:
    """The content strings of a decoded payload, bookkeeping keys skipped (JSON inside strings decoded)."""
    if depth > 12:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if is_bookkeeping(_key_of(key)):
                continue
            yield from _strings(item, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item, depth + 1)
    elif isinstance(value, str):
        parsed = parse_payload(value)
        if isinstance(parsed, (dict, list)):
            yield from _strings(parsed, depth + 1)
        elif value.strip():
            yield value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield str(value)


def text_of(payload: Any, limit: int = MAX_TEXT) -> str:
    """The content text of a payload (a span's decoded input or output), at most ``limit`` characters."""
    out: list[str] = []
    size = 0
    for text in _strings(payload):
        piece = text[: limit - size]
        out.append(piece)
        size += len(piece) + 1
        if size >= limit:
            break
    return "\n".join(out)


def content_words(text: str) -> list[str]:
    """Lower-case words of ``text`` without stop words, in order."""
    return list(filterfalse(STOP_WORDS.__contains__, _WORD.findall(text.lower())))


def shingles(text: str) -> list[str]:
    """Distinct `SHINGLE`-word shingles of the content words, in first-seen order (deterministic)."""
    return word_shingles(content_words(text))


def word_shingles(words: list[str]) -> list[str]:
    """`shingles` of already extracted content words.

    Beyond `SAMPLE_FROM` words only the shingles whose letter count is a multiple of `SAMPLE` are kept: a choice
    made by the content, not the position, so the same passage keeps the same shingles wherever it is copied, and
    the cost drops by that factor (deterministic: no salted hash).
    """
    if len(words) < SHINGLE:
        return [" ".join(words)] if len(words) >= 2 else []
    triples = zip(words, words[1:], words[2:], strict=False)  # consecutive triples (SHINGLE = 3)
    if len(words) < SAMPLE_FROM:
        return list(dict.fromkeys(map(" ".join, triples)))
    # letters of the triple at i: letters[i + 3] - letters[i], a multiple of SAMPLE when both agree modulo SAMPLE
    residues = list(map(mod, accumulate(map(len, words), initial=0), repeat(SAMPLE)))
    kept = compress(triples, map(eq, residues[SHINGLE:], residues))
    return list(dict.fromkeys(map(" ".join, kept)))


def _number_claim(match: str) -> str | None:
    text = match.strip().lower().replace(",", "").replace("$", "")
    head = _NUMBER_HEAD.match(text)
    if head is None:
        return None
    number = head.group().lstrip("+")
    if "." in number:
        number = number.rstrip("0").rstrip(".")
    unit = text[head.end() :].strip()
    if unit in STOP_WORDS:
        unit = ""
    if number in _TRIVIAL_NUMBERS and not unit:
        return None
    return f"n:{number} {unit}".rstrip()


def claims(text: str) -> list[str]:
    """Salient claims of ``text``: numbers (with their unit), capitalized names, quoted strings, code lines.

    Each claim is a normalized key (``n:42 km``, ``e:marie curie``, ``q:...``, ``c:...``); the number alone is a
    claim too (``n:42``), so a unit written differently still matches.
    """
    out: dict[str, None] = {}
    for match in _NUMBER_UNIT.finditer(text):
        claim = _number_claim(match.group())
        if claim:
            out[claim] = None
            out[claim.split(" ", 1)[0]] = None
    for match in _PHRASE.finditer(text):
        phrase = match.group().strip()
        words = phrase.lower().split()
        if len(words) == 1 and (words[0] in STOP_WORDS or len(words[0]) < 4):
            continue
        out["e:" + " ".join(words)] = None
    for match in _QUOTED.finditer(text) if ("'" in text or '"' in text or "\u201c" in text) else ():
        quoted = " ".join(content_words(match.group(1)))
        if len(quoted) >= 4:
            out["q:" + quoted] = None
    for block in _CODE.finditer(text) if "```" in text else ():
        for line in block.group(1).splitlines():
            norm = " ".join(line.split())
            if len(norm) >= 8:
                out["c:" + norm] = None
    return list(out)


def show_claim(claim: str) -> str:
    """A claim key as a person reads it (``n:42 km`` -> ``42 km``)."""
    return claim[2:]


def output_kind(payload: Any) -> str:
    """A coarse kind of a span's output, to compare a step with the same step of passing runs.

    ``empty``, ``number``, ``code``, ``error``, ``fields:<sorted keys>`` for an object, ``list``, ``short text``
    (under 40 characters) or ``text``.
    """
    value = parse_payload(payload)
    if isinstance(value, dict) and len(value) == 1:
        value = parse_payload(next(iter(value.values())))  # the view wraps each output attribute in a dict
    if value in (None, "", [], {}):
        return "empty"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, dict):
        return "fields:" + ",".join(sorted(str(k) for k in value)[:12])
    messages = isinstance(value, (list, tuple)) and all(isinstance(m, dict) and "parts" in m for m in value)
    if isinstance(value, (list, tuple)) and not messages:
        return "list"
    text = text_of(value)
    if not text.strip():
        return "empty"
    if "```" in text:
        return "code"
    if re.search(r"\b(?:error|exception|traceback|failed)\b", text[:500], re.IGNORECASE):
        return "error"
    return "short text" if len(text) < 40 else "text"

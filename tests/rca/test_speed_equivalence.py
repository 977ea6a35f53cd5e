"""The faster text scans of the RCA find exactly what the plain versions they replaced find.

Each rewritten regular expression, prefilter and helper is compared with its original on generated text built from
the characters and words that decide a match (signs, points, digits of other scripts, case-folding letters, line
breaks, every uncertainty phrase).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from itertools import accumulate, compress, repeat
from operator import mod, not_, sub

import pytest

from otel_agent_trace.rca import content, content_signals, values

_ALPHABET = "aZk9-_.,$+%'\" \n\t\u0660\u212aK5\u00e9\u017fSs"
_ORIGINAL = {
    "number": (values._NUMBER, re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w])")),
    "number_unit": (
        content._NUMBER_UNIT,
        re.compile(r"(?<![\w.])[-+]?\$?\d[\d,]*(?:\.\d+)?(?:\s?(?:%|[a-z]{1,12}\b))?", re.IGNORECASE),
    ),
    "phrase": (
        content._PHRASE,
        re.compile(r"\b[A-Z][a-zA-Z0-9&'-]+(?:\s+(?:of|the|de|and|for|&)?\s*[A-Z][a-zA-Z0-9&'-]+){0,4}"),
    ),
}


def _texts(seed: int, count: int, alphabet: str = _ALPHABET, longest: int = 14) -> Iterator[str]:
    rng = random.Random(seed)
    for _ in range(count):
        yield "".join(rng.choice(alphabet) for _ in range(rng.randint(0, longest)))


@pytest.mark.parametrize("name", sorted(_ORIGINAL))
def test_rewritten_patterns_match_like_the_originals(name: str) -> None:
    fast, original = _ORIGINAL[name]
    texts = [*_texts(1, 40_000), "Price: -12.5 km, $3,000 and +7%", "Marie Curie of Paris met K2-9 at 10am"]
    for text in texts:
        assert [m.group() for m in fast.finditer(text)] == [m.group() for m in original.finditer(text)], repr(text)
    assert any(original.search(t) for t in texts)  # the generated text does exercise the pattern


def _string_keys_original(text: str) -> list[str]:
    stripped = text.strip()
    out = []
    if 3 <= len(stripped) <= values._MAX_STRING and stripped.lower() not in values._TRIVIAL_STRINGS:
        out.append("s:" + stripped.lower())
    for match in _ORIGINAL["number"][1].finditer(text):
        key = values._number_key(float(match.group()) if "." in match.group() else int(match.group()))
        if key:
            out.append(key)
    out.extend("s:" + m.group().lower() for m in values._IDENT.finditer(text))
    return out


def test_identifier_prefilter_skips_only_text_without_identifiers() -> None:
    texts = [*_texts(2, 30_000, "aB3_- x9\u0660."), "INV-2019-7 and 3rd", "x_1", "12ab"]
    found = 0
    for text in texts:
        expected = _string_keys_original(text)
        assert list(values._string_keys(text)) == expected, repr(text)
        found += any(k.startswith("s:") and any(c.isdigit() for c in k) for k in expected)
    assert found


_PHRASES = [
    "can not",
    "cannot",
    "can't",
    "unable to",
    "couldn't",
    "could not",
    "failed to",
    "not able",
    "not found",
    "not available",
    "not accessible",
    "no result",
    "no results",
    "no data",
    "no information",
    "no access",
    "i assume",
    "we will assume",
    "let's assume",
    "let us 'll assume",
    "assuming",
    "assumed",
    "hypothetical",
    "hypothetically",
    "placeholder",
    "example data",
    "dummy",
    "mock data",
    "mocked data",
    "made-up",
    "made up",
    "fictional",
    "simulated",
    "not sure",
    "uncertain",
    "i believe",
    "i guess",
    "don't have access",
    "do not have access",
    "without access",
    "lorem ipsum",
]


def test_every_uncertainty_phrase_passes_the_prefilter() -> None:
    for phrase in _PHRASES:
        assert content_signals._UNCERTAIN.search(phrase), phrase  # the list covers the regex's alternatives
        assert content_signals.uncertainty(f"Well, {phrase.upper()}.") == [phrase], phrase


def test_uncertainty_finds_what_the_regex_alone_finds() -> None:
    rng = random.Random(3)
    words = [*_PHRASES, "price", "report", "canal", "notable", "nothing", "İ", "K", "\n", "x"]
    for _ in range(5_000):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(0, 8)))
        plain = list(dict.fromkeys(m.group() for m in content_signals._UNCERTAIN.finditer(text.lower())))
        assert content_signals.uncertainty(text) == plain, repr(text)


def _word_shingles_original(words: list[str]) -> list[str]:
    if len(words) < content.SHINGLE:
        return [" ".join(words)] if len(words) >= 2 else []
    triples = zip(words, words[1:], words[2:], strict=False)
    if len(words) < content.SAMPLE_FROM:
        return list(dict.fromkeys(map(" ".join, triples)))
    letters = list(accumulate(map(len, words), initial=0))
    kept = compress(triples, map(not_, map(mod, map(sub, letters[3:], letters), repeat(content.SAMPLE))))
    return list(dict.fromkeys(map(" ".join, kept)))


def test_word_shingles_keep_the_same_sample() -> None:
    rng = random.Random(4)
    vocabulary = ["a", "bb", "ccc", "dddd", "eeeee", "price", "report", "42", "x1"]
    for _ in range(3_000):
        words = [rng.choice(vocabulary) for _ in range(rng.randint(0, 80))]
        assert content.word_shingles(words) == _word_shingles_original(words)

"""The text scanner behind `Redactor`: rules grouped by literal, found in one pass, matched where they occur.

Each rule of `_secret_rules` names literals. `TextScanner` groups the rules by literal and builds two Aho-Corasick
automata (pyahocorasick): one over the text for the case-sensitive prefixes, one over a lower-cased copy for the
keywords. At each hit it tries that literal's rules anchored there, each bounded by its ``window``; hits inside a
match are skipped, so the scan is linear in the text, also on hostile input. Without pyahocorasick the same rules
run with ``str.find`` per literal (``engine="find"``). Overlapping matches merge into one `REDACTED`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

try:
    import ahocorasick
except ImportError:  # pragma: no cover - a platform without a pyahocorasick wheel: the str.find engine
    ahocorasick = None

from otel_agent_trace._internal._secret_rules import (
    ENTROPY_THRESHOLD,
    GATE_ASSIGNMENT,
    GATE_ENTROPY,
    GATE_RANDOM,
    SecretRule,
)
from otel_agent_trace._internal.settings import ConfigurationError

REDACTED = "[REDACTED]"

_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-.~%")
_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_PASSWORD_KEYS = frozenset(("password", "passwd", "pwd", "passphrase"))
_PLACEHOLDERS = frozenset(("null", "none", "nil", "true", "false", "undefined", "required", "optional", "string"))
_DOTTED_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


def shannon_entropy(text: str) -> float:
    """Shannon entropy of ``text`` in bits per character (0.0 for an empty string)."""
    if not text:
        return 0.0
    size = len(text)
    return -sum(n / size * math.log2(n / size) for n in Counter(text).values())


def _classes(value: str) -> int:
    return sum((any(c.islower() for c in value), any(c.isupper() for c in value), any(c.isdigit() for c in value)))


def _looks_random(value: str) -> bool:
    return len(value) >= 8 and _classes(value) >= 2


def _lower(text: str) -> str:
    """Lower-cased copy with the same length as ``text`` (the few characters whose lower case is longer stay)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def _assignment_ok(text: str, m: re.Match[str], start: int, end: int) -> bool:
    """Context gate of an unquoted ``key = value`` (see docs/redaction.md, "Assignments")."""
    value = text[start:end]
    after = text[end : end + 1]
    if after in ("(", "[") or value.lower() in _PLACEHOLDERS or not any(c.isalnum() for c in value):
        return False  # a call or an index (code), or a placeholder ("...", "None", "***")
    k = m.start()
    low = max(0, k - 64)
    while k > low and text[k - 1] in _KEY_CHARS:
        k -= 1
    before = text[k - 1] if k > 0 else "\n"
    if before in "?&;":
        return True  # query string or connection string
    key_run = text[k : m.end("key")]
    spaced = m.start("sep") > m.end("key") + 1 or m.end("sep") < start
    if m.group("sep") == "=" and not spaced and (before in "\n\r" or (key_run.isupper() and before.isspace())):
        return True  # .env / shell style: OPENAI_API_KEY=..., password=...
    if m.group("sep") != ":" and "." in value and _DOTTED_NAME.fullmatch(value) is not None:
        return False  # an attribute access in code: settings.SECRET_KEY, self.token
    if m.group("key").lower() in _PASSWORD_KEYS:
        code_like = (
            m.group("sep") != ":" and _DOTTED_NAME.fullmatch(value) is not None and (spaced or after in (")", ","))
        )
        return len(value) >= 3 and not code_like
    return _looks_random(value) and shannon_entropy(value) >= ENTROPY_THRESHOLD


def _automata(groups: tuple[tuple[str, bool, tuple[_Compiled, ...]], ...]) -> tuple[Any, Any] | None:
    """Aho-Corasick automata of the case-sensitive prefixes and of the keywords (None without pyahocorasick)."""
    if ahocorasick is None:
        return None
    out = []
    for case_sensitive in (True, False):
        by_literal: dict[str, list[tuple[int, int]]] = {}
        for gid, (literal, cs, _) in enumerate(groups):
            if cs == case_sensitive:
                by_literal.setdefault(literal, []).append((gid, len(literal)))
        automaton = None
        if by_literal:
            automaton = ahocorasick.Automaton()
            for literal, found in by_literal.items():
                automaton.add_word(literal, tuple(found))
            automaton.make_automaton()
        out.append(automaton)
    return out[0], out[1]


class _Compiled:
    __slots__ = ("back", "back_min", "gate", "group", "rule", "rx", "window")

    def __init__(self, rule: SecretRule) -> None:
        self.rule = rule
        self.rx = re.compile(rule.regex, re.IGNORECASE if rule.keywords else 0)
        self.group: int | str = "secret" if "secret" in self.rx.groupindex else 0
        self.back = rule.back
        self.back_min = rule.back if rule.back_min < 0 else rule.back_min
        self.window = rule.window
        self.gate = rule.gate

    def find_at(self, text: str, pos: int) -> tuple[int, int, int] | None:
        """(secret start, secret end, match end) of a match anchored at the literal found at ``pos``."""
        n = len(text)
        m = None
        for start in range(pos - self.back, pos - self.back_min + 1):
            if start >= 0:
                m = self.rx.match(text, start, min(n, start + self.window))
                if m is not None:
                    break
        if m is None:
            return None
        s, e = m.span(self.group)
        if s < 0:
            s, e = m.span()
        if s == e or text.startswith(REDACTED, s):
            return None  # nothing, or already redacted (JSON text scanned again after its keys were)
        gate = self.gate
        if gate == GATE_ASSIGNMENT and not _assignment_ok(text, m, s, e):
            return None
        if gate in (GATE_RANDOM, GATE_ENTROPY) and not _looks_random(text[s:e]):
            return None
        if gate == GATE_ENTROPY and shannon_entropy(text[s:e]) < ENTROPY_THRESHOLD:
            return None
        end = m.end()
        if e == end == m.endpos and end < n:  # the secret ran past the window: extend over token characters
            while e < n and text[e] in _TOKEN_CHARS:
                e += 1
            end = e
        return s, e, end


def _user_span(m: re.Match[str]) -> tuple[int, int]:
    if "secret" in m.re.groupindex and m.start("secret") >= 0:
        return m.span("secret")
    if m.re.groups:
        return m.end(1), m.end()  # the historical convention: group 1 is a kept prefix such as "token="
    return m.span()


def _compile_user(pattern: str | re.Pattern[str], setting: str) -> re.Pattern[str]:
    if isinstance(pattern, re.Pattern):
        return pattern
    try:
        return re.compile(pattern)
    except (re.error, TypeError) as exc:
        raise ConfigurationError(f"{setting}: invalid regular expression {pattern!r}: {exc}") from None


class TextScanner:
    """Finds the secrets of a rule set in a text (see the module docstring)."""

    __slots__ = ("_automata", "_groups", "_has_keywords", "_literals_lower", "_user")

    def __init__(
        self,
        rules: Iterable[SecretRule],
        user_patterns: Iterable[str | re.Pattern[str]] = (),
        *,
        disabled_rules: Iterable[str] = (),
        engine: str = "auto",
    ) -> None:
        rules = tuple(rules)
        disabled = set(disabled_rules)
        unknown = disabled - {r.id for r in rules}
        if unknown:
            raise ConfigurationError(f"disabled_rules: unknown rule id(s) {sorted(unknown)}; see docs/redaction.md")
        by_literal: dict[tuple[str, bool], list[_Compiled]] = {}
        for rule in rules:
            if rule.id in disabled:
                continue
            compiled = _Compiled(rule)
            for prefix in rule.prefixes:
                by_literal.setdefault((prefix, True), []).append(compiled)
            for keyword in rule.keywords:
                by_literal.setdefault((keyword.lower(), False), []).append(compiled)
        self._groups = tuple((lit, cs, tuple(group)) for (lit, cs), group in by_literal.items())
        self._literals_lower = tuple(sorted({lit.lower() for lit, _, _ in self._groups}))
        self._has_keywords = any(not cs for _, cs, _ in self._groups)
        self._automata = _automata(self._groups) if engine in ("auto", "aho") else None
        self._user = tuple(_compile_user(p, "redact_patterns") for p in user_patterns)

    def might_contain_secret(self, text: str) -> bool:
        """Cheap check: whether any rule's literal (or a user pattern) occurs; False means `redact_text` is a no-op."""
        try:
            if not isinstance(text, str):
                return False
            if self._user and any(p.search(text) for p in self._user):
                return True
            if self._automata is not None:
                cs, ci = self._automata
                return (cs is not None and next(cs.iter(text), None) is not None) or (
                    ci is not None and next(ci.iter(_lower(text)), None) is not None
                )
            low = _lower(text)
            return any(lit in low for lit in self._literals_lower)
        except Exception:  # noqa: BLE001 - never raise; say "maybe" so the caller redacts
            return True

    def _try(self, text: str, pos: int, gid: int, spans: list[tuple[int, int]]) -> int:
        """Try the rules of literal group ``gid`` at ``pos``; return where the next hit may start."""
        nxt = pos + 1
        for compiled in self._groups[gid][2]:
            found = compiled.find_at(text, pos)
            if found is not None:
                spans.append((found[0], found[1]))
                nxt = max(nxt, found[2])
        return nxt

    def spans(self, text: str) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        low = _lower(text) if self._has_keywords else text
        if self._automata is not None:
            for automaton, hay in zip(self._automata, (text, low), strict=True):
                if automaton is None:
                    continue
                skip = 0  # hits before this index lie inside a match already (one pass, no restart: a restart
                # of pyahocorasick's iterator re-reads the whole string, which would make long inputs quadratic)
                for end, found in automaton.iter(hay):
                    for gid, length in found:
                        pos = end - length + 1
                        if pos >= skip:
                            nxt = self._try(text, pos, gid, spans)
                            if nxt > end + 1:
                                skip = nxt
        else:
            for gid, (literal, case_sensitive, _) in enumerate(self._groups):
                hay = text if case_sensitive else low
                pos = hay.find(literal)
                while pos != -1:
                    pos = hay.find(literal, self._try(text, pos, gid, spans))
        for pattern in self._user:
            for m in pattern.finditer(text):
                s, e = _user_span(m)
                if s < e:
                    spans.append((s, e))
        return spans

    def replace(self, text: str) -> tuple[str, int]:
        spans = self.spans(text)
        if not spans:
            return text, 0
        spans.sort()
        out: list[str] = []
        count = 0
        last = 0
        cur_s, cur_e = spans[0]
        for s, e in spans[1:]:
            if s <= cur_e:
                cur_e = max(cur_e, e)
                continue
            out.append(text[last:cur_s])
            out.append(REDACTED)
            count += 1
            last = cur_e
            cur_s, cur_e = s, e
        out.append(text[last:cur_s])
        out.append(REDACTED)
        out.append(text[cur_e:])
        return "".join(out), count + 1

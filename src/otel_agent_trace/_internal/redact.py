"""Secret redaction for attribute values, JSON payloads and free text.

Texts are scanned by `_secret_scan.TextScanner` over the rules of `_secret_rules` (one linear pass; see
docs/redaction.md for the rule table and the benchmark behind the design). Keys: a dict key (or a JSON key inside
a string, or a Python-repr key in text) naming a secret (`is_secret_key`) has its whole value replaced. Nothing
here raises: on an internal fault the value is replaced by `REDACTED` (fail closed) and the fault is logged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from otel_agent_trace._internal._secret_rules import RULE_IDS, RULES, SECRET_KEY_NAMES, SecretRule
from otel_agent_trace._internal._secret_scan import REDACTED, TextScanner, shannon_entropy
from otel_agent_trace._internal.errors import log_internal_error

if TYPE_CHECKING:
    from otel_agent_trace._internal.settings import Settings

__all__ = [
    "DEFAULT_PATTERNS",
    "REDACTED",
    "RULES",
    "RULE_IDS",
    "Redactor",
    "SecretRule",
    "is_secret_key",
    "might_contain_secret",
    "shannon_entropy",
]

TOO_DEEP = "[REDACTED: nested too deep]"
"""Replaces a container nested deeper than `MAX_DEPTH` (it is not scanned, so it is not exported)."""
MAX_DEPTH = 64

SECRET_KEY_RE = re.compile(
    r"(?i)(^|[._\-\s])(authorization|proxy-authorization|cookie|set-cookie|x-api-key|x-goog-api-key|"
    r"x-auth-token|x-access-token|private-token|x-amz-security-token|ocp-apim-subscription-key|"
    r"anthropic-api-key|openai-api-key|connection[_-]?string|" + SECRET_KEY_NAMES + r")$"
)
"""Key names (last dotted component of an attribute, or a JSON object key) whose whole value is a secret."""


def is_secret_key(key: str) -> bool:
    """Whether an attribute or JSON key names a secret (``http.request.header.authorization``, ``api_key``...)."""
    try:
        return isinstance(key, str) and SECRET_KEY_RE.search(key) is not None
    except Exception:  # noqa: BLE001 - a str subclass with a hostile method: treat the key as secret
        return True


class Redactor:
    """Replaces secrets in strings and JSON structures; counts what it replaced.

    Args:
        extra_patterns: User rules: regular expressions (strings or compiled; each costs one full pass, since it has
            no literal) or `SecretRule` objects (found by their literals like the built-in ones). A pattern with a
            group ``secret`` replaces that group; with other groups, it keeps group 1 and replaces the rest.
        disabled_rules: Ids of built-in (or extra) rules to switch off.
        engine: How literals are found: ``auto`` (Aho-Corasick through pyahocorasick when it is importable, else
            ``find``), ``aho`` or ``find`` (``str.find`` per literal); bench/bench_redact.py compares them.

    Raises:
        ConfigurationError: an unknown rule id or an invalid regular expression (at construction only; the
            ``redact_*`` methods never raise).
    """

    __slots__ = ("_scanner",)

    def __init__(
        self,
        extra_patterns: Iterable[str | re.Pattern[str] | SecretRule] = (),
        *,
        disabled_rules: Iterable[str] = (),
        engine: str = "auto",
    ) -> None:
        extra = tuple(extra_patterns)
        self._scanner = TextScanner(
            RULES + tuple(p for p in extra if isinstance(p, SecretRule)),
            [p for p in extra if not isinstance(p, SecretRule)],
            disabled_rules=disabled_rules,
            engine=engine,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Redactor:
        """The redactor configured by ``redact_patterns``, ``redact_rules`` and ``redact_disable`` of the settings."""
        return cls((*settings.redact_patterns, *settings.redact_rules), disabled_rules=settings.redact_disable)

    # --- text ------------------------------------------------------------------------------------------

    def might_contain_secret(self, text: str) -> bool:
        """Cheap check: whether any rule's literal (or a user pattern) occurs; False means `redact_text` is a no-op."""
        return self._scanner.might_contain_secret(text)

    def _text(self, text: str) -> tuple[str, int]:
        return self._scanner.replace(text)

    def redact_text(self, text: str) -> tuple[str, int]:
        """Return ``text`` with every secret replaced by ``[REDACTED]``, and the number of replacements."""
        try:
            if not isinstance(text, str):
                return text, 0
            return self._text(text)
        except Exception:  # noqa: BLE001 - never raise into the caller: fail closed
            log_internal_error("redact_text")
            return REDACTED, 1

    # --- structures ------------------------------------------------------------------------------------

    def _string(self, text: str, depth: int) -> tuple[str, int]:
        """A string that may hold JSON (also JSON inside a JSON string value): keys are honoured, then text."""
        if text.lstrip()[:1] in ("{", "[") and '"' in text and depth < MAX_DEPTH:
            try:
                parsed = json.loads(text)
            except (ValueError, RecursionError):
                parsed = None
            if isinstance(parsed, (dict, list)):
                new, n = self._value(parsed, depth + 1)
                if n:
                    try:
                        text = json.dumps(new, ensure_ascii=False, separators=(",", ":"))
                    except (ValueError, TypeError, RecursionError):
                        return self._text(text)
                # then the text rules over the JSON itself: shapes that need their key ("private_key_id": ...)
                redacted, m = self._text(text)
                return redacted, n + m
        return self._text(text)

    def _value(self, value: Any, depth: int) -> tuple[Any, int]:
        if isinstance(value, str):
            return self._string(value, depth)
        if isinstance(value, (dict, list, tuple)) and depth >= MAX_DEPTH:
            return TOO_DEEP, 1
        if isinstance(value, dict):
            total = 0
            out: dict[Any, Any] = {}
            for key, item in value.items():
                new_key = key
                if isinstance(key, str):
                    new_key, n = self._text(key)
                    total += n
                if (
                    isinstance(key, str)
                    and is_secret_key(key)
                    and not (item is None or (isinstance(item, str) and not item))
                ):
                    out[new_key] = REDACTED
                    total += 1
                else:
                    out[new_key], n = self._value(item, depth + 1)
                    total += n
            return out, total
        if isinstance(value, (list, tuple)):
            total = 0
            items = []
            for item in value:
                new, n = self._value(item, depth + 1)
                items.append(new)
                total += n
            return (items if isinstance(value, list) else tuple(items)), total
        return value, 0

    def redact_value(self, value: Any) -> tuple[Any, int]:
        """Redact a JSON-compatible structure: secret keys lose their values, strings are scanned."""
        try:
            return self._value(value, 0)
        except Exception:  # noqa: BLE001 - never raise into the caller: fail closed
            log_internal_error("redact_value")
            return REDACTED, 1

    def redact_attribute(self, key: str, value: Any) -> tuple[Any, int]:
        """Redact one span attribute value (str, bool, number or a homogeneous sequence of them)."""
        try:
            if is_secret_key(key):
                if isinstance(value, (list, tuple)):
                    return tuple(REDACTED for _ in value), len(value)
                return REDACTED, 1
            if isinstance(value, str):
                return self._string(value, 0)
            if isinstance(value, (list, tuple)) and value and isinstance(value[0], str):
                total = 0
                items = []
                for item in value:
                    new, n = self._string(item, 0) if isinstance(item, str) else (item, 0)
                    items.append(new)
                    total += n
                return (tuple(items) if total else value), total
            return value, 0
        except Exception:  # noqa: BLE001 - never raise into the caller: fail closed
            log_internal_error("redact_attribute")
            return REDACTED, 1


_default: Redactor | None = None


def might_contain_secret(text: str) -> bool:
    """`Redactor.might_contain_secret` of the built-in rules."""
    global _default
    if _default is None:
        _default = Redactor()
    return _default.might_contain_secret(text)


_ALL_LITERALS = sorted({*(p.lower() for r in RULES for p in r.prefixes), *(k for r in RULES for k in r.keywords)})
DEFAULT_PATTERNS: tuple[re.Pattern[str], ...] = (re.compile("(?i)" + "|".join(map(re.escape, _ALL_LITERALS))),)
"""Compatibility for callers that pre-check with a combined regex: one case-insensitive alternation of every
rule's literal (a superset test: no match means no built-in rule can match). Prefer `might_contain_secret`."""

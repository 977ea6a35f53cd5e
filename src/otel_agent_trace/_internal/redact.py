"""Secret redaction for attribute values and JSON payloads."""

from __future__ import annotations

import json
import re
from typing import Any

REDACTED = "[REDACTED]"

SECRET_KEY_RE = re.compile(
    r"(?i)(^|[._\-\s])(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api[_-]?key|apikey|"
    r"access[_-]?token|refresh[_-]?token|id[_-]?token|auth[_-]?token|token|secret|client[_-]?secret|password|passwd|"
    r"private[_-]?key|x-goog-api-key|anthropic-api-key|openai-api-key)$"
)
"""Key names (last dotted component of an attribute, or a JSON object key) whose whole value is a secret."""

DEFAULT_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_\-]{16,}"),  # OpenAI / Anthropic keys
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=\-]{8,}"),  # Authorization: Bearer ...
    re.compile(r"(?i)\bbasic\s+[A-Za-z0-9+/=]{8,}"),  # Authorization: Basic ...
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),  # AWS access key id
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"),  # GitHub tokens
    re.compile(r"\bxox[abprs]-[A-Za-z0-9\-]{10,}"),  # Slack tokens
    re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"),  # Google API keys
    re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),  # JWTs
    re.compile(r"(?i)((?:api[_-]?key|token|secret|password)=)[^&\s\"']+"),  # key=value in URLs / query strings
)


def is_secret_key(key: str) -> bool:
    """Whether an attribute or JSON key names a secret (``http.request.header.authorization``, ``api_key``...)."""
    return SECRET_KEY_RE.search(key) is not None


class Redactor:
    """Replaces secrets in strings and JSON structures; counts what it replaced."""

    __slots__ = ("_patterns",)

    def __init__(self, extra_patterns: tuple[re.Pattern[str], ...] = ()) -> None:
        self._patterns = DEFAULT_PATTERNS + tuple(extra_patterns)

    def redact_text(self, text: str) -> tuple[str, int]:
        """Return ``text`` with every pattern match replaced, and the number of replacements."""
        total = 0
        for pattern in self._patterns:
            if pattern.groups:
                text, n = pattern.subn(lambda m: m.group(1) + REDACTED, text)
            else:
                text, n = pattern.subn(REDACTED, text)
            total += n
        return text, total

    def redact_value(self, value: Any) -> tuple[Any, int]:
        """Redact a JSON-compatible structure: secret keys lose their values, strings are scanned."""
        if isinstance(value, str):
            return self.redact_text(value)
        if isinstance(value, dict):
            total = 0
            out: dict[str, Any] = {}
            for key, item in value.items():
                if isinstance(key, str) and is_secret_key(key) and item not in (None, ""):
                    out[key] = REDACTED
                    total += 1
                else:
                    out[key], n = self.redact_value(item)
                    total += n
            return out, total
        if isinstance(value, list):
            total = 0
            items = []
            for item in value:
                new, n = self.redact_value(item)
                items.append(new)
                total += n
            return items, total
        return value, 0

    def redact_attribute(self, key: str, value: Any) -> tuple[Any, int]:
        """Redact one span attribute value (str, bool, number or a homogeneous sequence of them)."""
        if is_secret_key(key):
            if isinstance(value, (list, tuple)):
                return tuple(REDACTED for _ in value), len(value)
            return REDACTED, 1
        if isinstance(value, str):
            if value[:1] in ("{", "[") and ('"' in value):
                try:
                    parsed = json.loads(value)
                except ValueError:
                    return self.redact_text(value)
                new, n = self.redact_value(parsed)
                return (json.dumps(new, ensure_ascii=False, separators=(",", ":")) if n else value), n
            return self.redact_text(value)
        if isinstance(value, (list, tuple)) and value and isinstance(value[0], str):
            total = 0
            items = []
            for item in value:
                new, n = self.redact_text(item)
                items.append(new)
                total += n
            return (tuple(items) if total else value), total
        return value, 0

"""Redaction and payload budget applied to one span's attributes before export."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from otel_agent_trace._internal.redact import DEFAULT_PATTERNS, Redactor, is_secret_key
from otel_agent_trace._internal.serialize import fit_json, looks_like_json, truncate_text, utf8_len

_MIN_ATTRIBUTE_BYTES = 64


class AttributeBudget:
    """Applies redaction, a per-attribute and a per-span byte budget to attribute mappings."""

    __slots__ = ("_any_secret", "max_attribute_bytes", "max_span_bytes", "redact", "redactor")

    def __init__(
        self,
        *,
        max_attribute_bytes: int,
        max_span_bytes: int,
        redact: bool = True,
        extra_patterns: tuple[re.Pattern[str], ...] = (),
    ) -> None:
        self.max_attribute_bytes = max_attribute_bytes
        self.max_span_bytes = max_span_bytes
        self.redact = redact
        self.redactor = Redactor(extra_patterns)
        patterns = DEFAULT_PATTERNS + tuple(extra_patterns)
        self._any_secret = re.compile("|".join(_scoped(p) for p in patterns))

    def _redact(self, key: str, value: Any) -> tuple[Any, int]:
        if is_secret_key(key) or self._may_hold_secret(value):
            return self.redactor.redact_attribute(key, value)
        return value, 0

    def _may_hold_secret(self, value: Any) -> bool:
        """Cheap pre-check: one combined regex pass, and a key scan for JSON text."""
        if isinstance(value, str):
            if len(value) >= 8 and self._any_secret.search(value) is not None:
                return True
            return looks_like_json(value) and '"' in value and _has_secret_key_text(value)
        if isinstance(value, (list, tuple)) and value and isinstance(value[0], str):
            return any(self._any_secret.search(v) for v in value)
        return False

    def _truncate(self, value: Any, limit: int) -> Any:
        if isinstance(value, str):
            if len(value) * 4 <= limit or utf8_len(value) <= limit:
                return value
            return fit_json(value, limit) if looks_like_json(value) else truncate_text(value, limit)
        if isinstance(value, (list, tuple)) and value and isinstance(value[0], str):
            if sum(_size(v) for v in value) <= limit:
                return value
            per_item = max(_MIN_ATTRIBUTE_BYTES, limit // max(1, len(value)))
            return tuple(self._truncate(v, per_item) for v in value)
        return value

    def apply(self, attributes: Mapping[str, Any]) -> tuple[dict[str, Any] | None, int, list[str]]:
        """Return (new attributes or ``None`` if unchanged, number of secrets redacted, truncated keys)."""
        out: dict[str, Any] | None = None
        redacted = 0
        truncated: list[str] = []
        for key, value in attributes.items():
            new = value
            if self.redact:
                new, n = self._redact(key, new)
                redacted += n
            cut = self._truncate(new, self.max_attribute_bytes)
            if cut is not new:
                truncated.append(key)
                new = cut
            if new is not value:
                if out is None:
                    out = dict(attributes)
                out[key] = new
        current = out if out is not None else attributes
        total = sum(_size(v) for v in current.values())
        if total > self.max_span_bytes:
            out = dict(current)
            for key in sorted(out, key=lambda k: _size(out[k]), reverse=True):
                if total <= self.max_span_bytes:
                    break
                size = _size(out[key])
                limit = max(_MIN_ATTRIBUTE_BYTES, size - (total - self.max_span_bytes))
                new = self._truncate(out[key], limit)
                if new is not out[key]:
                    out[key] = new
                    total -= size - _size(new)
                    if key not in truncated:
                        truncated.append(key)
        return out, redacted, truncated


def _size(value: Any) -> int:
    if isinstance(value, str):
        return len(value) if value.isascii() else utf8_len(value)
    if isinstance(value, (list, tuple)):
        return sum(_size(v) for v in value)
    return 8


_SECRET_KEY_TEXT = re.compile(
    r'(?i)"[^"]*(authorization|cookie|api[_-]?key|apikey|token|secret|password|passwd|private[_-]?key)"\s*:'
)


def _has_secret_key_text(text: str) -> bool:
    return _SECRET_KEY_TEXT.search(text) is not None


def _scoped(pattern: re.Pattern[str]) -> str:
    """One alternative of the combined pre-check, with a leading inline ``(?i)`` turned into a scoped group."""
    text = pattern.pattern
    if text.startswith("(?i)"):
        return f"(?i:{text[4:]})"
    return f"(?:{text})"

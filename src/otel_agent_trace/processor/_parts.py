"""A span as plain, mutable data for the budget, and how the budget measures and cuts values.

How a span is measured (`parts_bytes`, `span_bytes`): UTF-8 bytes of the span name, the status description, every
attribute key and string value, every event name, every event and link attribute; 8 bytes per number, 1 per bool,
1 per sequence item on top of the item itself. Ids, timestamps and the resource (shared by a whole batch) are not
counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan

from otel_agent_trace._internal.serialize import fit_json, looks_like_json, truncate_text

MIN_VALUE_BYTES = 64
"""No value is cut below this many bytes by the whole-span step (it drops entries instead)."""

Location = tuple[Any, ...]
"""Where a value sits: ``("a", key)``, ``("e", index, key)``, ``("l", index, key)``, ``("name",)``..."""
Original = tuple[int, str]
"""Size of a value before the application thread cut it: ``(n, "bytes" | "chars" | "items")``."""


@dataclass
class EventParts:
    """One event, mutable."""

    name: str
    attributes: dict[str, Any]
    timestamp: int | None = None
    index: int = 0
    """Position in the span's original event list (set by `SpanBudget.fit`; labels and locations use it)."""


@dataclass
class LinkParts:
    """One link, mutable (``context`` is kept as is)."""

    context: Any
    attributes: dict[str, Any]


@dataclass
class SpanParts:
    """Everything of a span that the budget measures, mutable."""

    name: str
    status: str | None
    attributes: dict[str, Any]
    events: list[EventParts] = field(default_factory=list)
    links: list[LinkParts] = field(default_factory=list)


def value_bytes(value: Any) -> int:
    """Budget size of one attribute value (see the module docstring)."""
    if isinstance(value, str):
        return len(value) if value.isascii() else len(value.encode("utf-8", "surrogatepass"))
    if isinstance(value, bool):
        return 1
    if isinstance(value, (int, float)):
        return 8
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    if isinstance(value, (list, tuple)):
        return sum(value_bytes(item) + 1 for item in value)
    return 0


def mapping_bytes(attributes: Mapping[str, Any]) -> int:
    """Budget size of an attribute mapping: keys and values."""
    return sum(value_bytes(key) + value_bytes(value) for key, value in attributes.items())


def parts_bytes(parts: SpanParts) -> int:
    """Budget size of a whole span."""
    total = value_bytes(parts.name) + value_bytes(parts.status or "") + mapping_bytes(parts.attributes)
    total += sum(value_bytes(e.name) + mapping_bytes(e.attributes) for e in parts.events)
    return total + sum(mapping_bytes(link.attributes) for link in parts.links)


def span_bytes(span: ReadableSpan) -> int:
    """Budget size of an SDK span, measured as `parts_bytes` measures it."""
    total = value_bytes(span.name) + value_bytes(span.status.description or "") + mapping_bytes(span.attributes or {})
    total += sum(value_bytes(e.name) + mapping_bytes(e.attributes or {}) for e in span.events)
    return total + sum(mapping_bytes(link.attributes or {}) for link in span.links)


def cut_text(text: str, limit: int, original: Original | None = None) -> str:
    """Cut one string to ``limit`` bytes: JSON stays valid JSON (`fit_json`), text ends with a marker."""
    kwargs: dict[str, int] = {}
    if original is not None and original[1] in ("bytes", "chars"):
        kwargs[f"original_{original[1]}"] = original[0]
    if looks_like_json(text):
        return fit_json(text, limit, **kwargs)
    return truncate_text(text, limit, **kwargs)


def cut_value(value: Any, limit: int, original: Original | None = None) -> Any:
    """Cut a string or a sequence to ``limit`` bytes; anything else is returned as is."""
    if isinstance(value, str):
        return cut_text(value, limit, original)
    if isinstance(value, (list, tuple)) and value_bytes(value) > limit:
        kept: list[Any] = []
        used = 0
        for item in value:
            size = value_bytes(item) + 1
            if used + size > limit:
                if isinstance(item, str) and limit - used > MIN_VALUE_BYTES:
                    kept.append(truncate_text(item, limit - used - 1))
                break
            kept.append(item)
            used += size
        return tuple(kept)
    return value

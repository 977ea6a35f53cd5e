"""The payload budget: every value within ``max_attribute_bytes``, the whole span within ``max_span_bytes``.

Pure functions over `SpanParts` (plain dicts and lists), run on the export thread; how a span is measured is in
`_parts`.

How a span over budget is brought within it (`SpanBudget.fit`), in this order, each step only if still needed:

1. every value is cut to the per-attribute budget (JSON with `fit_json`, text with `truncate_text`);
2. one cap ``C`` is found so that cutting every value longer than ``C`` to ``C`` makes the span fit ("water
   filling": small values are untouched, the largest are cut to the same size; never below `MIN_VALUE_BYTES`).
   Before that, if ``C`` would be below `USEFUL_VALUE_BYTES`, the fewest oldest non-``exception`` events are
   dropped that let it stay above (200 large state snapshots: the latest ones are kept readable);
3. if still over: links are dropped, last first; then attributes, largest first; then ``exception`` events;
   then the name and status description are cut to `MIN_VALUE_BYTES`.

Every cut and drop is listed in ``agent_trace.truncated`` (a cut value by its key, ``events[3].key`` for an event
attribute, ``key (dropped)``, ``events: 12 of 200 dropped``...), the list itself kept within `MARKER_BYTES`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._parts import (
    MIN_VALUE_BYTES,
    EventParts,
    LinkParts,
    Location,
    Original,
    SpanParts,
    cut_text,
    cut_value,
    mapping_bytes,
    parts_bytes,
    span_bytes,
    value_bytes,
)

__all__ = [
    "MIN_SPAN_BYTES",
    "MIN_VALUE_BYTES",
    "BudgetReport",
    "EventParts",
    "LinkParts",
    "Location",
    "Original",
    "SpanBudget",
    "SpanParts",
    "cut_value",
    "span_bytes",
]

MIN_SPAN_BYTES = 1024
"""Smallest span budget honoured: a smaller ``max_span_bytes`` is raised to this (room for the markers)."""
USEFUL_VALUE_BYTES = 512
"""Before cutting every value below this, the oldest non-exception events are dropped instead."""
MARKER_BYTES = 384
"""Most bytes the ``agent_trace.truncated`` list may take; further entries become ``... and N more``."""
_RESERVE = MARKER_BYTES + 128
"""Room kept for ``agent_trace.truncated`` and ``agent_trace.redacted`` when a span must be cut."""


@dataclass
class BudgetReport:
    """What `SpanBudget.fit` cut and dropped."""

    entries: list[str] = field(default_factory=list)
    dropped_attributes: int = 0
    dropped_events: int = 0
    dropped_links: int = 0

    def __bool__(self) -> bool:
        return bool(self.entries)

    def marker(self) -> tuple[str, ...]:
        """The ``agent_trace.truncated`` value: the entries, kept within `MARKER_BYTES`."""
        out: list[str] = []
        used = 0
        for i, entry in enumerate(self.entries):
            size = value_bytes(entry) + 1
            if used + size > MARKER_BYTES - 24:
                out.append(f"... and {len(self.entries) - i} more")
                break
            out.append(entry)
            used += size
        return tuple(out)


def _shrinkable(value: Any) -> bool:
    return isinstance(value, (str, list, tuple))


class SpanBudget:
    """Applies the per-attribute and the whole-span budget to `SpanParts` (see the module docstring)."""

    __slots__ = ("max_attribute_bytes", "max_span_bytes")

    def __init__(self, *, max_attribute_bytes: int, max_span_bytes: int) -> None:
        self.max_span_bytes = max(MIN_SPAN_BYTES, max_span_bytes)
        self.max_attribute_bytes = max(MIN_VALUE_BYTES, min(max_attribute_bytes, self.max_span_bytes - _RESERVE))

    def fit(
        self, parts: SpanParts, originals: Mapping[Location, Original] | None = None, *, redacted: int = 0
    ) -> BudgetReport:
        """Bring ``parts`` within budget in place; ``originals`` says which values were cut earlier, and how big."""
        report = BudgetReport()
        for i, event in enumerate(parts.events):
            event.index = i
        sizes: Mapping[Location, Original] = originals or {}
        sources: dict[Location, Any] = {}
        self._per_value(parts, sizes, sources, report)
        total = parts_bytes(parts)
        markers = (len("agent_trace.redacted") + 8 if redacted else 0) + (_RESERVE if report else 0)
        if total + markers <= self.max_span_bytes:
            return report
        target = self.max_span_bytes - _RESERVE
        total = self._drop_for_useful_cap(parts, total, target, report)
        total = self._water_fill(parts, sizes, sources, total, target, report)
        if total > target:
            total = self._drop_links(parts, total, target, report)
        if total > target:
            total = self._drop_attributes(parts, total, target, report)
        if total > target:
            total = self._drop_events(parts, range(len(parts.events)), total, target, report)
        if total > target:
            name = cut_text(parts.name, MIN_VALUE_BYTES)
            status = cut_text(parts.status, MIN_VALUE_BYTES) if parts.status else parts.status
            if name != parts.name:
                parts.name = name
                report.entries.append("(span name)")
            if status != parts.status:
                parts.status = status
                report.entries.append("(status description)")
        return report

    # -- step 1 ---------------------------------------------------------------------------------------------------
    def _per_value(
        self, parts: SpanParts, sizes: Mapping[Location, Original], sources: dict[Location, Any], report: BudgetReport
    ) -> None:
        limit = self.max_attribute_bytes
        for loc, label in ((("name",), "(span name)"), (("status",), "(status description)")):
            text = parts.name if loc == ("name",) else parts.status
            if not text:
                continue
            new = cut_text(text, limit, sizes.get(loc))
            if new is not text or loc in sizes:
                report.entries.append(label)
                if loc == ("name",):
                    parts.name = new
                else:
                    parts.status = new
        self._cut_mapping(parts.attributes, ("a",), "", sizes, sources, report)
        for event in parts.events:
            i = event.index
            new = cut_text(event.name, limit, sizes.get(("e", i)))
            if new is not event.name or ("e", i) in sizes:
                event.name = new
                report.entries.append(f"events[{i}] (name)")
            self._cut_mapping(event.attributes, ("e", i), f"events[{i}].", sizes, sources, report)
        for i, link in enumerate(parts.links):
            self._cut_mapping(link.attributes, ("l", i), f"links[{i}].", sizes, sources, report)

    def _cut_mapping(
        self,
        attributes: dict[str, Any],
        where: Location,
        label: str,
        sizes: Mapping[Location, Original],
        sources: dict[Location, Any],
        report: BudgetReport,
    ) -> None:
        for key, value in attributes.items():
            if not _shrinkable(value):
                continue
            loc = (*where, key)
            original = sizes.get(loc)
            new = cut_value(value, self.max_attribute_bytes, original)
            if new is not value or original is not None:
                attributes[key] = new
                sources[loc] = value
                report.entries.append(label + key)

    # -- step 2 ---------------------------------------------------------------------------------------------------
    def _slots(self, parts: SpanParts, skip: frozenset[int] = frozenset()) -> list[_Slot]:
        slots = [
            _Slot(value_bytes(value), parts.attributes, key, ("a", key), key)
            for key, value in parts.attributes.items()
            if _shrinkable(value)
        ]
        for event in parts.events:
            if event.index in skip:
                continue
            for key, value in event.attributes.items():
                if _shrinkable(value):
                    label = f"events[{event.index}].{key}"
                    slots.append(_Slot(value_bytes(value), event.attributes, key, ("e", event.index, key), label))
        for i, link in enumerate(parts.links):
            for key, value in link.attributes.items():
                if _shrinkable(value):
                    slots.append(_Slot(value_bytes(value), link.attributes, key, ("l", i, key), f"links[{i}].{key}"))
        return slots

    def _drop_for_useful_cap(self, parts: SpanParts, total: int, target: int, report: BudgetReport) -> int:
        """Drop the fewest oldest non-exception events that let every remaining value keep `USEFUL_VALUE_BYTES`."""
        droppable = [e for e in parts.events if e.name != "exception"]
        if not droppable:
            return total
        event_bytes = [value_bytes(e.name) + mapping_bytes(e.attributes) for e in droppable]

        def cap_after(k: int) -> int | None:
            skip = frozenset(e.index for e in droppable[:k])
            sizes = [slot.size for slot in self._slots(parts, skip)]
            rest = total - sum(event_bytes[:k])
            return _cap(sizes, target - (rest - sum(sizes)))

        def good(k: int) -> bool:
            cap = cap_after(k)
            return cap is None or cap >= USEFUL_VALUE_BYTES

        if good(0):
            return total
        low, high = 1, len(droppable)
        if not good(high):
            low = high
        while low < high:
            mid = (low + high) // 2
            if good(mid):
                high = mid
            else:
                low = mid + 1
        return self._drop_events(parts, [parts.events.index(e) for e in droppable[:low]], total, 0, report, all_=True)

    def _water_fill(
        self,
        parts: SpanParts,
        sizes: Mapping[Location, Original],
        sources: Mapping[Location, Any],
        total: int,
        target: int,
        report: BudgetReport,
    ) -> int:
        slots = self._slots(parts)
        if not slots:
            return total
        cap = _cap([slot.size for slot in slots], target - (total - sum(slot.size for slot in slots)))
        if cap is None:
            return total
        seen = set(report.entries)
        for slot in slots:
            if slot.size > cap:
                # Cut the value as it was before step 1, so a marker never wraps another marker.
                new = cut_value(sources.get(slot.loc, slot.owner[slot.key]), cap, sizes.get(slot.loc))
                total -= slot.size - value_bytes(new)
                slot.owner[slot.key] = new
                if slot.label not in seen:
                    report.entries.append(slot.label)
                    seen.add(slot.label)
        return total

    # -- step 3 ---------------------------------------------------------------------------------------------------
    def _drop_events(
        self,
        parts: SpanParts,
        positions: Iterable[int],
        total: int,
        target: int,
        report: BudgetReport,
        *,
        all_: bool = False,
    ) -> int:
        """Drop the events at ``positions`` (in that order) until the span fits, or all of them if ``all_``."""
        count = len(parts.events) + report.dropped_events
        dropped: set[int] = set()
        for i in positions:
            if total <= target and not all_:
                break
            event = parts.events[i]
            total -= value_bytes(event.name) + mapping_bytes(event.attributes)
            dropped.add(i)
        if dropped:
            gone = {f"events[{parts.events[i].index}]" for i in dropped}
            parts.events = [e for i, e in enumerate(parts.events) if i not in dropped]
            report.dropped_events += len(dropped)
            report.entries = [
                e
                for e in report.entries
                if not e.startswith("events: ") and e.partition(".")[0].split(" ")[0] not in gone
            ]
            report.entries.append(f"events: {report.dropped_events} of {count} dropped")
        return total

    def _drop_links(self, parts: SpanParts, total: int, target: int, report: BudgetReport) -> int:
        count = len(parts.links)
        while parts.links and total > target:
            total -= mapping_bytes(parts.links.pop().attributes)
        if len(parts.links) < count:
            report.dropped_links += count - len(parts.links)
            report.entries.append(f"links: {count - len(parts.links)} of {count} dropped")
        return total

    def _drop_attributes(self, parts: SpanParts, total: int, target: int, report: BudgetReport) -> int:
        attributes = parts.attributes
        for key in sorted(attributes, key=lambda k: value_bytes(k) + value_bytes(attributes[k]), reverse=True):
            if total <= target:
                break
            total -= value_bytes(key) + value_bytes(attributes.pop(key))
            report.dropped_attributes += 1
            report.entries.append(f"{key} (dropped)")
        return total


@dataclass
class _Slot:
    """One value the water filling may cut."""

    size: int
    owner: dict[str, Any]
    key: str
    loc: Location
    label: str


def _cap(sizes: Sequence[int], room: int) -> int | None:
    """Largest ``C`` (at least `MIN_VALUE_BYTES`) with ``sum(min(s, C)) <= room``; ``None`` if no cut is needed."""
    if sum(sizes) <= room:
        return None
    ordered = sorted(sizes)
    below = 0
    for i, size in enumerate(ordered):
        rest = len(ordered) - i
        if below + size * rest > room:
            return max(MIN_VALUE_BYTES, (room - below) // rest)
        below += size
    return None  # pragma: no cover - unreachable: sum(sizes) > room

"""The export-thread half of the processor: redact every text a span carries, apply the budget, rebuild the span.

`SpanTransformer.export_form` never raises and never returns unredacted text: a value whose redaction fails is
replaced by `SCRUBBED`; a span whose transformation fails as a whole is exported with every text replaced by
`SCRUBBED` (`scrub`); if even that fails the span is dropped and counted (``over_budget``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.trace import Link, Status

from otel_agent_trace._internal.drops import OVER_BUDGET, record_drop
from otel_agent_trace._internal.errors import log_internal_error
from otel_agent_trace._internal.redact import Redactor
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import state as S

from ._budget import BudgetReport, EventParts, LinkParts, Location, Original, SpanBudget, SpanParts, cut_value
from ._prepare import AgentSpan, PreparedSpan

SCRUBBED = "[REDACTED: otel-agent-trace internal error]"
"""What replaces a text that could not be redacted (a fault of ours): it is never exported as it was."""
_MAX_RESOURCES = 32

Enricher = Callable[[ReadableSpan, dict[str, Any]], None]
"""Adds or changes attributes of a span on the export thread, *before* redaction and the budget (so whatever it adds
is redacted and kept in budget like the rest): called with the span and its mutable attribute dict. Cost, the
OpenInference view and content-mode moves are enrichers (``processor/_enrich.py`` lists the defaults)."""

Observer = Callable[[ReadableSpan], None]
"""Sees every span as it will be exported (redacted, in budget), e.g. to emit a log event from it; must be cheap."""


class SpanTransformer:
    """Redaction, budget and rebuild of one ended span (thread-safe; holds a small cache of redacted resources)."""

    def __init__(
        self,
        *,
        max_attribute_bytes: int,
        max_span_bytes: int,
        redact: bool = True,
        redactor: Redactor | None = None,
        enrichers: Sequence[Enricher] = (),
        observers: Sequence[Observer] = (),
    ) -> None:
        self.budget = SpanBudget(max_attribute_bytes=max_attribute_bytes, max_span_bytes=max_span_bytes)
        self.redact = redact
        self.redactor = redactor or Redactor()
        self.enrichers = tuple(enrichers)
        """Run in order on every span before redaction; a failing one is logged and skipped (`Enricher`)."""
        self.observers = tuple(observers)
        """Called with every exported span; a failing one is logged and skipped (`Observer`)."""
        self._resources: dict[int, tuple[Resource, Resource]] = {}
        self._lock = threading.Lock()

    # -- entry point ------------------------------------------------------------------------------------------
    def export_form(self, span: ReadableSpan) -> ReadableSpan | None:
        """The span as it may leave the process, or ``None`` (counted) if nothing safe can be made of it."""
        out: ReadableSpan | None = None
        try:
            out = self.transform(span)
        except Exception:  # noqa: BLE001 - our fault: export a scrubbed span rather than raise or leak
            log_internal_error("SpanTransformer.transform")
        if out is None:
            try:
                out = self.scrub(span)
            except Exception:  # noqa: BLE001 - even scrubbing failed: drop the span, counted
                log_internal_error("SpanTransformer.scrub")
        if out is None:
            record_drop(OVER_BUDGET)
            return None
        for observer in self.observers:
            try:
                observer(out)
            except Exception:  # noqa: BLE001 - an observer's fault never costs the span
                log_internal_error("SpanTransformer.observer")
        return out

    def transform(self, span: ReadableSpan) -> ReadableSpan:
        """Attach the state snapshot, redact, fit the budget; ``span`` itself when nothing changed."""
        originals: dict[Location, Original] = {}
        extra: Mapping[str, Any] | None = None
        if isinstance(span, PreparedSpan):
            originals, extra = span.originals, span.extra
        attributes = dict(span.attributes or {})
        if extra and S.STATE_HASH not in attributes:
            attributes.update(extra)
        else:
            extra = None
        for enricher in self.enrichers:
            try:
                enricher(span, attributes)
            except Exception:  # noqa: BLE001 - an enricher's fault never costs the span (it is still redacted)
                log_internal_error("SpanTransformer.enricher")
        enriched = bool(self.enrichers) and attributes != dict(span.attributes or {}, **(extra or {}))
        parts = SpanParts(
            name=span.name,
            status=span.status.description,
            attributes=attributes,
            events=[EventParts(e.name, dict(e.attributes or {}), e.timestamp) for e in span.events],
            links=[LinkParts(link.context, dict(link.attributes or {})) for link in span.links],
        )
        redacted = self._redact(parts) if self.redact else 0
        report = self.budget.fit(parts, originals, redacted=redacted)
        resource = self.resource(span.resource)
        unchanged = not (redacted or report or extra or originals or enriched or isinstance(span, PreparedSpan))
        if unchanged and resource is span.resource:
            return span
        if redacted:
            parts.attributes[A.REDACTED] = redacted
        if report:
            parts.attributes[A.TRUNCATED] = _merged_marker(parts.attributes.get(A.TRUNCATED), report)
        return self._rebuild(span, parts, resource, report)

    # -- redaction ----------------------------------------------------------------------------------------------
    def _redact(self, parts: SpanParts) -> int:
        total = 0
        parts.name, n = self._text(parts.name)
        total += n
        if parts.status:
            parts.status, n = self._text(parts.status)
            total += n
        total += self._mapping(parts.attributes)
        for event in parts.events:
            event.name, n = self._text(event.name)
            total += n + self._mapping(event.attributes)
        for link in parts.links:
            total += self._mapping(link.attributes)
        return total

    def _text(self, text: str) -> tuple[str, int]:
        try:
            return self.redactor.redact_text(text)
        except Exception:  # noqa: BLE001 - a redaction fault must not let the text out as it was
            log_internal_error("SpanTransformer.redact_text")
            return SCRUBBED, 1

    def _mapping(self, attributes: dict[str, Any]) -> int:
        total = 0
        for key, value in attributes.items():
            try:
                new, n = self.redactor.redact_attribute(key, value)
            except Exception:  # noqa: BLE001 - see _text
                log_internal_error("SpanTransformer.redact_attribute")
                new, n = _scrubbed_value(value), 1
            if n:
                attributes[key] = new
                total += n
        return total

    def resource(self, resource: Resource) -> Resource:
        """``resource`` redacted and within the per-attribute budget; done once per distinct resource."""
        key = id(resource)
        with self._lock:
            cached = self._resources.get(key)
        if cached is not None and cached[0] is resource:
            return cached[1]
        attributes = dict(resource.attributes)
        changed = 0
        if self.redact:
            changed += self._mapping(attributes)
        for name, value in attributes.items():
            cut = cut_value(value, self.budget.max_attribute_bytes)
            if cut is not value:
                attributes[name] = cut
                changed += 1
        result = Resource(attributes, resource.schema_url) if changed else resource
        with self._lock:
            if len(self._resources) >= _MAX_RESOURCES:
                self._resources.clear()
            self._resources[key] = (resource, result)
        return result

    # -- rebuild ------------------------------------------------------------------------------------------------
    def _rebuild(self, span: ReadableSpan, parts: SpanParts, resource: Resource, report: BudgetReport) -> AgentSpan:
        status = span.status
        if parts.status != status.description:
            status = Status(status.status_code, parts.status)
        return AgentSpan(
            dropped=(
                span.dropped_attributes + report.dropped_attributes,
                span.dropped_events + report.dropped_events,
                span.dropped_links + report.dropped_links,
            ),
            name=parts.name,
            context=span.context,
            parent=span.parent,
            resource=resource,
            attributes=parts.attributes,
            events=tuple(Event(e.name, e.attributes, e.timestamp) for e in parts.events),
            links=tuple(Link(link.context, link.attributes) for link in parts.links),
            kind=span.kind,
            status=status,
            start_time=span.start_time,
            end_time=span.end_time,
            instrumentation_scope=span.instrumentation_scope,
        )

    def scrub(self, span: ReadableSpan) -> ReadableSpan:
        """``span`` with every text (name, values, event names, status) replaced by `SCRUBBED`, within budget."""
        scrubbed = 0

        def clean(attributes: Any) -> dict[str, Any]:
            nonlocal scrubbed
            out: dict[str, Any] = {}
            for key, value in (attributes or {}).items():
                out[key] = _scrubbed_value(value)
                scrubbed += out[key] is not value
            return out

        parts = SpanParts(
            name=SCRUBBED,
            status=SCRUBBED if span.status.description else None,
            attributes=clean(span.attributes),
            events=[EventParts(SCRUBBED, clean(e.attributes), e.timestamp) for e in span.events],
            links=[LinkParts(link.context, clean(link.attributes)) for link in span.links],
        )
        report = self.budget.fit(parts, redacted=1)
        parts.attributes[A.REDACTED] = max(1, scrubbed)
        if report:
            parts.attributes[A.TRUNCATED] = _merged_marker(parts.attributes.get(A.TRUNCATED), report)
        with self._lock:
            cached = self._resources.get(id(span.resource))
        resource = cached[1] if cached is not None and cached[0] is span.resource else _scrubbed_resource(span)
        return self._rebuild(span, parts, resource, report)


def _scrubbed_value(value: Any) -> Any:
    if isinstance(value, str):
        return SCRUBBED
    if isinstance(value, (list, tuple)) and any(isinstance(item, str) for item in value):
        return tuple(SCRUBBED for _ in value[:16])
    return value


def _scrubbed_resource(span: ReadableSpan) -> Resource:
    return Resource({k: _scrubbed_value(v) for k, v in span.resource.attributes.items()}, span.resource.schema_url)


def _merged_marker(previous: Any, report: BudgetReport) -> tuple[str, ...]:
    """The API's own ``agent_trace.truncated`` entries (cuts made before export) followed by the budget's."""
    if isinstance(previous, str):
        previous = (previous,)
    kept = [e for e in previous if isinstance(e, str)] if isinstance(previous, (list, tuple)) else []
    if not kept:
        return report.marker()
    merged = BudgetReport(entries=[*dict.fromkeys([*kept, *report.entries])])
    return merged.marker()

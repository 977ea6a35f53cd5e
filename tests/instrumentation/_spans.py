"""Walking the finished spans of a test as a tree."""

from __future__ import annotations

from opentelemetry.sdk.trace import ReadableSpan


class Tree:
    """The finished spans, with helpers to walk them."""

    def __init__(self, spans: tuple[ReadableSpan, ...]) -> None:
        self.spans = list(spans)
        self.by_id = {s.context.span_id: s for s in self.spans}

    def named(self, name: str) -> list[ReadableSpan]:
        return [s for s in self.spans if s.name == name]

    def one(self, name: str) -> ReadableSpan:
        found = self.named(name)
        assert len(found) == 1, [s.name for s in self.spans]
        return found[0]

    def parent(self, span: ReadableSpan) -> ReadableSpan | None:
        return self.by_id.get(span.parent.span_id) if span.parent is not None else None

    def children(self, span: ReadableSpan) -> list[ReadableSpan]:
        kids = [s for s in self.spans if s.parent is not None and s.parent.span_id == span.context.span_id]
        return sorted(kids, key=lambda s: s.start_time or 0)

    def roots(self) -> list[ReadableSpan]:
        return [s for s in self.spans if s.parent is None or s.parent.span_id not in self.by_id]

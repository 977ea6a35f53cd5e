"""Exact links by message id: the messages a step received, traced to the step that wrote them.

Frameworks that pass messages around keep an id on each (LangChain/LangGraph messages, chat-completion items,
group-chat messages replayed with their ids). When a span's input holds a message whose id an earlier span's output
first held, that earlier span wrote it: an exact source, whatever the wording overlap. `message_sources` gives, per
span, those writers with the share of the span's input messages each wrote; `add_message_links` merges them into
the content provenance (`Provenance.fed`), keeping the larger share where text overlap found the same source.

A message is a mapping with a string ``id`` of 6+ characters and one of ``content``, ``parts``, ``role``, ``type``;
lists and mappings are searched 6 levels deep and 500 messages per payload at most (bounded work per span).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .provenance import Provenance
from .values import parse_payload
from .view import TraceView

_MESSAGE_KEYS = ("content", "parts", "role", "type")
_MAX_DEPTH = 6
_MAX_MESSAGES = 500


def message_ids(payload: Any) -> list[str]:
    """Ids of the messages in ``payload`` (decoded JSON or text), first seen first, without repeats."""
    out: dict[str, None] = {}
    for ident in _ids(parse_payload(payload), 0):
        out[ident] = None
        if len(out) >= _MAX_MESSAGES:
            break
    return list(out)


def _ids(value: Any, depth: int) -> Iterator[str]:
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, Mapping):
        ident = value.get("id")
        if isinstance(ident, str) and len(ident) >= 6 and any(k in value for k in _MESSAGE_KEYS):
            yield ident
        for child in value.values():
            if isinstance(child, (Mapping, list, tuple, str)):
                yield from _ids(parse_payload(child) if isinstance(child, str) else child, depth + 1)
    elif isinstance(value, (list, tuple)):
        for child in value[:_MAX_MESSAGES]:
            yield from _ids(child, depth + 1)


def message_sources(view: TraceView) -> dict[str, list[tuple[str, float]]]:
    """For each span whose input holds messages written by earlier spans: (writer, share of its input messages)."""
    written: dict[str, str] = {}  # message id -> the span whose output held it first (end order)
    # only spans whose recorded text mentions an "id" key can hold messages with ids (a substring test, no parse)
    maybe = {s.span_id for s in view.spans if any(isinstance(v, str) and '"id"' in v for v in s.attributes.values())}
    if not maybe:
        return {}
    order = sorted((set(view.inputs) | set(view.outputs)) & maybe, key=lambda s: (view.by_id[s].end_ns, view.order[s]))
    out: dict[str, list[tuple[str, float]]] = {}
    for span_id in order:
        received = message_ids(view.inputs.get(span_id)) if span_id in view.inputs else []
        if received:
            counts: dict[str, int] = {}
            for ident in received:
                writer = written.get(ident)
                if writer is not None and writer != span_id and not view.is_ancestor(span_id, writer):
                    counts[writer] = counts.get(writer, 0) + 1
            if counts:
                shares = [(w, n / len(received)) for w, n in counts.items()]
                out[span_id] = sorted(shares, key=lambda kv: (-kv[1], kv[0]))
        if span_id in view.outputs:
            for ident in message_ids(view.outputs[span_id]):
                written.setdefault(ident, span_id)
    return out


def add_message_links(view: TraceView, prov: Provenance) -> None:
    """Merge `message_sources` into ``prov.fed`` (the larger share wins; strongest source first)."""
    for span_id, sources in message_sources(view).items():
        merged = dict(prov.fed.get(span_id, ()))
        for writer, share in sources:
            merged[writer] = max(merged.get(writer, 0.0), share)
        prov.fed[span_id] = sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))

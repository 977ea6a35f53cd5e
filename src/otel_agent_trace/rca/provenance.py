"""Content provenance: where each span's input came from, and which span first introduced each claim.

Spans are visited in end order. Earlier outputs are indexed by shingle and by claim (inverted indexes), so a span's
input is matched against everything it could have seen in time linear in its own (capped) text. A claim in a
span's output that is neither in its input nor in any earlier output, nor in what the run was given (the root's
input, a user's messages), was introduced by that span without support: that is where a wrong value is born.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .content import claims, content_words, shingles, text_of, word_shingles
from .view import TraceView

_GIVEN_AGENTS = frozenset({"user", "human", "customer", "requester"})
MIN_SHARE = 0.15
"""Below this share of a span's input (or output) one source's content is noise, not provenance."""


@dataclass
class Provenance:
    """Content provenance of one trace (`provenance`)."""

    in_text: dict[str, str] = field(default_factory=dict)
    out_text: dict[str, str] = field(default_factory=dict)
    in_words: dict[str, list[str]] = field(default_factory=dict)
    out_words: dict[str, list[str]] = field(default_factory=dict)
    out_shingles: dict[str, list[str]] = field(default_factory=dict)
    out_claims: dict[str, list[str]] = field(default_factory=dict)
    fed: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    """For each span, the earlier spans its input came from, with the share of its input shingles each wrote."""
    relayed: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    """For each span, the earlier spans whose output it repeated, with the share of its output each accounts for."""
    introduced: dict[str, list[str]] = field(default_factory=dict)
    """Claims each span output without support in anything it received or could have seen."""
    introducer: dict[str, str] = field(default_factory=dict)
    """Claim -> the span that introduced it without support."""
    first_output: dict[str, str] = field(default_factory=dict)
    """Claim -> the first span that output it (supported or not)."""
    first_shingle: dict[str, str] = field(default_factory=dict)
    """Shingle -> the first span that output it."""
    given: set[str] = field(default_factory=set)
    """Claims and shingles the run was given (root input, user messages): nobody's responsibility."""

    def sources(self, span_id: str) -> list[tuple[str, float]]:
        """Where the span's content came from: its input's and its output's sources, strongest first."""
        merged: dict[str, float] = {}
        for source, share in (*self.fed.get(span_id, ()), *self.relayed.get(span_id, ())):
            merged[source] = max(merged.get(source, 0.0), share)
        return sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))

    def upstream(self, span_id: str, max_nodes: int = 2000) -> dict[str, int]:
        """Every span whose content reached ``span_id`` (through `sources`), with its hop distance."""
        out: dict[str, int] = {}
        frontier = [span_id]
        hops = 0
        while frontier and len(out) < max_nodes and hops < 32:
            hops += 1
            nxt = []
            for node in frontier:
                for source, _ in self.sources(node):
                    if source not in out and source != span_id:
                        out[source] = hops
                        nxt.append(source)
            frontier = nxt
        return out


def _shares(counts: Counter[str], total: int) -> list[tuple[str, float]]:
    shares = [(s, n / total) for s, n in counts.items() if total and n / total >= MIN_SHARE]
    return sorted(shares, key=lambda kv: (-kv[1], kv[0]))


def provenance(view: TraceView) -> Provenance:
    """Content provenance of a trace: linear in the total (capped) text of its spans."""
    prov = Provenance()
    for span_id, payload in view.inputs.items():
        prov.in_text[span_id] = text_of(payload)
    for span_id, payload in view.outputs.items():
        prov.out_text[span_id] = text_of(payload)
    for root in view.trace.roots:
        text = prov.in_text.get(root.span_id, "")
        prov.given.update(claims(text))
        prov.given.update(shingles(text))
    shingle_src: dict[str, str] = {}
    claim_src: dict[str, str] = {}
    given_spans = {s for s, agent in view.agent_of.items() if agent.strip().lower() in _GIVEN_AGENTS}
    order = sorted(set(prov.in_text) | set(prov.out_text), key=lambda s: (view.by_id[s].end_ns, view.order[s]))
    for span_id in order:
        in_text = prov.in_text.get(span_id, "")
        out_text = prov.out_text.get(span_id, "")
        prov.in_words[span_id] = in_words = content_words(in_text) if in_text else []
        in_sh = word_shingles(in_words)
        fed = list(filter(None, map(shingle_src.get, in_sh)))  # no Counter for the many spans nothing fed
        if fed:
            counts = Counter(fed)
            for source in [s for s in counts if view.is_ancestor(span_id, s)]:
                del counts[source]  # a descendant's output is not where this span's input came from
            if counts:
                prov.fed[span_id] = _shares(counts, len(in_sh))
        prov.out_words[span_id] = out_words = content_words(out_text) if out_text else []
        prov.out_shingles[span_id] = out_sh = word_shingles(out_words)
        prov.out_claims[span_id] = out_claims = claims(out_text) if out_text else []
        relayed = list(filter(None, map(shingle_src.get, out_sh)))
        relayed += filter(None, map(claim_src.get, out_claims))
        if relayed:
            total = len(out_sh) + len(out_claims)
            # no source can reach MIN_SHARE when all the repeats together do not: skip the count (most spans)
            prov.relayed[span_id] = _shares(Counter(relayed), total) if len(relayed) / total >= MIN_SHARE else []
        first_output = prov.first_output
        new = []
        if span_id in given_spans:
            prov.given.update(out_claims)
            prov.given.update(out_sh)
        elif out_claims:
            received: set[str] | None = None  # the input's claims, extracted only when an output claim is new
            for claim in out_claims:
                if claim not in first_output and claim not in prov.given:
                    if received is None:
                        received = set(claims(in_text)) if in_text else set()
                    if claim not in received:
                        new.append(claim)
                        prov.introducer.setdefault(claim, span_id)
        if new:
            prov.introduced[span_id] = new
        # plain loops: about twice as fast as dict.update(dict.fromkeys(...)) into these large dicts
        for claim in out_claims:
            if claim not in first_output:
                first_output[claim] = span_id
            claim_src[claim] = span_id
        first_shingle = prov.first_shingle
        for shingle in out_sh:
            if shingle not in first_shingle:
                first_shingle[shingle] = span_id
            shingle_src[shingle] = span_id
    return prov

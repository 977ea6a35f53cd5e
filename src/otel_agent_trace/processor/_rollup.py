"""Cost per LLM call and its roll-up onto ``invoke_agent`` and root spans: an export-thread enricher (docs/cost.md).

Children end, and so are exported, before their parents. Each exported span passes its subtotal (its own LLM call,
if it is one, plus what its children passed it) to its parent's entry; when an ``invoke_agent`` or a local root span
is exported, the sum is written on it (`semconv.cost` ``agent_trace.total.*``), with ``gen_ai.provider.name`` and
``gen_ai.request.model`` of the first LLM call below when the agent span lacks them.

Contributions are bookkept as deltas (what a span passed up so far), so processing a span twice (``diagnose()``
redacts the spans it reads with the same transformer) adds nothing, and a child exported after its parent still
reaches the nearest ancestor not yet exported. The exported parent misses it: that cannot be amended once sent.
Memory is bounded: at most `MAX_OPEN` open parents and `MAX_EXPORTED` exported spans are remembered (LRU); an open
parent whose entry was forgotten is marked partial.
"""

from __future__ import annotations

import bisect
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan

from otel_agent_trace._internal.drops import AFTER_SHUTDOWN, QUEUE_FULL, SHUTDOWN_TIMEOUT, dropped_spans
from otel_agent_trace.semconv import cost as C
from otel_agent_trace.semconv import gen_ai as G

from ._cost import Pricer, call_model, clean_text, llm_usage

MAX_OPEN = 8192
"""Open parents tracked (spans with exported children, not exported yet); beyond it the oldest is forgotten."""
MAX_EXPORTED = 2048
"""Recently exported spans remembered (to route a late child on to their parent, and to process a span twice)."""
_MAX_CHECKPOINTS = 1024
_LOST_BEFORE_EXPORT = (QUEUE_FULL, SHUTDOWN_TIMEOUT, AFTER_SHUTDOWN)
"""Drop reasons of spans that never reach the exporter (so never reach the roll-up)."""
_ZERO = Decimal(0)
_INVOKE_AGENT = G.GenAiOperationNameValues.INVOKE_AGENT.value


@dataclass(slots=True)
class Totals:
    """What the LLM calls below a span add up to (additive; provider and model are the first call's)."""

    cost: Decimal = _ZERO
    input_cost: Decimal = _ZERO
    output_cost: Decimal = _ZERO
    input_tokens: int = 0
    output_tokens: int = 0
    llm_calls: int = 0
    unpriced: int = 0
    provider: str | None = None
    model: str | None = None
    reasons: frozenset[str] = field(default_factory=frozenset)

    def add(self, other: Totals) -> None:
        """Add ``other`` into these totals."""
        if other.cost or other.input_cost or other.output_cost:  # no new Decimal objects for nothing
            self.cost += other.cost
            self.input_cost += other.input_cost
            self.output_cost += other.output_cost
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.llm_calls += other.llm_calls
        self.unpriced += other.unpriced
        self.provider = self.provider or other.provider
        self.model = self.model or other.model
        if other.reasons:
            self.reasons |= other.reasons

    def minus(self, other: Totals) -> Totals:
        """What these totals add to ``other`` (an earlier state of the same totals)."""
        return Totals(
            cost=self.cost - other.cost,
            input_cost=self.input_cost - other.input_cost,
            output_cost=self.output_cost - other.output_cost,
            input_tokens=self.input_tokens - other.input_tokens,
            output_tokens=self.output_tokens - other.output_tokens,
            llm_calls=self.llm_calls - other.llm_calls,
            unpriced=self.unpriced - other.unpriced,
            provider=None if other.provider else self.provider,
            model=None if other.model else self.model,
            reasons=self.reasons - other.reasons,
        )

    def copy(self) -> Totals:
        """An independent copy."""
        out = Totals()
        out.add(self)
        return out

    def __bool__(self) -> bool:
        return bool(
            self.llm_calls
            or self.unpriced
            or self.input_tokens
            or self.output_tokens
            or self.cost
            or self.input_cost
            or self.output_cost
            or self.reasons
            or self.provider
            or self.model
        )


class _Entry:
    __slots__ = ("children", "closed", "contributed", "parent")

    def __init__(self) -> None:
        self.children: Totals | None = None
        """What the span's children passed up so far."""
        self.contributed: Totals | None = None
        """What this span passed up to its parent so far (set once it was processed)."""
        self.parent: int | None = None
        self.closed = False
        """The span was processed (exported): later contributions go on to its parent."""


class CostRollup:
    """The enricher: prices LLM spans (``price=True``) and writes the totals on agent and root spans.

    Thread-safe (with a user-given delegate it runs in ``on_end`` on application threads); never raises out of
    ``SpanTransformer`` (which guards enrichers), and each step below is total on hostile attribute values.
    """

    def __init__(self, *, price: bool = True, max_open: int = MAX_OPEN, max_exported: int = MAX_EXPORTED) -> None:
        self.pricer = Pricer() if price else None
        self.max_open = max(16, int(max_open))
        self.max_exported = max(16, int(max_exported))
        self._lock = threading.Lock()
        self._open: OrderedDict[int, _Entry] = OrderedDict()
        self._exported: OrderedDict[int, _Entry] = OrderedDict()
        self._forgotten: OrderedDict[int, None] = OrderedDict()
        self._checkpoints: list[tuple[int, int]] = [(time.time_ns(), _lost_spans())]
        self._checkpoints_evicted = False
        self.late = 0
        """Contributions that arrived after their roll-up span was exported (it misses them)."""

    # -- the enricher -------------------------------------------------------------------------------------------
    def __call__(self, span: ReadableSpan, attributes: dict[str, Any]) -> None:
        """Price ``span`` if it is an LLM call, pass its subtotal up, write totals if it is an agent or root span."""
        ctx = span.context
        if ctx is None:
            return
        parent = span.parent
        parent_id = parent.span_id if parent is not None and parent.is_valid and not parent.is_remote else None
        own = self._own(span, attributes)
        self._checkpoint()
        with self._lock:
            entry = self._entry(ctx.span_id)
            subtotal = entry.children.copy() if entry.children is not None else Totals()
            if own is not None and subtotal.llm_calls == 0:
                subtotal.add(own)  # a wrapper over LLM calls already counted below is not counted again
            if ctx.span_id in self._forgotten:
                subtotal.reasons |= {C.TotalPartialReasonValues.FORGOTTEN.value}
            delta = subtotal.minus(entry.contributed) if entry.contributed is not None else subtotal
            entry.contributed = subtotal if subtotal else None  # most spans pass nothing up: keep no object
            entry.parent = parent_id
            self._close(ctx.span_id, entry)
            if parent_id is not None and delta:
                self._propagate(parent_id, delta)
        operation = attributes.get(G.GEN_AI_OPERATION_NAME)
        agent = type(operation) is str and operation == _INVOKE_AGENT
        if agent or parent_id is None:
            self._write(span, attributes, subtotal, agent=agent)

    def _own(self, span: ReadableSpan, attributes: dict[str, Any]) -> Totals | None:
        """The span's own LLM call (priced and marked when pricing is on), ``None`` if it is no LLM call."""
        usage = llm_usage(attributes)
        if usage is None:
            return None
        provider, model = call_model(attributes)
        own = Totals(
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            llm_calls=1,
            provider=provider,
            model=clean_text(attributes.get(G.GEN_AI_REQUEST_MODEL)) or model,
        )
        if self.pricer is None:
            return own
        given = _amount(attributes.get(C.LLM_COST_TOTAL))
        if given is not None:  # a cost the provider (or another instrumentation) reported wins
            own.cost = given
            own.input_cost = _amount(attributes.get(C.LLM_COST_PROMPT)) or _ZERO
            own.output_cost = _amount(attributes.get(C.LLM_COST_COMPLETION)) or _ZERO
            return own
        cost = self.pricer.price(attributes, usage, span.start_time)
        attributes.update(cost.attributes())
        if cost.status is C.CostStatusValues.PRICED:
            own.cost, own.input_cost, own.output_cost = cost.total, cost.input_cost, cost.output_cost
        else:
            own.unpriced = 1
        return own

    # -- bookkeeping (under the lock) -----------------------------------------------------------------------------
    def _entry(self, span_id: int) -> _Entry:
        """The entry of ``span_id`` (exported or open), a new open one if there is none."""
        entry = self._exported.get(span_id)
        if entry is not None:
            return entry
        entry = self._open.get(span_id)
        if entry is not None:
            self._open.move_to_end(span_id)
            return entry
        entry = self._open[span_id] = _Entry()
        while len(self._open) > self.max_open:
            old_id, old = self._open.popitem(last=False)
            if old.children:  # its children's subtotals are lost: say so when the span comes
                self._forgotten[old_id] = None
                while len(self._forgotten) > 4 * self.max_open:  # ids only: cheap to remember longer
                    self._forgotten.popitem(last=False)
        return entry

    def _close(self, span_id: int, entry: _Entry) -> None:
        """``span_id`` was processed: from the open entries to the recently exported ones (bounded)."""
        entry.closed = True
        self._open.pop(span_id, None)
        self._exported[span_id] = entry
        self._exported.move_to_end(span_id)
        while len(self._exported) > self.max_exported:
            self._exported.popitem(last=False)

    def _propagate(self, parent_id: int, delta: Totals) -> None:
        """Add ``delta`` to ``parent_id``'s children; through parents already exported, on to their parents."""
        seen = 0
        current: int | None = parent_id
        while current is not None and seen < 256:  # a cycle of span ids (hostile input) cannot loop forever
            seen += 1
            entry = self._entry(current)
            if entry.children is None:
                entry.children = Totals()
            entry.children.add(delta)
            if not entry.closed:
                return
            self.late += 1
            if entry.contributed is None:
                entry.contributed = delta.copy()
            else:
                entry.contributed.add(delta)
            current = entry.parent

    # -- dropped spans --------------------------------------------------------------------------------------------
    def _checkpoint(self) -> None:
        """Note the count of spans lost before export when it changed (to tell whether a run may miss some)."""
        count = _lost_spans()
        with self._lock:
            if count != self._checkpoints[-1][1]:
                self._checkpoints.append((time.time_ns(), count))
                if len(self._checkpoints) > _MAX_CHECKPOINTS:
                    del self._checkpoints[0]
                    self._checkpoints_evicted = True

    def _dropped_since(self, start_ns: Any) -> bool:
        """Whether spans were lost before export since ``start_ns`` (conservative: maybe another run's)."""
        if not isinstance(start_ns, int):
            return False
        with self._lock:
            i = bisect.bisect_right(self._checkpoints, (start_ns, math.inf)) - 1
            if i < 0:
                if self._checkpoints_evicted:
                    return self._checkpoints[-1][1] > 0
                i = 0
            return self._checkpoints[-1][1] > self._checkpoints[i][1]

    # -- output ---------------------------------------------------------------------------------------------------
    def _write(self, span: ReadableSpan, attributes: dict[str, Any], totals: Totals, *, agent: bool) -> None:
        reasons = set(totals.reasons)
        if self._dropped_since(span.start_time):
            reasons.add(C.TotalPartialReasonValues.SPANS_DROPPED.value)
        if not (agent or totals.llm_calls or reasons):
            return  # a root span with no LLM call below (a plain request): nothing to say
        if self.pricer is not None:
            if totals.unpriced:
                reasons.add(C.TotalPartialReasonValues.UNPRICED_CALLS.value)
            attributes[C.TOTAL_COST] = float(totals.cost)
            attributes[C.TOTAL_INPUT_COST] = float(totals.input_cost)
            attributes[C.TOTAL_OUTPUT_COST] = float(totals.output_cost)
            attributes[C.TOTAL_UNPRICED_LLM_CALLS] = totals.unpriced
        attributes[C.TOTAL_INPUT_TOKENS] = totals.input_tokens
        attributes[C.TOTAL_OUTPUT_TOKENS] = totals.output_tokens
        attributes[C.TOTAL_LLM_CALLS] = totals.llm_calls
        attributes[C.TOTAL_PARTIAL] = bool(reasons)
        if reasons:
            attributes[C.TOTAL_PARTIAL_REASONS] = tuple(sorted(reasons))
        else:
            attributes.pop(C.TOTAL_PARTIAL_REASONS, None)
        if agent:
            if totals.provider and not clean_text(attributes.get(G.GEN_AI_PROVIDER_NAME)):
                attributes[G.GEN_AI_PROVIDER_NAME] = totals.provider
            if totals.model and not clean_text(attributes.get(G.GEN_AI_REQUEST_MODEL)):
                attributes[G.GEN_AI_REQUEST_MODEL] = totals.model


def _lost_spans() -> int:
    counts: Mapping[str, int] = dropped_spans()
    return sum(counts.get(reason, 0) for reason in _LOST_BEFORE_EXPORT)


def _amount(value: Any) -> Decimal | None:
    """A finite non-negative USD amount, as a Decimal; ``None`` for anything else (bools, strings, NaN)."""
    if type(value) is int and 0 <= value < 10**12:  # exact types, as for token counts; no float() of a huge int
        return Decimal(value)
    if type(value) is float and math.isfinite(value) and 0 <= value < 1e12:
        return Decimal(repr(value))
    return None

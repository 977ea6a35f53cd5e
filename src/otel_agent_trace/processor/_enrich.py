"""The export-thread enrichers and observers `AgentSpanProcessor` installs by default (see `SpanTransformer`).

Each feature that adds to exported spans (cost, the OpenInference view, content modes...) lives in a module of its
own and is listed here, built from the settings. Enrichers run before redaction and the budget, so what they add is
redacted and budgeted like everything else; observers see the span as exported.
"""

from __future__ import annotations

from otel_agent_trace._internal.settings import ContentMode, Settings

from ._content_events import ContentEventEmitter, hold_event_content
from ._frameworks import FrameworkSpans
from ._openinference import OpenInferenceView
from ._rollup import CostRollup
from ._transform import Enricher, Observer


def default_enrichers(settings: Settings) -> tuple[Enricher, ...]:
    """The enrichers for ``settings``, in the order they run."""
    enrichers: list[Enricher] = []
    enrichers.append(FrameworkSpans())  # step index/action type on Pydantic AI's and ADK's own spans
    enrichers.append(CostRollup(price=settings.cost))  # LLM call cost, and totals on agent/root spans (docs/cost.md)
    if settings.openinference:
        enrichers.append(OpenInferenceView(settings))
    if settings.mode is ContentMode.EVENT_ONLY:  # last: takes the content off after the others have read it
        enrichers.append(hold_event_content)
    return tuple(enrichers)


def default_observers(settings: Settings) -> tuple[Observer, ...]:
    """The observers for ``settings``."""
    observers: list[Observer] = []
    if settings.mode.events:
        observers.append(ContentEventEmitter(settings))
    return tuple(observers)

"""The speaker-selection wrappers of the AutoGen instrumentor: ``decision speaker_selection`` spans.

RoundRobin, Selector and Swarm managers choose in ``select_speaker``; MagenticOne's orchestrator in
``_orchestrate_step``, from a progress ledger its model writes (JSON: whether the request is satisfied, the next
speaker and why). The selector's or the ledger's reasoning is the decision's rationale, with content capture only.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable, Iterable
from typing import Any

from opentelemetry.trace import Span, SpanKind

from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace._internal.serialize import safe_json_dumps
from otel_agent_trace.instrumentation.autogen import _extract as X
from otel_agent_trace.instrumentation.autogen import _scopes as S
from otel_agent_trace.semconv import decision as D


def start_decision(config: S.Config, method: str, options: list[str], magentic: bool) -> S.Selection:
    team = S.team.get()
    attrs = S.step_attributes(team, S.DECISION)
    attrs[D.DECISION_NAME] = "speaker_selection"
    attrs[D.DECISION_CONDITION] = method
    if options:
        attrs[D.DECISION_OPTIONS] = options
    span = config.tracer.start_span(
        "decision speaker_selection", context=S.parent(team), kind=SpanKind.INTERNAL, attributes=attrs
    )
    return S.Selection(span, magentic)


class SelectSpeakerWrapper(S.SpanWrapper):
    """``select_speaker`` of the RoundRobin, Selector and Swarm managers: a ``decision speaker_selection`` span."""

    where = "select"

    def start(self, instance: Any, args: Any, kwargs: Any) -> tuple[Span, S.Selection]:
        selection = start_decision(self.config, X.selection_method(instance), X.candidates(instance), False)
        return selection.span, selection

    def scope(self, state: S.Selection) -> Iterable[tuple[contextvars.ContextVar[Any], Any]]:
        return ((S.selection, state),)

    def finish(self, span: Span, state: S.Selection, result: Any, exc: BaseException | None) -> None:
        picked = X.chosen(result)
        if picked is not None:
            span.set_attribute(D.DECISION_CHOSEN, picked)


def entry(ledger: dict[str, Any], key: str) -> dict[str, Any]:
    value = ledger.get(key)
    return value if isinstance(value, dict) else {}


def answer(ledger: dict[str, Any], key: str) -> Any:
    return entry(ledger, key).get("answer")


def parse_ledger(answer: str) -> dict[str, Any] | None:
    """A progress ledger in a model answer (a JSON object, possibly fenced), ``None`` if it is not one."""
    start, end = answer.find("{"), answer.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        value = json.loads(answer[start : end + 1])
    except ValueError:
        return None
    return value if isinstance(value, dict) and isinstance(value.get("next_speaker"), dict) else None


class SelectorAnswerWrapper:
    """``BaseOpenAIChatCompletionClient.create``: in a speaker selection, the model's answer is the rationale.

    The selector's answer (content capture only), or MagenticOne's progress ledger (kept for
    ``_magentic.LedgerStepWrapper``); outside a selection it calls straight through.
    """

    def __init__(self, config: S.Config) -> None:
        self.config = config

    async def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        result = await wrapped(*args, **kwargs)
        with handle_internal_errors("autogen.select.rationale"):
            selection = S.selection.get()
            answer = X.text(getattr(result, "content", None)) if selection is not None else None
            if selection is not None and answer is not None:
                if selection.magentic:
                    ledger = parse_ledger(answer)
                    if ledger is not None:
                        selection.ledger = ledger  # the last valid one is the one the orchestrator acts on
                elif self.config.capture():
                    selection.span.set_attribute(D.DECISION_RATIONALE, safe_json_dumps(answer))  # the last attempt's
        return result

"""The decision operation of the manual API: ``decision``, the ``decision`` span and its handle."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from typing import Any

from otel_agent_trace._internal.errors import guarded
from otel_agent_trace._internal.settings import capture_content
from otel_agent_trace.semconv import agent as A
from otel_agent_trace.semconv import decision as D

from ._operation import SpanHandle
from ._spans import _SpanOperation, _step_attributes
from ._values import budget, number, text, text_list


class DecisionHandle(SpanHandle):
    """Handle of a decision span; ``choose`` records the option taken."""

    __slots__ = ()

    @guarded(default=None)
    def choose(self, chosen: Any, *, rationale: str | None = None, confidence: float | None = None) -> None:
        """Record the chosen option, and why (rationale: content capture only) and how sure (0..1)."""
        self._set_content(D.DECISION_CHOSEN, chosen)
        if rationale is not None and capture_content():
            self.set_attribute(D.DECISION_RATIONALE, text(rationale, budget()))
        self.set_attribute(D.DECISION_CONFIDENCE, number(confidence))


class decision(_SpanOperation):
    """A decision point: a ``decision {name}`` span with condition, options, the chosen one and the rationale.

    As a decorator, the function's return value is recorded as the chosen option.
    """

    _handle_cls = DecisionHandle

    def __init__(
        self,
        name: str,
        *,
        condition: str | None = None,
        options: Sequence[str] | None = None,
        chosen: Any = None,
        rationale: str | None = None,
        confidence: float | None = None,
    ) -> None:
        super().__init__()
        self.name = text(name) or "decision"
        self.condition, self.options, self.chosen = text(condition, budget()), options, chosen
        self.rationale, self.confidence = rationale, confidence

    def _clone(self) -> decision:
        return decision(
            self.name,
            condition=self.condition,
            options=self.options,
            chosen=self.chosen,
            rationale=self.rationale,
            confidence=self.confidence,
        )

    def _span_name(self) -> str:
        return f"decision {self.name}"

    def _attributes(self) -> dict[str, Any]:
        attrs = _step_attributes(A.AgentStepActionTypeValues.DECISION.value)
        attrs[D.DECISION_NAME] = self.name
        if self.condition is not None:
            attrs[D.DECISION_CONDITION] = self.condition
        if self.options is not None:
            attrs[D.DECISION_OPTIONS] = text_list(self.options, budget())
        return attrs

    def _scopes(self, handle: SpanHandle, stack: ExitStack) -> None:
        if self.chosen is not None or self.rationale is not None or self.confidence is not None:
            assert isinstance(handle, DecisionHandle)
            if self.chosen is not None:
                handle.choose(self.chosen, rationale=self.rationale, confidence=self.confidence)
            else:
                if self.rationale is not None and capture_content():
                    handle.set_attribute(D.DECISION_RATIONALE, text(self.rationale, budget()))
                handle.set_attribute(D.DECISION_CONFIDENCE, number(self.confidence))

    def _on_return(self, handle: Any, result: Any) -> None:
        if result is not None:
            handle.choose(result)

    def _keeps_result(self) -> bool:
        return True  # the chosen option is recorded whatever the content setting

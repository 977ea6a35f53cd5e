"""How `rca.verify` runs its replays: the replayer's interface, the default one, and the time budget."""

from __future__ import annotations

import importlib
import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, cast

from otel_agent_trace.model import Trace

__all__ = ["ReplayOutcome", "Replayer", "Runner", "default_replayer"]


class ReplayOutcome(Protocol):
    """What `Replayer` returns (`otel_agent_trace.rca.replay.ReplayResult`)."""

    @property
    def status(self) -> str: ...
    @property
    def trace(self) -> Trace | None: ...
    @property
    def failure(self) -> str | None: ...
    @property
    def diverged_at(self) -> str | None: ...
    @property
    def served(self) -> int: ...
    @property
    def live(self) -> int: ...
    @property
    def overridden(self) -> tuple[str, ...]: ...
    @property
    def detail(self) -> str: ...


class Replayer(Protocol):
    """``replay(trace, program, *, override, allow_live, timeout, baseline)`` (`otel_agent_trace.rca.replay.replay`).

    ``baseline`` (the passing runs) may serve a request the recording lacks when a passing run made exactly it.
    """

    def __call__(
        self,
        trace: Trace,
        program: Any,
        *,
        override: Mapping[str, object] | None = None,
        allow_live: bool = False,
        timeout: float = 60.0,
        baseline: Sequence[Trace] = (),
    ) -> ReplayOutcome: ...


def default_replayer() -> Replayer | None:
    """`otel_agent_trace.rca.replay.replay`, ``None`` when the replay engine is not installed."""
    try:  # the replay engine, loaded only when a verification runs
        module = importlib.import_module(f"{__package__}.replay")
    except ImportError:
        return None
    found = getattr(module, "replay", None)
    return cast("Replayer", found) if callable(found) else None


class Runner:
    """Runs replays within the budget; a replayer fault becomes an ``error`` outcome, never an exception."""

    def __init__(
        self,
        replayer: Replayer,
        trace: Trace,
        program: Any,
        *,
        baseline: Sequence[Trace],
        allow_live: bool,
        timeout: float,
        budget_s: float,
    ) -> None:
        self.replayer, self.trace, self.program, self.allow_live = replayer, trace, program, allow_live
        self.baseline = tuple(baseline)
        self.timeout, self.budget_s, self.replays = timeout, budget_s, 0
        self.deadline = time.monotonic() + budget_s

    def remaining(self) -> float:
        """Seconds left of the budget."""
        return self.deadline - time.monotonic()

    def affordable(self) -> bool:
        """Whether the budget still leaves time for a replay worth starting."""
        return self.remaining() >= min(self.timeout, 1.0)

    def run(self, override: Mapping[str, object] | None) -> ReplayOutcome | str:
        """The replay's outcome, or the text of the replayer's own error."""
        self.replays += 1
        try:
            return self.replayer(
                self.trace,
                self.program,
                override=override,
                allow_live=self.allow_live,
                timeout=max(0.1, min(self.timeout, self.remaining())),
                baseline=self.baseline,
            )
        except Exception as exc:  # noqa: BLE001 - a fault of the replay machinery is a verdict, not a lost report
            return f"the replay raised {type(exc).__name__}: {exc}"

"""Counterfactual verification of the RCA's top candidates: re-run the program with one output replaced.

`verify` first replays the failing run unchanged (the control: it must fail again, in the same span, or no verdict
can be trusted), then, for each of the top-k candidates, replays it once with that span's output replaced by the
value the passing runs give for it, and reads the outcome:

- ``confirmed``: the replacement makes the run pass;
- ``refuted``: the run still fails with the replacement, or the span's output already equals the passing value
  (the control is that replay), or - for a span that started after a confirmed one - the confirmed replay passed
  with this span left as the program made it (its deviation follows from its input);
- ``diverged``: the run took another path after the replacement (where is reported);
- ``error`` / ``timeout``: the replay itself failed or ran out of time;
- ``untestable``: no passing value exists (the span's output differs across the passing runs, no passing run has
  the span, the value was redacted or truncated) or the replay cannot replace this kind of span;
- ``inconclusive``: the control did not reproduce the failure.

The passing value of a span is matched by name and occurrence (the n-th span of that name) in each passing run, of
the same kind: its output in the passing runs that gave it the same input, else its output when it is the same in
every passing run (2+). Pure: reads the model; the replays run through the injected ``replayer`` (default
`otel_agent_trace.rca.replay.replay`, which runs the program in a subprocess).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from otel_agent_trace.model import Trace

from ._verify_runner import Replayer, ReplayOutcome, Runner, default_replayer
from .outcome import find_failure
from .report import RcaReport, RootCause
from .signals import Evidence
from .substitute import Substitute, matching_span, occurrence, passing_value, short
from .view import TraceView, span_kind

__all__ = ["VERDICTS", "Control", "Replayer", "Verdict", "VerifyResult", "verify"]

VERDICTS = ("confirmed", "refuted", "diverged", "error", "timeout", "untestable", "inconclusive")
"""Every verdict `verify` gives (`VerifyResult.apply` ranks confirmed candidates first and refuted ones last)."""
_CONFIRMED = "confirmed by replay: replacing its output with the passing runs' value makes the run pass"


@dataclass(frozen=True)
class Control:
    """The unchanged replay: whether it reproduced the failure, and if not why."""

    status: str
    """The replay's status (``failed`` when it reproduced the failure), ``skipped`` when none ran."""
    reproduced: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return {"status": self.status, "reproduced": self.reproduced, "detail": self.detail}


@dataclass(frozen=True)
class Verdict:
    """What replaying one candidate with its output replaced showed."""

    span_id: str
    name: str
    type: str
    verdict: str
    """One of `VERDICTS`."""
    reason: str
    value: str | None = None
    """The substituted value (JSON, cut to 200 characters), ``None`` when there was none."""
    value_source: str = ""
    """Where the value came from, e.g. ``the same in all 3 passing runs``."""
    replay_status: str | None = None
    """The status of this candidate's own replay, ``None`` when none ran (reasoned from the control or another)."""
    diverged_at: str | None = None
    evidence_span_id: str | None = None
    """For a refutation by another candidate's passing replay: that candidate's span id."""
    served: int = 0
    """Recorded responses and tool results the candidate's own replay served."""
    live: int = 0
    """Calls of that replay that ran for real (only with ``allow_live``)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return {
            "span_id": self.span_id,
            "name": self.name,
            "type": self.type,
            "verdict": self.verdict,
            "reason": self.reason,
            "value": self.value,
            "value_source": self.value_source,
            "replay_status": self.replay_status,
            "diverged_at": self.diverged_at,
            "evidence_span_id": self.evidence_span_id,
            "served": self.served,
            "live": self.live,
        }


@dataclass(frozen=True)
class VerifyResult:
    """The control replay and one verdict per verified candidate (in the analysis' candidate order)."""

    control: Control
    verdicts: tuple[Verdict, ...] = ()
    replays: int = 0
    """Replays run, the control included."""
    k: int = 0
    note: str = ""
    by_id: Mapping[str, Verdict] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {v.span_id: v for v in self.verdicts})

    @property
    def confirmed(self) -> tuple[Verdict, ...]:
        """The confirmed verdicts."""
        return tuple(v for v in self.verdicts if v.verdict == "confirmed")

    def summary(self) -> str:
        """``1 control + 1 replay: 1 confirmed, 2 refuted``."""
        counts = {name: sum(v.verdict == name for v in self.verdicts) for name in VERDICTS}
        found = ", ".join(f"{n} {name}" for name, n in counts.items() if n) or "no candidates"
        replays = max(0, self.replays - 1) if self.control.status != "skipped" else self.replays
        control = "1 control + " if self.control.status != "skipped" else ""
        return f"{control}{replays} replay{'s' if replays != 1 else ''}: {found}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return {
            "control": self.control.to_dict(),
            "verdicts": [v.to_dict() for v in self.verdicts],
            "replays": self.replays,
            "k": self.k,
            "note": self.note,
            "summary": self.summary(),
        }

    def apply(self, report: RcaReport) -> RcaReport:
        """The report re-ranked: confirmed candidates first, refuted ones last, each marked; ``verification`` set.

        The other candidates keep their order; the blame, chain and traceback stay the analysis' own.
        """
        rank = {"confirmed": 0, "refuted": 2}
        marked = [self._marked(c) for c in report.candidates]
        order = sorted(
            range(len(marked)),
            key=lambda i: (
                rank.get(self.by_id[marked[i].span_id].verdict, 1) if marked[i].span_id in self.by_id else 1,
                i,
            ),
        )
        candidates = tuple(marked[i] for i in order)
        root = candidates[0] if candidates else report.root_cause
        return replace(report, candidates=candidates, root_cause=root, verification=self)

    def _marked(self, candidate: RootCause) -> RootCause:
        found = self.by_id.get(candidate.span_id)
        if found is None or found.verdict not in ("confirmed", "refuted"):
            return candidate
        detail = _CONFIRMED if found.verdict == "confirmed" else f"refuted by replay: {found.reason}"
        piece = Evidence(candidate.span_id, "counterfactual", detail, 1.0 if found.verdict == "confirmed" else 0.0)
        if found.verdict == "confirmed":
            return replace(candidate, why=(detail, *candidate.why)[:4], evidence=(piece, *candidate.evidence))
        return replace(candidate, why=(*candidate.why[:3], detail), evidence=(*candidate.evidence, piece))


def _failure_name(trace: Trace | None, fallback: str | None) -> str | None:
    if trace is None:
        return fallback
    view = TraceView(trace)
    found = find_failure(view)
    span = trace.by_id.get(found.span_id or "") if found is not None else None
    return span.name if span is not None else None


def _control(runner: Runner, report: RcaReport, trace: Trace) -> tuple[Control, ReplayOutcome | None]:
    result = runner.run(None)
    if isinstance(result, str):
        return Control("error", False, result), None
    detail = result.detail or result.failure or ""
    if result.status == "passed" and report.failure is not None and report.failure.kind == "user":
        why = (
            "the unchanged replay passed: the run's failure is a verdict given from outside (--failed), and a replay"
            " only sees failures inside the run (an exception, a failing evaluation result)"
        )
        return Control("passed", False, why), result
    if result.status == "passed":
        why = (
            "the unchanged replay passed: the failure does not reproduce (code outside the instrumented calls is"
            " not deterministic: time, randomness, state outside the program?)"
        )
        return Control("passed", False, why), result
    if result.status == "diverged":
        return Control("diverged", False, f"the unchanged replay diverged at {result.diverged_at or '?'}"), result
    if result.status != "failed":
        return Control(result.status, False, f"the unchanged replay ended with {result.status}: {detail}"), result
    failure = report.failure
    span = trace.by_id.get(failure.span_id or "") if failure is not None else None
    expected = span.name if span is not None and failure is not None and failure.kind != "user" else None
    got = _failure_name(result.trace, expected)
    if expected is not None and got != expected:
        why = f"the unchanged replay fails elsewhere ({got or 'no failing span'} instead of {expected})"
        return Control("failed", False, why), result
    return Control("failed", True, f"the unchanged replay fails again: {result.failure or detail}"), result


def _judge(cand: RootCause, sub: Substitute, result: ReplayOutcome | str) -> Verdict:
    base = Verdict(cand.span_id, cand.name, cand.type, "error", "", short(sub.value), sub.source)
    if isinstance(result, str):
        return replace(base, reason=result)
    base = replace(base, replay_status=result.status, served=int(result.served), live=int(result.live))
    applied = cand.span_id in result.overridden
    if result.status == "passed" and applied:
        return replace(base, verdict="confirmed", reason=_CONFIRMED)
    if result.status in ("passed", "failed") and not applied:
        why = f"the replay could not replace the output of this {cand.type} span"
        return replace(base, verdict="untestable", reason=why + (f" ({result.detail})" if result.detail else ""))
    if result.status == "failed":
        return replace(
            base, verdict="refuted", reason=f"still fails with it replaced: {result.failure or result.detail}"
        )
    if result.status == "error" and not applied and result.trace is None:
        # the control ran this program: a replay that errs before running anything is refusing the override
        why = f"the replay could not replace the output of this {cand.type} span: {result.detail}"
        return replace(base, verdict="untestable", reason=why)
    if result.status == "diverged":
        where = result.diverged_at or "?"
        return replace(
            base, verdict="diverged", reason=f"the run took another path: diverged at {where}", diverged_at=where
        )
    verdict = "timeout" if result.status == "timeout" else "error"
    return replace(base, verdict=verdict, reason=result.detail or f"the replay ended with {result.status}")


def _exonerate(verdict: Verdict, trace: Trace, passed: Sequence[tuple[Verdict, ReplayOutcome]]) -> Verdict:
    """Refuted when a confirmed replay passed with this span present and not replaced, else unchanged.

    Only for a span that started after the confirmed one ended: it ran on the corrected value (or was served as
    recorded) and the run passed. A span before it proves nothing so: its bad output may be why the confirmed span
    went wrong, and the replacement masks that.
    """
    span = trace.by_id.get(verdict.span_id)
    if span is None:
        return verdict
    kind, index = span_kind(span), occurrence(trace, span)
    for other, result in passed:
        cause = trace.by_id.get(other.span_id)
        if cause is None or span.start_ns < cause.end_ns:
            continue
        replayed = result.trace
        match = matching_span(replayed, span.name, kind, index) if replayed is not None else None
        if match is None or match.is_error or verdict.span_id in result.overridden:
            continue
        reason = (
            f"replacing {other.name} ({other.span_id}) alone makes the run pass, with this span left as the program"
            " makes it: its deviation here follows from its input"
        )
        return replace(verdict, verdict="refuted", reason=reason, evidence_span_id=other.span_id)
    return verdict


def verify(
    report: RcaReport,
    trace: Trace,
    program: Any,
    *,
    baseline: Sequence[Trace],
    k: int = 3,
    timeout: float = 60.0,
    budget_s: float | None = None,
    allow_live: bool = False,
    replayer: Replayer | None = None,
) -> VerifyResult:
    """Replay the run with each top candidate's output replaced by its passing value, and say what changed.

    Args:
        report: the `analyze` result for ``trace``.
        trace: the failing run (recorded with replay data: ``init(record_replay=True)``).
        program: what `otel_agent_trace.rca.replay.replay` runs: a script path, ``"module:function"`` or a callable.
        baseline: passing runs of the same agent; the replacement values come from them.
        k: candidates verified (at most ``k`` replays besides the control).
        timeout: seconds each replay may take.
        budget_s: seconds all replays together may take (default ``(k + 1) * timeout``); candidates the budget
            leaves no time for are ``untestable``, saying so.
        allow_live: let calls the recording does not hold run live (else the replay stops as ``diverged``).
        replayer: the replay function (default the real one); tests inject their own.

    Returns:
        The control and one `Verdict` per verified candidate; ``.apply(report)`` re-ranks the report. Never raises:
        a failing program or replay is a verdict, a fault of the verification itself an ``error`` control.
    """
    try:
        return _verify(report, trace, program, baseline, k, timeout, budget_s, allow_live, replayer)
    except Exception as exc:  # noqa: BLE001 - a malformed report, trace or replay result: say so, keep the report
        note = f"verification failed: {type(exc).__name__}: {exc}"
        return VerifyResult(Control("error", False, note), note=note)


def _verify(
    report: RcaReport,
    trace: Trace,
    program: Any,
    baseline: Sequence[Trace],
    k: int,
    timeout: float,
    budget_s: float | None,
    allow_live: bool,
    replayer: Replayer | None,
) -> VerifyResult:
    k = max(0, int(k))
    cands = list(report.candidates[:k]) if report.root_cause is not None else []
    if not cands:
        return VerifyResult(Control("skipped", False, "the run did not fail: nothing to verify"), k=k)
    replayer = replayer or default_replayer()
    if replayer is None:
        note = "the replay engine (otel_agent_trace.rca.replay) is not available"
        verdicts = tuple(Verdict(c.span_id, c.name, c.type, "error", note) for c in cands)
        return VerifyResult(Control("error", False, note), verdicts, k=k, note=note)
    budget = float(budget_s) if budget_s is not None else (k + 1) * float(timeout)
    runner = Runner(
        replayer, trace, program, baseline=baseline, allow_live=allow_live, timeout=float(timeout), budget_s=budget
    )
    control, _ = _control(runner, report, trace)
    if not control.reproduced:
        verdicts = tuple(
            Verdict(c.span_id, c.name, c.type, "inconclusive", f"no verdict: {control.detail}") for c in cands
        )
        return VerifyResult(control, verdicts, runner.replays, k, control.detail)
    found: list[Verdict] = []
    passed: list[tuple[Verdict, ReplayOutcome]] = []
    for cand in cands:
        span = trace.by_id.get(cand.span_id)
        sub = passing_value(trace, span, baseline) if span is not None else Substitute(problem="not in the trace")
        if not sub.found:
            found.append(Verdict(cand.span_id, cand.name, cand.type, "untestable", sub.problem))
        elif sub.same_as_run:
            why = f"its output already equals the passing runs' value ({sub.source}); the unchanged replay still fails"
            found.append(Verdict(cand.span_id, cand.name, cand.type, "refuted", why, short(sub.value), sub.source))
        elif not runner.affordable():
            why = f"not replayed: the verification budget ({budget:g} s) was spent"
            found.append(Verdict(cand.span_id, cand.name, cand.type, "untestable", why, short(sub.value), sub.source))
        else:
            result = runner.run({cand.span_id: sub.value})
            verdict = _judge(cand, sub, result)
            found.append(verdict)
            if verdict.verdict == "confirmed" and not isinstance(result, str):
                passed.append((verdict, result))
    final = tuple(_exonerate(v, trace, passed) if v.verdict == "untestable" else v for v in found)
    return VerifyResult(control, final, runner.replays, k)

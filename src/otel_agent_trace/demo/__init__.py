"""``otel-agent-trace demo``: an offline agent, traced for real, whose failure the RCA explains.

The agent uses the real ``openai`` SDK (instrumented by our OpenAI instrumentor) against a local fake LLM, and our
manual API for its steps, tools and decisions. Three runs pass (hotels for 120, 200 and 160 EUR a night); the
fourth, again for 160 EUR, gets a faulty exchange rate (100x too small) from a tool, converts the budget to almost
nothing, finds no hotel, and fails three steps later. The RCA, with the passing runs as baseline, names the tool
call. The runs record replay data: ``failing_run`` (the failing run as a program, `PROGRAM`) re-runs under
`otel_agent_trace.rca.replay`, which is how ``rca --verify`` confirms the tool call by counterfactual replay.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from otel_agent_trace.model import Trace, load_traces
from otel_agent_trace.rca import RcaReport, analyze, baseline_profile

from ._agent import NoOptionsError, run_agent
from ._program import FAILING_BUDGET_EUR, failing_run, traced_client

__all__ = ["PROGRAM", "DemoResult", "NoOptionsError", "failing_run", "run_demo"]

PROGRAM = "otel_agent_trace.demo:failing_run"
"""The failing run as a program for ``rca --verify --program`` (also ``python -m otel_agent_trace.demo.app``)."""


class DemoResult:
    """What the demo produced: the store directory, the failing trace and its RCA report."""

    def __init__(self, store_dir: Path, trace: Trace, report: RcaReport, passing: list[Trace]) -> None:
        self.store_dir = store_dir
        self.trace = trace
        self.report = report
        self.passing = passing


def run_demo(store_dir: str | Path | None = None) -> DemoResult:
    """Run the demo agent (3 passing runs, 1 failing), store the traces, and analyse the failing one.

    The runs record replay data, so ``failing_run`` can be re-run by `otel_agent_trace.rca.replay` (and
    ``rca --verify``) against this store.
    """
    directory = Path(store_dir) if store_dir is not None else Path(tempfile.mkdtemp(prefix="otel-agent-trace-demo-"))
    with traced_client(directory) as client:
        for i, budget in enumerate((120.0, 200.0, FAILING_BUDGET_EUR)):
            run_agent(client, budget_eur=budget, faulty_rate=False, session_id=f"demo-pass-{i}")
        with contextlib.suppress(NoOptionsError):
            run_agent(client, budget_eur=FAILING_BUDGET_EUR, faulty_rate=True, session_id="demo-fail")
    traces = load_traces(directory)
    failing = [t for t in traces if t.has_error]
    passing = [t for t in traces if not t.has_error]
    (trace,) = failing
    report = analyze(trace, baseline=baseline_profile(passing))
    return DemoResult(directory, trace, report, passing)

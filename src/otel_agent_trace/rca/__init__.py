"""Root-cause analysis of recorded agent runs, offline, on the trace model (`otel_agent_trace.model`).

One run: `analyze` runs everything and returns an `RcaReport` (``to_dict()`` is JSON; `render_text`,
`render_html`). Each analysis is also a function of its own: `traceback`, `error_propagation`, `dependency_graph`,
`causal_chain`, `blame`. Many runs: `spectrum_analysis` (Ochiai, Tarantula, DStar). `corpus` generates synthetic
runs with known injected root causes. `replay` re-runs a recorded program with outputs replaced, `verify` turns
that into counterfactual verdicts on the top candidates, `annotate` writes a report onto its trace's spans.
"""

from __future__ import annotations

from .agents import AgentBlame, agent_blame
from .annotate import annotate
from .blame import BlameResult, StepBlame, blame
from .causal_chain import CausalChain, ChainStep, causal_chain
from .context import AnalysisContext, build_context
from .dependencies import DataEdge, DependencyGraph, dependency_graph
from .html_report import render_html
from .outcome import FailureInfo, find_failure
from .propagation import PropagationResult, Reached, error_propagation
from .replay import ReplayResult, replay
from .report import RcaReport, RootCause, analyze
from .signals import BaselineProfile, Evidence, anomalies, baseline_profile
from .spectrum import ElementScore, SpectrumResult, coverage, run_failed, spectrum_analysis
from .text_report import render_text
from .traceback import Frame, TracebackResult, traceback
from .verify import Verdict, VerifyResult, verify

__all__ = [
    "AgentBlame",
    "AnalysisContext",
    "BaselineProfile",
    "BlameResult",
    "CausalChain",
    "ChainStep",
    "DataEdge",
    "DependencyGraph",
    "ElementScore",
    "Evidence",
    "FailureInfo",
    "Frame",
    "PropagationResult",
    "RcaReport",
    "Reached",
    "ReplayResult",
    "RootCause",
    "SpectrumResult",
    "StepBlame",
    "TracebackResult",
    "Verdict",
    "VerifyResult",
    "agent_blame",
    "analyze",
    "annotate",
    "anomalies",
    "baseline_profile",
    "blame",
    "build_context",
    "causal_chain",
    "coverage",
    "dependency_graph",
    "error_propagation",
    "find_failure",
    "render_html",
    "render_text",
    "replay",
    "run_failed",
    "spectrum_analysis",
    "traceback",
    "verify",
]

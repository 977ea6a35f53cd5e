"""Root-cause analysis of recorded agent runs, offline, on the trace model (`otel_agent_trace.model`).

One run: `analyze` runs everything and returns an `RcaReport` (``to_dict()`` is JSON; `render_text`,
`render_html`). Each analysis is also a function of its own: `traceback`, `error_propagation`, `dependency_graph`,
`causal_chain`, `blame`. Many runs: `spectrum_analysis` (Ochiai, Tarantula, DStar). `corpus` generates synthetic
runs with known injected root causes.
"""

from __future__ import annotations

from .agents import AgentBlame, agent_blame
from .blame import BlameResult, StepBlame, blame
from .causal_chain import CausalChain, ChainStep, causal_chain
from .context import AnalysisContext, build_context
from .dependencies import DataEdge, DependencyGraph, dependency_graph
from .html_report import render_html
from .outcome import FailureInfo, find_failure
from .propagation import PropagationResult, Reached, error_propagation
from .report import RcaReport, RootCause, analyze
from .signals import BaselineProfile, Evidence, anomalies, baseline_profile
from .spectrum import ElementScore, SpectrumResult, coverage, run_failed, spectrum_analysis
from .text_report import render_text
from .traceback import Frame, TracebackResult, traceback

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
    "RootCause",
    "SpectrumResult",
    "StepBlame",
    "TracebackResult",
    "agent_blame",
    "analyze",
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
    "run_failed",
    "spectrum_analysis",
    "traceback",
]

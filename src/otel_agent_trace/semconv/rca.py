"""Attributes and the event that ``otel-agent-trace export --annotate`` writes onto an analysed trace's spans.

They carry the RCA's verdict into any viewer (Jaeger, Grafana Tempo, Phoenix) that shows span attributes and
events: search for ``agent_trace.rca.root_cause=true`` to find the span to blame. Only written by the annotation,
never by the instrumentation.
"""

from __future__ import annotations

from typing import Final

RCA_ROOT_CAUSE: Final = "agent_trace.rca.root_cause"
"""True on the span the analysis names as the root cause (only there)."""
RCA_RANK: Final = "agent_trace.rca.rank"
"""1-based rank of the span among the analysis's candidates (1 = the root cause)."""
RCA_BLAME: Final = "agent_trace.rca.blame"
"""The span's share of the blame (all blamed spans sum to 1)."""
RCA_AGENT: Final = "agent_trace.rca.agent"
"""The agent the analysis counts the span for."""
RCA_AGENT_BLAME: Final = "agent_trace.rca.agent_blame"
"""That agent's share of the blame (all agents sum to 1)."""
RCA_EVIDENCE: Final = "agent_trace.rca.evidence"
"""The evidence lines for the span, most weighty first (string array)."""
RCA_ROLE: Final = "agent_trace.rca.role"
"""The span's role in the causal chain: ``trigger``, ``intermediate``, ``failure`` or ``outcome``."""
RCA_VERDICT_EVENT: Final = "agent_trace.rca.verdict"
"""Event on the root cause span (and on the failure span, if another): the verdict in one line."""
RCA_SUMMARY: Final = "agent_trace.rca.summary"
"""Attribute of `RCA_VERDICT_EVENT`: the verdict in one line."""
RCA_FAILURE: Final = "agent_trace.rca.failure"
"""True on the span where the failure surfaced (or was judged), when the analysis found one."""

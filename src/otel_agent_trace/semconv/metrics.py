"""Span attributes the GenAI metrics are read from where the convention has no attribute (see docs/metrics.md).

The metric names themselves are all official (``gen_ai.client.*``, ``gen_ai.invoke_agent.duration``,
``gen_ai.execute_tool.duration``, ``gen_ai.workflow.duration``); only these stream timings are ours.
"""

from __future__ import annotations

from typing import Final

RESPONSE_CHUNK_COUNT: Final = "agent_trace.response.chunk_count"
"""On a streamed LLM call: how many chunks (or events) the stream delivered."""
RESPONSE_TIME_PER_OUTPUT_CHUNK: Final = "agent_trace.response.time_per_output_chunk"
"""On a streamed LLM call of 2+ chunks: mean seconds per chunk after the first (read for the time-per-chunk metric)."""

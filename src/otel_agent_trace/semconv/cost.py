"""Cost of LLM calls, and the totals of the LLM calls below an agent or root span (docs/cost.md).

The per-call amounts use OpenInference's ``llm.cost.*`` names (USD; no official ``gen_ai.*`` cost attribute exists
yet); they are set on LLM spans only, so a backend that sums them over a trace counts each call once. The totals
rolled up onto ``invoke_agent`` and root spans use our own ``agent_trace.total.*`` names for the same reason.
"""

from __future__ import annotations

from enum import Enum
from typing import Final

LLM_COST_PROMPT: Final = "llm.cost.prompt"
"""OpenInference: cost in USD of the input tokens of one LLM call (cached tokens at their own rate included)."""
LLM_COST_COMPLETION: Final = "llm.cost.completion"
"""OpenInference: cost in USD of the output tokens of one LLM call (reasoning tokens included)."""
LLM_COST_TOTAL: Final = "llm.cost.total"
"""OpenInference: cost in USD of one LLM call (`LLM_COST_PROMPT` + `LLM_COST_COMPLETION`)."""
COST_STATUS: Final = "agent_trace.cost.status"
"""On an LLM span with token counts: whether it was priced (see `CostStatusValues`); no cost is guessed."""
COST_SOURCE: Final = "agent_trace.cost.source"
"""Where the prices come from: ``genai-prices`` (the price database package, its bundled data)."""
COST_SOURCE_VERSION: Final = "agent_trace.cost.source_version"
"""Version of the price data: the ``genai-prices`` version (``+updated.<UTC time>`` if another library updated it)."""
COST_PRICE_MODEL: Final = "agent_trace.cost.price_model"
"""The price entry the call was priced with, ``<provider>/<model>`` as the price database names them."""
TOTAL_COST: Final = "agent_trace.total.cost"
"""On ``invoke_agent`` and root spans: cost in USD of the priced LLM calls below the span."""
TOTAL_INPUT_COST: Final = "agent_trace.total.input_cost"
"""On ``invoke_agent`` and root spans: input-token cost in USD of the priced LLM calls below the span."""
TOTAL_OUTPUT_COST: Final = "agent_trace.total.output_cost"
"""On ``invoke_agent`` and root spans: output-token cost in USD of the priced LLM calls below the span."""
TOTAL_INPUT_TOKENS: Final = "agent_trace.total.input_tokens"
"""On ``invoke_agent`` and root spans: ``gen_ai.usage.input_tokens`` summed over the LLM calls below the span."""
TOTAL_OUTPUT_TOKENS: Final = "agent_trace.total.output_tokens"
"""On ``invoke_agent`` and root spans: ``gen_ai.usage.output_tokens`` summed over the LLM calls below the span."""
TOTAL_LLM_CALLS: Final = "agent_trace.total.llm_calls"
"""On ``invoke_agent`` and root spans: how many LLM calls (spans with token counts) are below the span."""
TOTAL_UNPRICED_LLM_CALLS: Final = "agent_trace.total.unpriced_llm_calls"
"""On ``invoke_agent`` and root spans: LLM calls below the span that could not be priced (not in `TOTAL_COST`)."""
TOTAL_PARTIAL: Final = "agent_trace.total.partial"
"""On ``invoke_agent`` and root spans: true when the totals are known to miss something (`TOTAL_PARTIAL_REASONS`)."""
TOTAL_PARTIAL_REASONS: Final = "agent_trace.total.partial_reasons"
"""Why `TOTAL_PARTIAL` is true (see `TotalPartialReasonValues`)."""


class CostStatusValues(Enum):
    """Values of `COST_STATUS`."""

    PRICED = "priced"
    """Priced from the price database: the ``llm.cost.*`` attributes are set."""
    UNKNOWN_MODEL = "unknown_model"
    """The price database has no price for this model (or the span names no model): no cost recorded."""
    UNKNOWN_PROVIDER = "unknown_provider"
    """The price database does not know the span's ``gen_ai.provider.name``: no cost recorded."""
    INVALID_USAGE = "invalid_usage"
    """The token counts are not valid counts (negative, not integers, cached tokens above the input total)."""
    NO_PRICE_DATA = "no_price_data"
    """The ``genai-prices`` package is not installed (or failed to load): no cost recorded."""


class TotalPartialReasonValues(Enum):
    """Values of `TOTAL_PARTIAL_REASONS`."""

    UNPRICED_CALLS = "unpriced_calls"
    """Some LLM calls below could not be priced (`TOTAL_UNPRICED_LLM_CALLS`): the cost is a lower bound."""
    SPANS_DROPPED = "spans_dropped"
    """Spans were dropped (queue full, shutdown) while the span was open: they may have been below it."""
    FORGOTTEN = "forgotten"
    """More spans were open at once than the roll-up tracks: subtotals of some children were forgotten."""

"""Cost of one LLM call from its ``gen_ai.usage.*`` counts, priced by the ``genai-prices`` package (docs/cost.md).

Only the price data bundled with ``genai-prices`` is used: nothing here fetches prices (its ``UpdatePrices`` is
opt-in and never started by us; if another library in the process started it, the version attribute says so).
A model or provider the database does not know is marked (`CostStatusValues`), never priced by a guess.

Runs on the export thread. The package is imported on the first LLM span (about 0.3 s, once; without exposing a
half-imported ``httpx2`` to the application, `_prices_import`); which price entry a
(provider, model) pair has is looked up once and cached; pricing a call (``genai_prices.calc_price``) then takes
about 0.15 ms.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from otel_agent_trace._internal.errors import log_internal_error
from otel_agent_trace.semconv import cost as C
from otel_agent_trace.semconv import gen_ai as G

from ._prices_import import import_genai_prices

SOURCE = "genai-prices"
_MAX_TOKENS = 10**12
"""A count above this is not a real token count (hostile or corrupt): not priced."""
_MAX_CACHED = 4096
_NOT_LLM_OPERATIONS = frozenset(
    v.value
    for v in (
        G.GenAiOperationNameValues.INVOKE_AGENT,
        G.GenAiOperationNameValues.CREATE_AGENT,
        G.GenAiOperationNameValues.EXECUTE_TOOL,
        G.GenAiOperationNameValues.INVOKE_WORKFLOW,
        G.GenAiOperationNameValues.RETRIEVAL,
    )
)


@dataclass(frozen=True)
class Usage:
    """The token counts of one LLM call, as its span reports them (``input`` includes cached tokens)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    """Part of ``output_tokens`` (``gen_ai.usage.reasoning.output_tokens``): priced at a reasoning rate if any."""


@dataclass(frozen=True)
class CallCost:
    """What pricing one call gave: a status, and the amounts in USD when priced."""

    status: C.CostStatusValues
    input_cost: Decimal = Decimal(0)
    output_cost: Decimal = Decimal(0)
    price_model: str | None = None
    source_version: str | None = None

    @property
    def total(self) -> Decimal:
        """Input plus output cost."""
        return self.input_cost + self.output_cost

    def attributes(self) -> dict[str, Any]:
        """The span attributes for this result (`semconv.cost`)."""
        out: dict[str, Any] = {C.COST_STATUS: self.status.value}
        if self.status is C.CostStatusValues.PRICED:
            out[C.LLM_COST_PROMPT] = float(self.input_cost)
            out[C.LLM_COST_COMPLETION] = float(self.output_cost)
            out[C.LLM_COST_TOTAL] = float(self.total)
            out[C.COST_SOURCE] = SOURCE
            if self.source_version:
                out[C.COST_SOURCE_VERSION] = self.source_version
            if self.price_model:
                out[C.COST_PRICE_MODEL] = self.price_model
        return out


def _count(value: Any) -> int | None:
    """``value`` if it is a plausible token count (an int, 0 <= n <= 10**12), else ``None``."""
    if type(value) is int and 0 <= value <= _MAX_TOKENS:  # exact type: a hostile subclass is no count
        return value
    return None


def llm_usage(attributes: Mapping[str, Any]) -> Usage | None:
    """The usage of an LLM call span; ``None`` for no valid token count, or an agent or tool span (their own totals)."""
    operation = attributes.get(G.GEN_AI_OPERATION_NAME)
    if type(operation) is str and operation in _NOT_LLM_OPERATIONS:
        return None
    input_tokens = _count(attributes.get(G.GEN_AI_USAGE_INPUT_TOKENS))
    output_tokens = _count(attributes.get(G.GEN_AI_USAGE_OUTPUT_TOKENS))
    if input_tokens is None and output_tokens is None:
        return None
    return Usage(
        input_tokens=input_tokens or 0,
        output_tokens=output_tokens or 0,
        cache_read_tokens=_count(attributes.get(G.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS)) or 0,
        cache_write_tokens=_count(attributes.get(G.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS)) or 0,
        reasoning_tokens=_count(attributes.get(G.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS)) or 0,
    )


def clean_text(value: Any) -> str | None:
    """``value`` stripped if it is a short non-empty string (a name), else ``None``."""
    return value.strip() or None if type(value) is str and len(value) <= 256 else None


def call_model(attributes: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(provider, model) of an LLM span: ``gen_ai.provider.name`` (or ``gen_ai.system``) and the model.

    The response's model is the exact version billed; the requested one is used when the response did not say.
    """
    provider = clean_text(attributes.get(G.GEN_AI_PROVIDER_NAME)) or clean_text(attributes.get(G.GEN_AI_SYSTEM))
    model = clean_text(attributes.get(G.GEN_AI_RESPONSE_MODEL)) or clean_text(attributes.get(G.GEN_AI_REQUEST_MODEL))
    return provider, model


def _models(attributes: Mapping[str, Any]) -> list[str]:
    """The response's model (the exact version billed), then the requested one if it differs."""
    models = [clean_text(attributes.get(G.GEN_AI_RESPONSE_MODEL)), clean_text(attributes.get(G.GEN_AI_REQUEST_MODEL))]
    return list(dict.fromkeys(m for m in models if m is not None))


class Pricer:
    """Prices LLM calls with ``genai-prices``' bundled data; thread-safe, model lookups cached (bounded)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._models: OrderedDict[tuple[str | None, str], str | C.CostStatusValues | None] = OrderedDict()
        self._snapshot: Any = None
        self._module: Any = None
        self._unavailable = False

    def _prices(self) -> Any:
        """The ``genai_prices`` module, imported on first use; ``None`` if it cannot be imported."""
        if self._module is None and not self._unavailable:
            try:
                genai_prices = import_genai_prices()  # heavy (price data): when the first LLM span comes
            except Exception:  # noqa: BLE001 - not installed or broken: calls are marked, the program goes on
                log_internal_error("cost: import genai_prices")
                self._unavailable = True
                return None
            self._module = genai_prices
        return self._module

    def _provider_id(self, prices: Any, provider: str | None, model: str) -> str | C.CostStatusValues | None:
        """The provider id to price ``model`` under, or the status why it cannot be; cached per (provider, model).

        ``gen_ai.provider.name`` values are matched by the database itself (``aws.bedrock``, ``gcp.vertex_ai``...),
        then with ``_`` read as ``-`` (``x_ai``). Without a provider the database infers it from the model name.
        """
        snapshot = prices.data_snapshot.get_snapshot()
        key = (provider, model)
        with self._lock:
            if snapshot is not self._snapshot:  # prices were updated (by another library): look up again
                self._models.clear()
                self._snapshot = snapshot
            if key in self._models:
                return self._models[key]
        found: str | C.CostStatusValues | None = C.CostStatusValues.UNKNOWN_PROVIDER
        candidates = [provider] if provider is None or "_" not in provider else [provider, provider.replace("_", "-")]
        for candidate in candidates:
            if candidate is not None:
                try:
                    snapshot.find_provider(None, candidate, None)
                except LookupError:
                    continue
            try:
                snapshot.find_provider_model(model, None, candidate, None)
            except LookupError:
                found = C.CostStatusValues.UNKNOWN_MODEL
            else:
                found = candidate
            break
        with self._lock:
            self._models[key] = found
            while len(self._models) > _MAX_CACHED:
                self._models.popitem(last=False)
        return found

    def price(self, attributes: Mapping[str, Any], usage: Usage, start_ns: int | None) -> CallCost:
        """The cost of the call whose span has ``attributes`` and ``usage`` (``genai_prices.calc_price``)."""
        prices = self._prices()
        if prices is None:
            return CallCost(C.CostStatusValues.NO_PRICE_DATA)
        if (
            usage.cache_read_tokens + usage.cache_write_tokens > usage.input_tokens
            or usage.reasoning_tokens > usage.output_tokens
        ):
            return CallCost(C.CostStatusValues.INVALID_USAGE)
        provider = call_model(attributes)[0]
        provider_id: str | C.CostStatusValues | None = C.CostStatusValues.UNKNOWN_MODEL
        model = ""
        for model in _models(attributes):  # the exact version billed, else the model asked for
            provider_id = self._provider_id(prices, provider, model)
            if provider_id is not C.CostStatusValues.UNKNOWN_MODEL:
                break
        if isinstance(provider_id, C.CostStatusValues):
            return CallCost(provider_id)
        try:
            calc = prices.calc_price(
                prices.Usage(
                    input_tokens=usage.input_tokens,
                    output_tokens=usage.output_tokens,
                    cache_read_tokens=usage.cache_read_tokens or None,
                    cache_write_tokens=usage.cache_write_tokens or None,
                    output_reasoning_tokens=usage.reasoning_tokens or None,
                ),
                model,
                provider_id=provider_id,
                genai_request_timestamp=_timestamp(start_ns),
                price_context=_price_context(attributes),
            )
        except LookupError:
            return CallCost(C.CostStatusValues.UNKNOWN_MODEL)
        except ValueError:
            return CallCost(C.CostStatusValues.INVALID_USAGE)
        version = str(getattr(prices, "__version__", "unknown"))
        if isinstance(calc.auto_update_timestamp, datetime):
            version += f"+updated.{calc.auto_update_timestamp.isoformat()}"
        return CallCost(
            C.CostStatusValues.PRICED,
            input_cost=Decimal(calc.input_price),
            output_cost=Decimal(calc.output_price),
            price_model=f"{calc.provider.id}/{calc.model.id}",
            source_version=version,
        )


def _timestamp(start_ns: int | None) -> datetime:
    """When the call was made (prices change over time); now if the span does not say."""
    if isinstance(start_ns, int) and 0 < start_ns < 2**63:
        return datetime.fromtimestamp(start_ns / 1e9, tz=timezone.utc)
    return datetime.now(tz=timezone.utc)


def _price_context(attributes: Mapping[str, Any]) -> dict[str, str] | None:
    """The service tier OpenAI reported (flex and priority calls are priced at their own rates)."""
    tier = attributes.get(G.OPENAI_RESPONSE_SERVICE_TIER)
    if type(tier) is str and 0 < len(tier) <= 32:  # genai-prices applies it only where the provider has tiers
        return {"service_tier": tier}
    return None

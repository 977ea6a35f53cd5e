"""Import ``genai_prices`` on the export thread without exposing a half-imported ``httpx2`` to the application.

``genai_prices`` imports ``httpx2`` (for its opt-in price updater, ``genai_prices.update_prices``, which we never
start). While a module is being imported, ``sys.modules`` already holds it, half-initialized. The openai SDK
probes ``sys.modules.get("httpx2")`` whenever it builds a client or a request (``openai._httpx2``), and reading
``httpx2.URL`` off a half-imported module raises ``AttributeError`` in the application's thread. Importing
``genai_prices`` on our export thread while the application makes an openai client is such a race (seen: a
zero-code AG2 program failed in ``OpenAI()`` right after its first LLM call was priced).

So, when ``httpx2`` is not already imported, ``genai_prices`` is imported with its ``update_prices`` submodule
stood in for by `_lazy_update_prices`, whose three names load the real submodule when called. The stand-in is in
``sys.modules`` only during the import; afterwards ``import genai_prices.update_prices`` loads the real one.
"""

from __future__ import annotations

import importlib
import sys
import threading
from types import ModuleType
from typing import Any

_UPDATE_PRICES = "genai_prices.update_prices"
_lock = threading.Lock()


def _real_update_prices() -> Any:
    return importlib.import_module(_UPDATE_PRICES)


class _UpdatePrices:
    """Stands in for ``genai_prices.UpdatePrices``: constructing it gives the real one."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        return _real_update_prices().UpdatePrices(*args, **kwargs)


def _wait_prices_updated_sync(*args: Any, **kwargs: Any) -> Any:
    return _real_update_prices().wait_prices_updated_sync(*args, **kwargs)


async def _wait_prices_updated_async(*args: Any, **kwargs: Any) -> Any:
    return await _real_update_prices().wait_prices_updated_async(*args, **kwargs)


def _lazy_update_prices() -> ModuleType:
    module = ModuleType(_UPDATE_PRICES, "Stand-in while genai_prices is imported: names load the real module.")
    module.UpdatePrices = _UpdatePrices  # type: ignore[attr-defined]
    module.wait_prices_updated_sync = _wait_prices_updated_sync  # type: ignore[attr-defined]
    module.wait_prices_updated_async = _wait_prices_updated_async  # type: ignore[attr-defined]
    return module


def import_genai_prices() -> ModuleType:
    """``genai_prices``, imported so that no half-imported ``httpx2`` is visible meanwhile (ImportError if absent)."""
    loaded = sys.modules.get("genai_prices")
    if loaded is not None:
        return loaded
    with _lock:
        if "httpx2" in sys.modules or _UPDATE_PRICES in sys.modules:
            return importlib.import_module("genai_prices")
        stand_in = _lazy_update_prices()
        sys.modules[_UPDATE_PRICES] = stand_in
        try:
            return importlib.import_module("genai_prices")
        finally:
            if sys.modules.get(_UPDATE_PRICES) is stand_in:
                del sys.modules[_UPDATE_PRICES]

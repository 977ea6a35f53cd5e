"""``genai_prices`` is imported on the export thread without a half-imported ``httpx2`` visible to the application.

The openai SDK (2.x) probes ``sys.modules.get("httpx2")`` when it builds a client and reads ``httpx2.URL`` off it;
``genai_prices`` imports ``httpx2``. Importing it plainly on a background thread while the application probes
raised ``AttributeError`` in the application (thousands of times in a loop, seen with openai 2.54). Each check
runs in a fresh interpreter, where nothing has imported ``httpx2`` yet.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

RACE = textwrap.dedent(
    """
    import sys, threading
    from otel_agent_trace.processor._prices_import import import_genai_prices

    def probe():  # what openai._httpx2.normalize_httpx_url does on every client
        module = sys.modules.get("httpx2")
        if module is not None:
            module.URL

    assert "httpx2" not in sys.modules
    thread = threading.Thread(target=import_genai_prices)
    errors = 0
    thread.start()
    while thread.is_alive():
        try:
            probe()
        except AttributeError:
            errors += 1
    thread.join()
    import genai_prices
    stood_in = "genai_prices.update_prices" in sys.modules
    print(errors, "httpx2" in sys.modules, stood_in, callable(genai_prices.calc_price))
    """
)

AFTER = textwrap.dedent(
    """
    import sys
    from otel_agent_trace.processor._prices_import import import_genai_prices

    prices = import_genai_prices()
    from genai_prices import UpdatePrices, wait_prices_updated_sync
    from genai_prices.update_prices import UpdatePrices as Real

    updater = UpdatePrices()  # the real updater (not started: no network)
    print(type(updater) is Real, "httpx2" in sys.modules, callable(wait_prices_updated_sync))
    usage = prices.Usage(input_tokens=1000, output_tokens=100)
    print(prices.calc_price(usage, model_ref="gpt-4o", provider_id="openai").total_price > 0)
    """
)


def _run(code: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.split()


def test_no_half_imported_httpx2_is_visible_while_genai_prices_is_imported() -> None:
    errors, httpx2, update_prices, priced = _run(RACE)
    assert errors == "0"
    assert httpx2 == "False"  # not imported at all: genai_prices' updater module stood in for during the import
    assert update_prices == "False"  # the stand-in is gone once the import is done
    assert priced == "True"


def test_genai_prices_updater_still_works_for_whoever_uses_it_afterwards() -> None:
    assert _run(AFTER) == ["True", "True", "True", "True"]

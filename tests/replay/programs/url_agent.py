"""An agent whose step fetches a URL with ``urllib`` (not served by a replay): ``URL_AGENT_URL``."""

from __future__ import annotations

import os
import urllib.request

import otel_agent_trace as oat


@oat.tool_call("noop")
def noop() -> int:
    return 1


def main() -> None:
    oat.init("url-agent", instrumentors="none", set_global=False)
    with oat.agent_run("url-agent"):
        noop()
        with oat.step("fetch"), urllib.request.urlopen(os.environ["URL_AGENT_URL"]) as response:
            print(response.status)


if __name__ == "__main__":
    main()

"""The openai instrumentor tests' mock server, answering with the ``service_tier`` the real API always returns.

The OpenAI API puts ``service_tier`` on every chat completion, every streamed chunk and every Responses API object
(``"default"`` unless another tier served it); the instrumentor tests' mock leaves it off chunks and responses.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from tests.instrumentation._servers import serving
from tests.instrumentation.openai.mock_server import Handler, MockOpenAIServer

TIER = "default"


def _with_tier(payload: Any) -> Any:
    if isinstance(payload, dict):
        if payload.get("object") in ("chat.completion", "chat.completion.chunk", "response"):
            payload.setdefault("service_tier", TIER)
        inner = payload.get("response")
        if isinstance(inner, dict):
            inner.setdefault("service_tier", TIER)
    return payload


class TierHandler(Handler):
    def _json(self, status: int, payload: Any) -> None:
        super()._json(status, _with_tier(payload))

    def _sse(self, events: list[dict[str, Any]], named: bool) -> None:
        super()._sse([_with_tier(event) for event in events], named)


class TierServer(MockOpenAIServer):
    def __init__(self) -> None:
        super(MockOpenAIServer, self).__init__(("127.0.0.1", 0), TierHandler)
        self.requests: list[tuple[str, dict[str, str], dict[str, Any]]] = []


def running_server() -> AbstractContextManager[TierServer]:
    """The server, running for the duration of a ``with`` block."""
    return serving(TierServer())

"""What recording and replaying a run share between the manual API, the HTTP recorder and the replay runner.

Recording (``record_replay`` setting, which needs content capture) adds small fingerprints to spans; replaying
installs a `ReplayServer` (only in the ``python -m otel_agent_trace.replay`` subprocess) that the manual API asks
before running a decorated ``tool_call`` or ``agent_step``. Nothing here imports a client library.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from typing import Any, Final, Protocol

from otel_agent_trace._internal.settings import get_settings
from otel_agent_trace.semconv.replay import REPLAY_RESULT_KIND

__all__ = [
    "NOT_SERVED",
    "ReplayServer",
    "ReplayStop",
    "arguments_hash",
    "body_fingerprint",
    "mark_result_kind",
    "next_seq",
    "recording",
    "replay_server",
    "request_summary",
    "set_replay_server",
]

NOT_SERVED: Final = object()
"""Returned by `ReplayServer.serve` when the call is to run for real."""

CANONICAL_LIMIT = 256 * 1024
"""Bodies up to this size are hashed as canonical JSON (key order does not matter); larger ones byte for byte.

Parsing is the costly part of a fingerprint on the app thread, so it stops at the default span budget; a plain
SHA-256 of a larger body costs a few ms per MiB (3.4 ms measured on this 2-CPU box under load)."""


class ReplayStop(BaseException):
    """Raised inside a replayed program to stop it: it diverged from the recording, or needs a value not recorded.

    A ``BaseException`` on purpose: SDK retry loops and the user's ``except Exception`` must not swallow it.
    """


class ReplayServer(Protocol):
    """The replay runner's side: numbers operations and serves recorded (or overridden) results."""

    def occurrence(self, kind: str, name: str) -> int:
        """The 0-based index of this ``kind`` (``tool``/``step``) operation among those of the same name so far."""

    def serve(self, kind: str, name: str, index: int, arguments: str | None) -> Any:
        """The value to return instead of running the function, `NOT_SERVED` to run it, or raise.

        ``arguments`` is the call's serialized arguments (tools, with content capture), else ``None``.
        """


_server: ReplayServer | None = None
_seq = itertools.count()


def replay_server() -> ReplayServer | None:
    """The installed replay server (``None`` outside a replay: one global read on the hot path)."""
    return _server


def set_replay_server(server: ReplayServer | None) -> None:
    """Install (or remove, with ``None``) the replay server."""
    global _server
    _server = server


def recording() -> bool:
    """Whether replay data is recorded: ``record_replay`` on, and content capture on (results are content)."""
    settings = get_settings()
    return settings.record_replay and settings.capture_content


def mark_result_kind(span: Any, result: Any) -> None:
    """Recording or replaying: note on a framework tool's span whether its recorded result is a string or JSON.

    Called by the instrumentors right after they set ``gen_ai.tool.call.result`` from ``result`` (content capture);
    set in a replay too, so that a replayed span equals the recorded one. Never raises.
    """
    if result is None or (_server is None and not recording()):
        return
    try:
        span.set_attribute(REPLAY_RESULT_KIND, "str" if issubclass(type(result), str) else "json")
    except Exception:  # noqa: BLE001 - a span object without set_attribute: nothing recorded, the program goes on
        return


def next_seq() -> int:
    """The next ordinal of a recorded HTTP exchange in this process."""
    return next(_seq)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def arguments_hash(serialized: str) -> str:
    """Fingerprint of a tool call's serialized arguments."""
    return _digest(serialized.encode("utf-8", "surrogatepass"))


def body_fingerprint(body: bytes | None) -> tuple[str, str | None]:
    """Fingerprint of a request body, and its ``model`` field when it is a JSON object that names one.

    The hash is over canonical JSON when the body parses (and is at most `CANONICAL_LIMIT`: key order does not
    matter), else over the bytes; ``None`` (a streamed body nobody read) hashes as ``stream``.
    """
    if body is None:
        return "stream", None
    if body and len(body) <= CANONICAL_LIMIT and body[:1] in (b"{", b"["):
        try:
            parsed = json.loads(body)
        except ValueError:
            pass
        else:
            canonical = json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            model = parsed.get("model") if isinstance(parsed, dict) else None
            return _digest(canonical.encode("utf-8", "surrogatepass")), model if isinstance(model, str) else None
    return _digest(body), None


def request_summary(method: str, path: str, model: str | None) -> str:
    """``POST /v1/chat/completions model=gpt-4o``: the request as divergence reports show it."""
    return f"{method} {path}" + (f" model={model}" if model else "")

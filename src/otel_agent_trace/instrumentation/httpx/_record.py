"""Recording of raw HTTP exchanges for ``rca.replay``, at the ``httpx`` transport (all our LLM SDKs use httpx).

With ``record_replay`` (and content capture) on, every exchange made under a recording span gets one
``agent_trace.replay.http`` event on that span (the LLM span for SDK calls): the request's fingerprint (method,
path, body hash) and the response's status, headers and body. The body is teed while the caller reads it, so a
streamed response is recorded byte for byte without being read ahead; at most ``max_attribute_bytes`` are kept
(beyond that the event says ``complete=False`` and a replay refuses to serve it). ``gzip``/``deflate`` bodies are
recorded decoded. Both ``httpx`` and its fork ``httpx2`` (which recent openai/anthropic SDKs use) are patched.
The event is added when the body has been read to its end or the stream closed (an SDK closes an SSE stream
after its last event; a stream closed early is recorded as far as it was read), which for the SDKs is before
their LLM span ends; a body read only after its span ended is not recorded (logged at INFO).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging

from otel_agent_trace._internal.errors import handle_internal_errors

__all__ = ["disable_recording", "enable_recording"]

logger = logging.getLogger("otel_agent_trace")


def enable_recording(capture_content: bool) -> None:
    """Record httpx exchanges for replay from now on (idempotent); warns and records nothing without content capture.

    The transports are patched once; each request checks the settings, so turning ``record_replay`` off later
    stops recording. Without httpx installed there is nothing to patch (tool results are still recorded).
    """
    if not capture_content:
        logger.warning(
            "otel-agent-trace: record_replay needs content capture (capture_content=True or "
            "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true): nothing is recorded for replay"
        )
        return
    with handle_internal_errors("replay.enable_recording"):
        _each_library("install")


def disable_recording() -> None:
    """Undo `enable_recording` (restore the transports)."""
    with handle_internal_errors("replay.disable_recording"):
        _each_library("uninstall")


def _each_library(action: str) -> None:
    """Install (or uninstall) the recorder on each httpx-compatible library that is installed."""
    from . import _tee

    for name in _tee.LIBRARIES:
        if importlib.util.find_spec(name) is not None:
            getattr(_tee, action)(importlib.import_module(name))

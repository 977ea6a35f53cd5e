"""Record/replay attributes: what a recorded run keeps so that ``rca.replay`` can serve it back (docs/replay.md).

Recorded only with ``init(record_replay=True)`` (or ``OTEL_AGENT_TRACE_RECORD_REPLAY=true``) and content capture.
"""

from __future__ import annotations

from typing import Final

REPLAY_RESULT_KIND: Final = "agent_trace.replay.result_kind"
"""On a ``tool_call`` or a framework tool span: how its ``gen_ai.tool.call.result`` decodes: ``str`` or ``json``."""
REPLAY_ARGUMENTS_HASH: Final = "agent_trace.replay.arguments_hash"
"""On a ``tool_call`` span: SHA-256 (first 16 hex digits) of its serialized arguments, taken before redaction."""

REPLAY_HTTP_EVENT: Final = "agent_trace.replay.http"
"""Event name: one HTTP exchange (request fingerprint + raw response) made under the span (httpx)."""
REPLAY_SEQ: Final = "agent_trace.replay.seq"
"""Event attribute: the exchange's ordinal in the recording process (replay serves exchanges in this order)."""
REPLAY_REQUEST_METHOD: Final = "agent_trace.replay.request.method"
"""Event attribute: the request's HTTP method."""
REPLAY_REQUEST_PATH: Final = "agent_trace.replay.request.path"
"""Event attribute: the request URL's path (no host, no query: ports of local servers change between runs)."""
REPLAY_REQUEST_HASH: Final = "agent_trace.replay.request.hash"
"""Event attribute: SHA-256 (first 16 hex digits) of the request body (canonical JSON when it is JSON)."""
REPLAY_REQUEST_SUMMARY: Final = "agent_trace.replay.request.summary"
"""Event attribute: a short description of the request (method, path, model) for divergence reports."""
REPLAY_RESPONSE_STATUS: Final = "agent_trace.replay.response.status"
"""Event attribute: the response's HTTP status code."""
REPLAY_RESPONSE_HEADERS: Final = "agent_trace.replay.response.headers"
"""Event attribute: the response headers as a JSON list of ``[name, value]`` (no encoding/length/cookie headers)."""
REPLAY_RESPONSE_BODY: Final = "agent_trace.replay.response.body"
"""Event attribute: the raw (decoded) response body; for a streamed response, every byte of the stream."""
REPLAY_RESPONSE_BODY_ENCODING: Final = "agent_trace.replay.response.body_encoding"
"""Event attribute: ``utf-8`` (the body is the text) or ``base64`` (binary body)."""
REPLAY_RESPONSE_SIZE: Final = "agent_trace.replay.response.size"
"""Event attribute: the body's full length in bytes (a recorded body shorter than this was cut)."""
REPLAY_RESPONSE_COMPLETE: Final = "agent_trace.replay.response.complete"
"""Event attribute: False when the body exceeded the budget or has an encoding not decoded (``br``...)."""
REPLAY_ERROR_TYPE: Final = "agent_trace.replay.error.type"
"""Event attribute: instead of a response, the transport raised this ``httpx`` exception (class name)."""
REPLAY_ERROR_MESSAGE: Final = "agent_trace.replay.error.message"
"""Event attribute: the message of that transport exception."""

"""Our tool-call attributes, beside the official ``gen_ai.tool.*`` ones."""

from __future__ import annotations

from typing import Final

TOOL_LATENCY_MS: Final = "agent_trace.tool.latency_ms"
"""Wall time of the tool call in milliseconds."""
TOOL_STATUS: Final = "agent_trace.tool.status"
"""``ok`` or ``error``."""
TOOL_EXTERNAL: Final = "agent_trace.tool.external"
"""True on an HTTP span made inside a tool call: the tool's external interaction."""
TOOL_PARENT_NAME: Final = "agent_trace.tool.parent_name"
"""On an HTTP span made inside a tool call: the tool's `gen_ai.tool.name`."""
HTTP_REQUEST_BODY: Final = "agent_trace.http.request.body"
"""On an HTTP client span, with content capture on: the first 8 KiB of the request body (text)."""
HTTP_RESPONSE_BODY: Final = "agent_trace.http.response.body"
"""On an HTTP client span, with content capture on: the first 8 KiB of an already-read response body (text)."""

"""Official Model Context Protocol attribute names (same strings as ``opentelemetry-semantic-conventions``)."""

from __future__ import annotations

from enum import Enum
from typing import Final

MCP_METHOD_NAME: Final = "mcp.method.name"
"""The name of the MCP request or notification method (see `McpMethodNameValues`)."""
MCP_PROTOCOL_VERSION: Final = "mcp.protocol.version"
"""The version of the Model Context Protocol in use."""
MCP_RESOURCE_URI: Final = "mcp.resource.uri"
"""The value of the resource URI of a ``resources/*`` request."""
MCP_SESSION_ID: Final = "mcp.session.id"
"""Identifies the MCP session."""


class McpMethodNameValues(Enum):
    """Values of `MCP_METHOD_NAME` (the ones our instrumentors emit)."""

    TOOLS_CALL = "tools/call"
    TOOLS_LIST = "tools/list"
    PROMPTS_GET = "prompts/get"
    RESOURCES_READ = "resources/read"

"""Which span schema the installed ADK records by default (2.11: the legacy one; 2.13: the semconv-aligned one)."""

from __future__ import annotations


def default_is_legacy() -> bool:
    """Whether ADK's default schema here is the legacy one (``invocation`` > ``invoke_agent`` > ``call_llm``)."""
    from google.adk.telemetry._schema_version import (  # type: ignore[import-untyped]
        SCHEMA_VERSION_LEGACY,
        resolve_schema_version,
    )

    return bool(resolve_schema_version() == SCHEMA_VERSION_LEGACY)

"""Process-wide settings: explicit ``init()`` arguments > environment variables > defaults."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from otel_agent_trace.environment_variables import (
    OTEL_AGENT_TRACE_DIAGNOSE_BUFFER,
    OTEL_AGENT_TRACE_ENVIRONMENT,
    OTEL_AGENT_TRACE_MAX_ATTRIBUTE_BYTES,
    OTEL_AGENT_TRACE_MAX_SPAN_BYTES,
    OTEL_AGENT_TRACE_RECORD_REPLAY,
    OTEL_AGENT_TRACE_REDACT_DISABLE,
    OTEL_AGENT_TRACE_REDACT_PATTERNS,
    OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT,
)

if TYPE_CHECKING:
    from otel_agent_trace._internal._secret_rules import SecretRule

_TRUE = {"1", "true", "yes", "on", "span_only", "span_and_event"}
_FALSE = {"", "0", "false", "no", "off", "no_content", "event_only"}

DEFAULT_MAX_ATTRIBUTE_BYTES = 16 * 1024
"""Jaeger's UI and Tempo handle values of this size comfortably; larger values are truncated."""
DEFAULT_MAX_SPAN_BYTES = 256 * 1024
"""Well below Jaeger's and Tempo's default 4 MiB gRPC message limit, even in a batch of several spans."""
DEFAULT_DIAGNOSE_BUFFER = 1000
"""Spans each processor keeps in memory for ``diagnose()`` (0 turns the buffer off)."""


class ConfigurationError(ValueError):
    """A setting of otel-agent-trace has a value it cannot use; the message names the setting and the value."""


def parse_bool(name: str, raw: str | None, default: bool) -> bool:
    """Parse a boolean setting, raising `ConfigurationError` naming ``name`` on an unknown value."""
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(f"{name}={raw!r} is not a boolean; use true or false")


def parse_positive_int(name: str, raw: str | int | None, default: int) -> int:
    """Parse a positive integer setting, raising `ConfigurationError` naming ``name`` otherwise."""
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{name}={raw!r} is not an integer") from None
    if value <= 0:
        raise ConfigurationError(f"{name}={raw!r} must be a positive integer")
    return value


def parse_count(name: str, raw: str | int | None, default: int) -> int:
    """Parse a count that may be 0, raising `ConfigurationError` naming ``name`` otherwise."""
    if raw is None or raw == "":
        return default
    return 0 if str(raw).strip() == "0" else parse_positive_int(name, raw, default)


def compile_patterns(name: str, patterns: list[str] | tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """Compile user redaction patterns, raising `ConfigurationError` naming the bad one."""
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern))
        except re.error as exc:
            raise ConfigurationError(f"{name}: invalid regular expression {pattern!r}: {exc}") from None
    return tuple(compiled)


def parse_rule_ids(name: str, raw: str | Iterable[str] | None) -> tuple[str, ...]:
    """Parse redaction rule ids (comma-separated or a list), raising `ConfigurationError` naming an unknown one."""
    if raw is None:
        return ()
    from otel_agent_trace._internal._secret_rules import RULE_IDS  # the rule table loads only when needed

    items = raw.split(",") if isinstance(raw, str) else list(raw)
    ids = tuple(dict.fromkeys(str(i).strip() for i in items if str(i).strip()))
    unknown = [i for i in ids if i not in RULE_IDS]
    if unknown:
        raise ConfigurationError(
            f"{name}: unknown redaction rule id(s) {', '.join(map(repr, unknown))}; the ids are listed in "
            "docs/redaction.md"
        )
    return ids


@dataclass(frozen=True)
class Settings:
    """What the manual API, the instrumentors and the processor need to know."""

    capture_content: bool = False
    max_attribute_bytes: int = DEFAULT_MAX_ATTRIBUTE_BYTES
    max_span_bytes: int = DEFAULT_MAX_SPAN_BYTES
    redact_patterns: tuple[re.Pattern[str], ...] = field(default=())
    redact_disable: tuple[str, ...] = ()
    redact_rules: tuple[SecretRule, ...] = ()
    environment: str | None = None
    record_replay: bool = False
    """Record what ``rca.replay`` needs to serve the run back (docs/replay.md); only with ``capture_content``."""
    diagnose_buffer: int = DEFAULT_DIAGNOSE_BUFFER
    """Spans each `AgentSpanProcessor` keeps for ``diagnose()`` (0: no buffer)."""

    @classmethod
    def from_env(cls) -> Settings:
        """Read the settings from the environment."""
        extra = os.environ.get(OTEL_AGENT_TRACE_REDACT_PATTERNS, "")
        return cls(
            capture_content=parse_bool(
                OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT,
                os.environ.get(OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT),
                False,
            ),
            max_attribute_bytes=parse_positive_int(
                OTEL_AGENT_TRACE_MAX_ATTRIBUTE_BYTES,
                os.environ.get(OTEL_AGENT_TRACE_MAX_ATTRIBUTE_BYTES),
                DEFAULT_MAX_ATTRIBUTE_BYTES,
            ),
            max_span_bytes=parse_positive_int(
                OTEL_AGENT_TRACE_MAX_SPAN_BYTES, os.environ.get(OTEL_AGENT_TRACE_MAX_SPAN_BYTES), DEFAULT_MAX_SPAN_BYTES
            ),
            redact_patterns=compile_patterns(
                OTEL_AGENT_TRACE_REDACT_PATTERNS, [p for p in extra.split(";;") if p.strip()]
            ),
            redact_disable=parse_rule_ids(
                OTEL_AGENT_TRACE_REDACT_DISABLE, os.environ.get(OTEL_AGENT_TRACE_REDACT_DISABLE)
            ),
            environment=os.environ.get(OTEL_AGENT_TRACE_ENVIRONMENT) or None,
            diagnose_buffer=parse_count(
                OTEL_AGENT_TRACE_DIAGNOSE_BUFFER,
                os.environ.get(OTEL_AGENT_TRACE_DIAGNOSE_BUFFER),
                DEFAULT_DIAGNOSE_BUFFER,
            ),
            record_replay=parse_bool(
                OTEL_AGENT_TRACE_RECORD_REPLAY, os.environ.get(OTEL_AGENT_TRACE_RECORD_REPLAY), False
            ),
        )


_settings: Settings | None = None


def get_settings() -> Settings:
    """The settings in force (read from the environment on first use)."""
    global _settings
    if _settings is None:
        _settings = Settings.from_env()
    return _settings


def set_settings(settings: Settings | None) -> None:
    """Replace the settings; ``None`` makes the next `get_settings` read the environment again."""
    global _settings
    _settings = settings


def update_settings(**changes: object) -> Settings:
    """Change some settings, keeping the rest."""
    new = replace(get_settings(), **changes)  # type: ignore[arg-type]
    set_settings(new)
    return new


def capture_content() -> bool:
    """Whether prompts, arguments, results, state and rationale are recorded."""
    return get_settings().capture_content

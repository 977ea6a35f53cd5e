"""Process-wide settings: explicit ``init()`` arguments > environment variables > defaults."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import TYPE_CHECKING

from otel_agent_trace.environment_variables import (
    OTEL_AGENT_TRACE_COST,
    OTEL_AGENT_TRACE_DIAGNOSE_BUFFER,
    OTEL_AGENT_TRACE_ENVIRONMENT,
    OTEL_AGENT_TRACE_MAX_ATTRIBUTE_BYTES,
    OTEL_AGENT_TRACE_MAX_SPAN_BYTES,
    OTEL_AGENT_TRACE_OPENINFERENCE,
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


class ContentMode(Enum):
    """Where captured content goes (``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``; docs/content.md)."""

    NO_CONTENT = "NO_CONTENT"
    SPAN_ONLY = "SPAN_ONLY"
    EVENT_ONLY = "EVENT_ONLY"
    SPAN_AND_EVENT = "SPAN_AND_EVENT"

    @property
    def events(self) -> bool:
        """Whether inference content is emitted as ``gen_ai.client.inference.operation.details`` log events."""
        return self in (ContentMode.EVENT_ONLY, ContentMode.SPAN_AND_EVENT)


_LEGACY_MODES = {
    **dict.fromkeys(("true", "1", "yes", "on"), ContentMode.SPAN_ONLY),
    **dict.fromkeys(("false", "0", "no", "off", ""), ContentMode.NO_CONTENT),
}
_content_mode_warned: list[bool] = [False]


def parse_content_mode(name: str, raw: str | ContentMode | None, default: ContentMode) -> ContentMode:
    """Parse a content mode (any case; legacy ``true``/``false``), raising `ConfigurationError` naming ``name``."""
    if raw is None:
        return default
    if isinstance(raw, ContentMode):
        return raw
    value = str(raw).strip()
    if value.lower() in _LEGACY_MODES:
        return _LEGACY_MODES[value.lower()]
    try:
        return ContentMode[value.upper()]
    except KeyError:
        raise ConfigurationError(
            f"{name}={raw!r} is not a content mode; use one of {', '.join(m.value for m in ContentMode)} "
            "(or the legacy true/false)"
        ) from None


def content_mode_from_env(*, strict: bool = True) -> ContentMode:
    """The mode ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` asks for (``NO_CONTENT`` when unset).

    With ``strict`` an unknown value raises `ConfigurationError`; without, it is a WARNING (once) and
    ``NO_CONTENT``: the distro and the lazily read settings never break the program's start-up.
    """
    raw = os.environ.get(OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT)
    try:
        return parse_content_mode(OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT, raw, ContentMode.NO_CONTENT)
    except ConfigurationError as exc:
        if strict:
            raise
        if not _content_mode_warned[0]:
            _content_mode_warned[0] = True
            logging.getLogger("otel_agent_trace").warning("%s; no content is captured (NO_CONTENT)", exc)
        return ContentMode.NO_CONTENT


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
    """Whether the instrumentors and the manual API capture content (every `ContentMode` but ``NO_CONTENT``)."""
    content_mode: ContentMode | None = None
    """Where content goes when ``capture_content`` is on (None: ``SPAN_ONLY``); read it through `mode`."""
    max_attribute_bytes: int = DEFAULT_MAX_ATTRIBUTE_BYTES
    max_span_bytes: int = DEFAULT_MAX_SPAN_BYTES
    redact_patterns: tuple[re.Pattern[str], ...] = field(default=())
    redact_disable: tuple[str, ...] = ()
    redact_rules: tuple[SecretRule, ...] = ()
    environment: str | None = None
    cost: bool = True
    """Price LLM calls and write the cost totals on agent and root spans (docs/cost.md)."""
    record_replay: bool = False
    """Record what ``rca.replay`` needs to serve the run back (docs/replay.md); only with ``capture_content``."""
    diagnose_buffer: int = DEFAULT_DIAGNOSE_BUFFER
    """Spans each `AgentSpanProcessor` keeps for ``diagnose()`` (0: no buffer)."""
    openinference: bool = True
    """Add the OpenInference view (``openinference.span.kind``, ``input.value``...) on export (docs/viewers.md)."""

    @property
    def mode(self) -> ContentMode:
        """The mode in force: ``NO_CONTENT`` unless ``capture_content``, else ``content_mode`` (or ``SPAN_ONLY``)."""
        if not self.capture_content:
            return ContentMode.NO_CONTENT
        if self.content_mode is None or self.content_mode is ContentMode.NO_CONTENT:
            return ContentMode.SPAN_ONLY
        return self.content_mode

    @classmethod
    def from_env(cls, *, strict: bool = True) -> Settings:
        """Read the settings from the environment (``strict=False``: an unknown content mode warns, see below).

        Raises:
            ConfigurationError: a variable has a value that cannot be used (with ``strict=False``, not for the
                content mode: `content_mode_from_env`).
        """
        extra = os.environ.get(OTEL_AGENT_TRACE_REDACT_PATTERNS, "")
        mode = content_mode_from_env(strict=strict)
        return cls(
            capture_content=mode is not ContentMode.NO_CONTENT,
            content_mode=mode,
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
            cost=parse_bool(OTEL_AGENT_TRACE_COST, os.environ.get(OTEL_AGENT_TRACE_COST), True),
            diagnose_buffer=parse_count(
                OTEL_AGENT_TRACE_DIAGNOSE_BUFFER,
                os.environ.get(OTEL_AGENT_TRACE_DIAGNOSE_BUFFER),
                DEFAULT_DIAGNOSE_BUFFER,
            ),
            record_replay=parse_bool(
                OTEL_AGENT_TRACE_RECORD_REPLAY, os.environ.get(OTEL_AGENT_TRACE_RECORD_REPLAY), False
            ),
            openinference=parse_bool(
                OTEL_AGENT_TRACE_OPENINFERENCE, os.environ.get(OTEL_AGENT_TRACE_OPENINFERENCE), True
            ),
        )


_settings: Settings | None = None


def get_settings() -> Settings:
    """The settings in force (read from the environment on first use)."""
    global _settings
    if _settings is None:
        _settings = Settings.from_env(strict=False)
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
    """Whether prompts, arguments, results, state and rationale are recorded (any content mode but NO_CONTENT)."""
    return get_settings().capture_content

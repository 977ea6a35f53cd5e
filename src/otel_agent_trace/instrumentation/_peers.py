"""Other GenAI instrumentors on the same SDK ("peers"): one LLM span per call, tokens counted once.

OpenInference, OpenLLMetry and the official contrib instrumentations (openai-v2, google-genai, botocore) each start
an LLM span for an openai, anthropic, google-genai or Bedrock call (the table: `_peers_table.PEERS`). With ours
installed as well, one call would become two or three nested LLM spans, each with the token usage.
``OTEL_AGENT_TRACE_PEER_POLICY`` chooses which span a call keeps:

``ours`` (default)
    One span with our attributes, whatever the order of instrumentation:

    - our wrapper outside the peer's (the peer instrumented first, or OpenInference, which patches the client's
      ``request`` below every ``create``): inside our span the peers are told to step aside. OpenLLMetry reads its
      ``suppress_language_model_instrumentation`` context key, OpenInference the OTel suppression key
      (``_SUPPRESS_INSTRUMENTATION_KEY``, which silences every instrumentation inside the SDK call, HTTP spans
      included), and a peer that reads neither (openai-v2) is called past: the wrapt wrapper it put directly
      beneath ours is skipped for that call (`past_peers`).
    - the peer's wrapper outside ours (it instrumented after us, or it wraps the public google-genai method or the
      boto3 client's method above the one ours wraps; `calling_peer` finds its frame): its span is
      already started when ours runs, so ours starts none. If the peer made its span current, ours records its
      attributes on it (`AdoptedSpan`; the peer ends it); if not (OpenLLMetry's anthropic), ours records nothing.

    Not reachable: two peers that both patched after ours nest among themselves (docs/setup.md, "Limits").

    A framework that emits its own GenAI inference span around the SDK call (Pydantic AI's ``chat {model}``,
    `FRAMEWORK_SCOPES`) is not an instrumentor of the SDK, but its span is the same call: when it is current and
    live, ours records on it (`AdoptedSpan`, `framework_span`); ``theirs`` records nothing, ``both`` nests.
``theirs``
    Our LLM instrumentors record nothing whenever a peer instruments the same SDK (their span is made
    non-recording; our agent, step and tool spans, and the processor's enrichment of every span, stay).
``both``
    Nothing is coordinated: nested spans, tokens on each (as before this module existed).

The first call that meets a peer logs one WARNING naming it and the variable (INFO when the variable is set).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import Token
from types import FrameType
from typing import Any

import wrapt
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import _SUPPRESS_HTTP_INSTRUMENTATION_KEY, _SUPPRESS_INSTRUMENTATION_KEY, Context
from opentelemetry.trace import NonRecordingSpan, Span, SpanKind, Status, StatusCode
from opentelemetry.util.types import Attributes, AttributeValue

from otel_agent_trace._internal.errors import log_internal_error
from otel_agent_trace.environment_variables import OTEL_AGENT_TRACE_PEER_POLICY

from ._peers_table import PEERS, SDK_MODULES, Peer

logger = logging.getLogger("otel_agent_trace")

OURS = "ours"
THEIRS = "theirs"
BOTH = "both"
POLICIES = (OURS, THEIRS, BOTH)

OPENLLMETRY_SUPPRESS_KEY = "suppress_language_model_instrumentation"
"""OpenLLMetry's context key (``opentelemetry.semconv_ai.SUPPRESS_LANGUAGE_MODEL_INSTRUMENTATION_KEY``)."""

_LLM_OPERATIONS = frozenset({"chat", "text_completion", "embeddings", "generate_content"})
FRAMEWORK_SCOPES = ("pydantic-ai", "gcp.vertex.agent", "opentelemetry.instrumentation.ag2")
"""Scopes of frameworks whose own LLM span wraps the SDK call: Pydantic AI, Google ADK, AG2 Classic's
``instrument_llm_wrapper``."""
_FRAMEWORK_SCOPE_NAMES = frozenset(FRAMEWORK_SCOPES)


_BY_LIBRARY: dict[str, tuple[Peer, ...]] = {}
for _peer in PEERS:
    _BY_LIBRARY[_peer.library] = (*_BY_LIBRARY.get(_peer.library, ()), _peer)
_PEER_MODULES = tuple(sorted({p.module for p in PEERS}))
_noted: set[tuple[str, str]] = set()
_PROXY: type[Any] = getattr(wrapt, "BaseObjectProxy", wrapt.ObjectProxy)
"""What every wrapt wrapper is an instance of (wrapt 2's function wrappers are not ``ObjectProxy`` instances)."""


def policy() -> str:
    """``OTEL_AGENT_TRACE_PEER_POLICY`` (``ours`` when unset or not one of ``ours``/``theirs``/``both``)."""
    raw = os.environ.get(OTEL_AGENT_TRACE_PEER_POLICY)
    if raw is None:
        return OURS
    value = raw.strip().lower()
    if value in POLICIES:
        return value
    if ("policy", value) not in _noted:
        _noted.add(("policy", value))
        logger.warning("%s=%r is not one of ours, theirs, both; using ours", OTEL_AGENT_TRACE_PEER_POLICY, raw)
    return OURS


def active_peers(library: str) -> tuple[Peer, ...]:
    """The peers instrumenting ``library`` now (their instrumentor loaded and instrumented; nothing is imported)."""
    found: tuple[Peer, ...] = ()
    for peer in _BY_LIBRARY.get(library, ()):
        module = sys.modules.get(peer.module)
        if module is None:
            continue
        cls = getattr(module, peer.instrumentor, None)
        instance = getattr(cls, "_instance", None)  # BaseInstrumentor is a singleton kept here
        if instance is not None and getattr(instance, "_is_instrumented_by_opentelemetry", False) is True:
            found = (*found, peer)
    return found


def _note(peer: Peer, what: str) -> None:
    key = (peer.distribution, peer.library)
    if key in _noted:
        return
    _noted.add(key)
    chosen = os.environ.get(OTEL_AGENT_TRACE_PEER_POLICY)
    log = logger.info if chosen is not None else logger.warning
    log(
        "%s (%s) also traces %s calls; %s=%s: %s (set it to ours, theirs or both to choose)",
        peer.name,
        peer.distribution,
        peer.library,
        OTEL_AGENT_TRACE_PEER_POLICY,
        policy(),
        what,
    )


def _scope_name(span: Any) -> str | None:
    scope = getattr(span, "instrumentation_scope", None)
    name = getattr(scope, "name", None)
    return name if isinstance(name, str) else None


def _in_scopes(name: str, scopes: Sequence[str]) -> bool:
    return any(name == scope or name.startswith(scope + ".") for scope in scopes)


def calling_peer(peers: Sequence[Peer]) -> Peer | None:
    """The peer whose wrapper called ours for this call (its wrapper is outside ours), if any.

    Up the stack, past our frames, wrapt's and the SDK's own (`SDK_MODULES`: a peer that wraps the public
    ``generate_content`` above the private method ours wraps), the first other frame is the caller: a peer's
    wrapper (or its stream proxy) when the peer is outside ours. Bounded: at most 40 frames are looked at.
    """
    skipped = ("otel_agent_trace.", "wrapt.", *(m + "." for p in peers[:1] for m in SDK_MODULES.get(p.library, ())))
    frame: FrameType | None = sys._getframe(1)
    for _ in range(40):
        if frame is None:
            return None
        module = frame.f_globals.get("__name__")
        if not isinstance(module, str):
            return None
        if module.startswith(skipped) or module == "wrapt":
            frame = frame.f_back
            continue
        for peer in peers:
            if _in_scopes(module, (peer.module, *peer.frames)):
                return peer
        return None
    return None


def is_peer_span(span: Span, peer: Peer, library: str) -> bool:
    """Whether ``span`` is a live LLM span of a ``library`` call that ``peer`` started."""
    if not span.is_recording():
        return False
    name = _scope_name(span)
    if name is None or not _in_scopes(name, peer.scopes):
        return False
    if peer.shared_scope:
        attributes: Mapping[str, Any] = getattr(span, "attributes", None) or {}
        provider = attributes.get("gen_ai.provider.name") or attributes.get("gen_ai.system")
        providers = peer.providers
        return attributes.get("gen_ai.operation.name") in _LLM_OPERATIONS and (
            providers is None or provider in providers
        )
    return True


def framework_span(span: Span) -> bool:
    """Whether ``span`` is a live GenAI inference span a framework (`FRAMEWORK_SCOPES`) started around the call."""
    scope = getattr(span, "instrumentation_scope", None)  # per SDK call: one lookup and a set test when not theirs
    if scope is None or getattr(scope, "name", None) not in _FRAMEWORK_SCOPE_NAMES or not span.is_recording():
        return False
    attributes: Mapping[str, Any] = getattr(span, "attributes", None) or {}
    return attributes.get("gen_ai.operation.name") in _LLM_OPERATIONS


class AdoptedSpan(Span):
    """A peer's live LLM span, seen through our wrapper: our attributes go on it, its owner ends it.

    ``end()`` does nothing (the peer's wrapper ends the span after ours returns) and ``record_exception()`` does
    nothing (the peer records the same exception; one event, not two). Everything else is passed on.
    """

    __slots__ = ("_peer_span",)

    def __init__(self, peer_span: Span) -> None:
        self._peer_span = peer_span

    def end(self, end_time: int | None = None) -> None:
        """Leave the span to the peer that started it."""

    def get_span_context(self) -> trace.SpanContext:
        """The peer span's context (children made inside our wrapper are its children)."""
        return self._peer_span.get_span_context()

    def set_attributes(self, attributes: Mapping[str, AttributeValue]) -> None:
        """Set ``attributes`` on the peer's span."""
        self._peer_span.set_attributes(attributes)

    def set_attribute(self, key: str, value: AttributeValue) -> None:
        """Set one attribute on the peer's span."""
        self._peer_span.set_attribute(key, value)

    def add_event(self, name: str, attributes: Attributes = None, timestamp: int | None = None) -> None:
        """Add an event to the peer's span."""
        self._peer_span.add_event(name, attributes, timestamp)

    def add_link(self, context: trace.SpanContext, attributes: Attributes = None) -> None:
        """Add a link to the peer's span."""
        self._peer_span.add_link(context, attributes)

    def update_name(self, name: str) -> None:
        """Keep the peer's span name."""

    def is_recording(self) -> bool:
        """Whether the peer's span still records."""
        return self._peer_span.is_recording()

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        """Set the status of the peer's span."""
        self._peer_span.set_status(status, description)

    def record_exception(
        self,
        exception: BaseException,
        attributes: Attributes = None,
        timestamp: int | None = None,
        escaped: bool = False,
    ) -> None:
        """The peer records the exception itself."""


def start_llm_span(
    library: str,
    tracer: trace.Tracer,
    name: str,
    *,
    kind: SpanKind,
    attributes: Mapping[str, AttributeValue],
    suppress_http: bool,
    start_time: int | None = None,
) -> tuple[Span, Token[Context]]:
    """Start the span of one ``library`` call and make it current, as the peer policy says.

    Returns the span and the context token (for ``opentelemetry.context.detach``). The span may be an
    `AdoptedSpan` (a peer's span), or a non-recording span (the call is the peer's: policy ``theirs``, or its
    wrapper is outside ours and its span out of reach); the wrapper then runs as usual and records nothing, and
    what it suppresses for its own spans (HTTP, the SDK's own call span) stays suppressed.
    """
    peers = active_peers(library)
    chosen = policy() if peers else BOTH
    span: Span | None = None
    if chosen == THEIRS:
        for peer in peers:
            _note(peer, "its span is kept and ours is not recorded")
        span = NonRecordingSpan(trace.get_current_span().get_span_context())
    if chosen == OURS:
        caller = calling_peer(peers)
        if caller is not None:
            current = trace.get_current_span()
            if is_peer_span(current, caller, library):
                _note(caller, "its wrapper is outside ours, so ours records on its span instead of nesting one")
                span = AdoptedSpan(current)
                span.set_attributes(attributes)
            else:
                _note(caller, "its wrapper is outside ours and its span is out of reach, so ours records none")
                span = NonRecordingSpan(current.get_span_context())
        for peer in peers:
            _note(peer, "ours is kept and the peer steps aside inside it")
    if span is None:
        current = trace.get_current_span()
        if framework_span(current) and (framework := policy()) != BOTH:
            span = AdoptedSpan(current) if framework == OURS else NonRecordingSpan(current.get_span_context())
            span.set_attributes(attributes)
        else:
            span = tracer.start_span(name, kind=kind, attributes=attributes, start_time=start_time)
    ctx = trace.set_span_in_context(span)
    if suppress_http:
        ctx = otel_context.set_value(_SUPPRESS_HTTP_INSTRUMENTATION_KEY, True, ctx)
    if chosen == OURS:
        ctx = otel_context.set_value(OPENLLMETRY_SUPPRESS_KEY, True, ctx)
        if any(peer.reads_suppression_key for peer in peers):
            ctx = otel_context.set_value(_SUPPRESS_INSTRUMENTATION_KEY, True, ctx)
    return span, otel_context.attach(ctx)


def _wrapper_module(function: Any) -> str:
    wrapper = getattr(function, "_self_wrapper", None)
    module = getattr(wrapper, "__module__", None)
    if not isinstance(module, str):
        module = type(wrapper).__module__
    return module


def _is_peer_module(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in _PEER_MODULES)


def past_peers(wrapped: Callable[..., Any]) -> Callable[..., Any]:
    """``wrapped`` past the peers' wrapt wrappers directly beneath ours (policy ``ours`` only).

    A call our span records must not also be recorded by a peer that ignores the suppression keys (openai-v2):
    its wrapper is skipped for that call (its patch stays; ``unwrap`` is not affected). A wrapper that is not a
    peer's (the user's, another tool's) stops the walk, so it always runs.
    """
    original = wrapped
    if not isinstance(wrapped, _PROXY):  # the common case, no wrapper beneath ours: one type check
        return original
    function: Callable[..., Any] = original
    try:
        if getattr(wrapped, "_self_wrapper", None) is None or policy() != OURS:
            return original
        for _ in range(8):  # a bounded walk, whatever a chain of wrappers looks like
            if getattr(function, "_self_wrapper", None) is None or not _is_peer_module(_wrapper_module(function)):
                break
            inner = getattr(function, "__wrapped__", None)
            if inner is None or not callable(inner):
                break
            function = inner
    except Exception:  # noqa: BLE001 - a hostile wrapper chain: the call goes through it unchanged
        log_internal_error("peers.past_peers")
        return original
    return function


def peer_modules() -> Iterator[str]:
    """The modules of every known peer instrumentor (for docs and tests)."""
    yield from _PEER_MODULES

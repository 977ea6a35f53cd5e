"""Helpers of the AG2 tests: an agent on the mock, a two-agent Network conversation, span lookups."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from ag2 import Agent
from ag2.config import OpenAIConfig
from opentelemetry.sdk.trace import ReadableSpan

from .mock_server import MockChat


def config(chat: MockChat) -> OpenAIConfig:
    """An ``OpenAIConfig`` on the mock, without retries."""
    return OpenAIConfig(model="gpt-4o-mini", base_url=chat.base_url, api_key="x", max_retries=0)


def agent(chat: MockChat, name: str, tools: Sequence[Any] = (), **kwargs: Any) -> Agent:
    return Agent(name, prompt=f"You are {name}.", config=config(chat), tools=list(tools), **kwargs)


async def conversation(
    chat: MockChat,
    names: tuple[str, str],
    opening: str,
    messages: int,
    tools: dict[str, Sequence[Any]] | None = None,
) -> list[Any]:
    """The README's Network quick-start: a ``conversation`` channel between two agents, bounded and closed.

    Returns the channel's ``ag2.msg.text`` envelopes.
    """
    from ag2.knowledge import MemoryKnowledgeStore
    from ag2.network import EV_TEXT, Hub

    hub = await Hub.open(MemoryKnowledgeStore(), ttl_sweep_interval=0)
    tools = tools or {}
    first = await hub.register(agent(chat, names[0], tools.get(names[0], ())))
    second = await hub.register(agent(chat, names[1], tools.get(names[1], ())))
    channel = await first.open(type="conversation", target=names[1])
    await channel.send(opening, audience=[second.agent_id])
    texts: list[Any] = []
    for _ in range(2000):  # bounded wait for the exchange (not a timing assertion)
        texts = [e for e in await hub.read_wal(channel.channel_id) if e.event_type == EV_TEXT]
        if len(texts) >= messages:
            break
        await asyncio.sleep(0.01)
    await channel.close()
    await hub.close()
    return texts


def named(spans: Sequence[ReadableSpan], prefix: str) -> list[ReadableSpan]:
    """Spans whose name starts with ``prefix``, in start order."""
    return sorted((s for s in spans if s.name.startswith(prefix)), key=lambda s: s.start_time or 0)


def parent_of(spans: Sequence[ReadableSpan], span: ReadableSpan) -> ReadableSpan | None:
    if span.parent is None:
        return None
    return next((s for s in spans if s.context.span_id == span.parent.span_id), None)


def to_trace(spans: Sequence[ReadableSpan]) -> Any:
    """The spans of the workflow's trace as the RCA's model ``Trace`` (what the JSONL/OTLP loaders would give)."""
    from opentelemetry.trace import format_trace_id

    from otel_agent_trace.model import Trace
    from tests.instrumentation._spans import model_span

    (workflow,) = named(spans, "invoke_workflow")
    out = [model_span(s) for s in spans if s.context.trace_id == workflow.context.trace_id]
    return Trace(format_trace_id(workflow.context.trace_id), tuple(out))

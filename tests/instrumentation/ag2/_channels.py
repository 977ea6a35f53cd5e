"""Helpers of the AG2 Network channel tests: agents on the mock in a ``discussion``, ``workflow`` or ``consulting``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._run import agent
from .mock_server import MockChat


@dataclass
class Run:
    """What a channel run left: the substantive envelopes of its log, the agents' ids by name, the final state."""

    envelopes: list[Any]
    ids: dict[str, str]
    state: str
    close_reason: str = ""
    names: dict[str, str] = field(default_factory=dict)


async def run_channel(
    chat: MockChat,
    names: Sequence[str],
    kind: str,
    opening: str,
    messages: int,
    knobs: Callable[[dict[str, str]], dict[str, Any]] | None = None,
    tools: dict[str, Sequence[Any]] | None = None,
) -> Run:
    """``names[0]`` opens a ``kind`` channel with the others and sends ``opening``; the agents answer through the
    default handler until the log holds ``messages`` substantive envelopes or the channel ends itself.
    """
    from ag2.knowledge import MemoryKnowledgeStore
    from ag2.network import EV_PACKET, EV_TEXT, Hub

    hub = await Hub.open(MemoryKnowledgeStore(), ttl_sweep_interval=0)
    clients = [await hub.register(agent(chat, name, (tools or {}).get(name, ()))) for name in names]
    ids = {name: client.agent_id for name, client in zip(names, clients, strict=True)}
    channel = await clients[0].open(type=kind, target=list(names[1:]), knobs=knobs(ids) if knobs is not None else None)
    await channel.send(opening)
    envelopes: list[Any] = []
    metadata = await hub.get_channel(channel.channel_id)
    for _ in range(2000):  # bounded wait for the exchange (not a timing assertion)
        envelopes = [e for e in await hub.read_wal(channel.channel_id) if e.event_type in (EV_TEXT, EV_PACKET)]
        metadata = await hub.get_channel(channel.channel_id)
        if len(envelopes) >= messages or metadata.is_terminal():
            break
        await asyncio.sleep(0.01)
    state, reason = metadata.state.value, metadata.close_reason or ""
    if not metadata.is_terminal():
        await channel.close()
    await hub.close()
    return Run(envelopes, ids, state, reason, {v: k for k, v in ids.items()})

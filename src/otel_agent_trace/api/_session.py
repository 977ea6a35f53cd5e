"""``agent_session``: correlation ids that the processor copies onto every span of the session."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from contextlib import ExitStack
from typing import Any

from otel_agent_trace._internal.context import Correlation, RunState, current_run, use_correlation, use_run
from otel_agent_trace._internal.errors import handle_internal_errors, log_internal_error
from otel_agent_trace._internal.serialize import content_hash

from ._operation import Operation
from ._values import tag_texts, text


class agent_session(Operation[Correlation]):
    """Correlation context for one session: every span started inside carries its ids.

    Works as a context manager (``with``/``async with``) and a decorator. The ids follow ``await`` and asyncio
    tasks; threads get them with the threading instrumentor (enabled by ``init()``) or `propagate_context`.
    Steps directly inside a session (with no `agent_run`) are numbered within the session.

    Args:
        session_id: The session (conversation) id; a random one if not given. Also recorded as
            ``gen_ai.conversation.id``.
        user_id: The end user on whose behalf the agent runs.
        request_id: The request that started this work.
        agent_version: Version of the agent code or prompt set.
        agent_config: The agent configuration; only its hash is copied to every span.
        environment: Deployment environment tag.
        tags: Extra ``key=value`` tags (a mapping or an iterable of strings).
    """

    def __init__(
        self,
        session_id: str | None = None,
        *,
        user_id: str | None = None,
        request_id: str | None = None,
        agent_version: str | None = None,
        agent_config: Any = None,
        environment: str | None = None,
        tags: dict[str, Any] | Iterable[str] | None = None,
    ) -> None:
        super().__init__()
        self.session_id, self.user_id, self.request_id = text(session_id), text(user_id), text(request_id)
        self.agent_version, self.environment = text(agent_version), text(environment)
        self.agent_config, self.tags = agent_config, tags
        self._stacks: list[ExitStack] = []

    def _clone(self) -> agent_session:
        return agent_session(
            self.session_id,
            user_id=self.user_id,
            request_id=self.request_id,
            agent_version=self.agent_version,
            agent_config=self.agent_config,
            environment=self.environment,
            tags=self.tags,
        )

    def _correlation(self) -> Correlation:
        tags = tag_texts(self.tags)
        return Correlation(
            session_id=self.session_id or uuid.uuid4().hex,
            user_id=self.user_id,
            request_id=self.request_id,
            agent_version=self.agent_version,
            agent_config_hash=content_hash(self.agent_config) if self.agent_config is not None else None,
            environment=self.environment,
            tags=tags,
        )

    def _enter(self) -> Correlation:
        stack = ExitStack()
        correlation = Correlation()
        try:
            correlation = stack.enter_context(use_correlation(self._correlation()))
            if current_run() is None:
                stack.enter_context(use_run(RunState()))
        except Exception:  # noqa: BLE001 - our fault: the block still runs, with what was entered
            log_internal_error("api.session_enter")
        self._stacks.append(stack)
        return correlation

    def _fallback(self) -> Correlation:
        self._stacks.append(ExitStack())
        return Correlation()

    def _exit(self, handle: Correlation, exc: BaseException | None) -> None:
        if self._stacks:
            with handle_internal_errors("api.session_exit"):
                self._stacks.pop().close()

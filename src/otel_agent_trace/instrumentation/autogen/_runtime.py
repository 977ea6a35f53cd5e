"""AutoGen's runtime spans without message contents unless content capture is on.

``SingleThreadedAgentRuntime`` gives its ``autogen process``/``ack`` spans the attributes ``_create_otel_attributes``
builds, among them ``message``: the whole serialized message (the task, the agents' texts, tool arguments and
results). Without content capture, `RuntimeAttributesWrapper` has it build them without the message (so the
message is not serialized at all) and drops the ``message`` placeholder; the other attributes (sender and recipient
types and classes, ``message_context`` with its ids) stay.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from otel_agent_trace._internal.errors import handle_internal_errors
from otel_agent_trace.instrumentation.autogen import _scopes as S

MESSAGE = "message"
"""The runtime span attribute holding the serialized message (AutoGen's name)."""
_MESSAGE_ARG = 3
"""``message``'s position in ``_create_otel_attributes(sender_agent_id, recipient_agent_id, message_context,
message)``."""


class RuntimeAttributesWrapper:
    """``SingleThreadedAgentRuntime._create_otel_attributes``: no ``message`` attribute without content capture."""

    def __init__(self, config: S.Config) -> None:
        self.config = config

    async def __call__(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        call_args, call_kwargs = args, kwargs
        with handle_internal_errors("autogen.runtime.attributes"):
            if not self.config.capture():
                if len(args) > _MESSAGE_ARG:
                    call_args = (*args[:_MESSAGE_ARG], None, *args[_MESSAGE_ARG + 1 :])
                elif MESSAGE in kwargs:
                    call_kwargs = {**kwargs, MESSAGE: None}
        result = await wrapped(*call_args, **call_kwargs)
        if call_args is args and call_kwargs is kwargs:
            return result
        with handle_internal_errors("autogen.runtime.attributes"):
            if isinstance(result, dict):
                return {key: value for key, value in result.items() if key != MESSAGE}
        return result

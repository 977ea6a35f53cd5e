"""Message-passing attributes of multi-agent networks (``agent_trace.message.*``, ``agent_trace.channel.*``).

The id of the message a turn answered is ``agent_trace.step.reply_to`` (`AGENT_STEP_REPLY_TO`, agent.py).
"""

from __future__ import annotations

from typing import Final

MESSAGE_ANSWERED_AUTHOR: Final = "agent_trace.message.answered_author"
"""Name (else id) of the agent that wrote the message the turn answered."""
MESSAGE_ANSWERED_RECIPIENTS: Final = "agent_trace.message.answered_recipients"
"""Names (else ids) of the agents the answered message was addressed to (absent: broadcast to the channel)."""
MESSAGE_CAUSATION_ID: Final = "agent_trace.message.causation_id"
"""Id of the message that the answered message itself answered (its ``causation_id``)."""
CHANNEL_ID: Final = "agent_trace.channel.id"
"""Id of the channel (AG2 Network) a turn ran in."""
CHANNEL_TYPE: Final = "agent_trace.channel.type"
"""Kind of channel: ``conversation``, ``discussion``, ``workflow``, ``consulting``..."""

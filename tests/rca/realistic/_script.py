"""What the agents of one run did, as plain data: the generators write a `Script`, `_emit` replays it as spans.

A script is shape-aware: in the *nested* shape every agent turn is an ``invoke_agent`` span under the
orchestrating agent, with its steps inside, and a tool call inside the model turn that requested it; in the
*flat* shape every message and tool call is a sibling span under the one run span and carries the name of the
agent that produced it (``gen_ai.agent.name``), as in logs that were recorded as a list of messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

NESTED = "nested"
FLAT = "flat"


@dataclass
class Node:
    """One span to emit: an agent run, a step, a tool call or a decision."""

    kind: str
    """``run``, ``step``, ``tool`` or ``decision``."""
    name: str
    agent: str
    input: Any = None
    output: Any = None
    children: list[Node] = field(default_factory=list)
    action_type: str = "reasoning"
    raises: tuple[str, str] | None = None
    """An exception (type name, message) raised by the code of this span."""
    caught: bool = False
    """The caller catches the exception (a tool error the agent sees and reacts to)."""
    state: dict[str, Any] | None = None
    """Keyword arguments of ``snapshot_state`` recorded on this span."""
    options: tuple[str, ...] = ()
    rationale: str | None = None
    call_id: str | None = None

    @property
    def span_name(self) -> str:
        """The name of the span this node becomes."""
        prefix = {"run": "invoke_agent", "step": "step", "tool": "execute_tool", "decision": "decision"}[self.kind]
        return f"{prefix} {self.name}"

    def walk(self) -> Iterator[Node]:
        """This node and its descendants in emission (= span start) order."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class Outcome:
    """The run's verdict, as the evaluator of the task would record it."""

    success: bool
    expected: str
    actual: str
    reason: str
    evaluator: str = "reference_answer"


class Script:
    """Builder of one run's nodes; the generators call it in the order the agents acted."""

    def __init__(self, root_agent: str, task: str, shape: str) -> None:
        self.flat = shape == FLAT
        self.shape = shape
        self.root = Node("run", root_agent, root_agent, input=task)
        self._stack = [self.root]
        self.decisive: Node | None = None
        self.agents: list[str] = [root_agent]
        self.auto_turns = False
        """Nested shape: wrap consecutive top-level nodes of another agent in that agent's run (group chats)."""
        self.last_message: Any = task
        """The latest step output (the run's answer when the generator sets none)."""

    def _add(self, node: Node, decisive: bool) -> Node:
        parent = self._stack[-1]
        if self.auto_turns and not self.flat and parent is self.root and node.agent != self.root.agent:
            last = parent.children[-1] if parent.children else None
            if last is None or last.kind != "run" or last.agent != node.agent:
                last = Node("run", node.agent, node.agent, input=self.last_message, action_type="handoff")
                parent.children.append(last)
            parent = last
            if node.kind == "step" and node.output is not None:
                last.output = node.output
        if not self.flat and node.kind == "tool" and parent.children:
            asking = parent.children[-1]  # the model turn that requested the call hosts it, as agent loops record it
            if asking.kind == "step" and asking.agent == node.agent and asking.action_type == "llm_call":
                parent = asking
        parent.children.append(node)
        if node.kind == "step" and node.output is not None:
            self.last_message = node.output
        if node.agent not in self.agents:
            self.agents.append(node.agent)
        if decisive:
            if self.decisive is not None:
                raise ValueError("a run has one decisive step")
            self.decisive = node
        return node

    def step(
        self,
        agent: str,
        action: str,
        *,
        input: Any = None,
        output: Any = None,
        decisive: bool = False,
        action_type: str = "reasoning",
        state: dict[str, Any] | None = None,
        raises: tuple[str, str] | None = None,
    ) -> Node:
        """An LLM turn or an internal step of ``agent`` (in the flat shape it is named after the agent)."""
        name = agent if self.flat else action
        node = Node("step", name, agent, input=input, output=output, action_type=action_type, state=state)
        node.raises = raises
        return self._add(node, decisive)

    def tool(
        self,
        agent: str,
        tool: str,
        arguments: Any,
        result: Any = None,
        *,
        raises: tuple[str, str] | None = None,
        caught: bool = False,
        call_id: str | None = None,
        decisive: bool = False,
    ) -> Node:
        """A tool call made by ``agent`` (the result is recorded unless it raises)."""
        node = Node("tool", tool, agent, input=arguments, output=result, action_type="tool_call", call_id=call_id)
        node.raises, node.caught = raises, caught
        return self._add(node, decisive)

    def decide(
        self,
        agent: str,
        name: str,
        options: tuple[str, ...],
        chosen: str,
        rationale: str,
        *,
        decisive: bool = False,
    ) -> Node:
        """A choice among options (next speaker, route, whether to stop)."""
        node = Node("decision", name, agent, output=chosen, options=options, rationale=rationale)
        node.action_type = "decision"
        return self._add(node, decisive)

    @contextmanager
    def turn(self, agent: str, message: str) -> Iterator[None]:
        """``agent`` handles ``message``: a sub-agent span in the nested shape, nothing extra in the flat one."""
        if self.flat:
            if agent not in self.agents:
                self.agents.append(agent)
            yield
            return
        node = Node("run", agent, agent, input=message, action_type="handoff")
        self._add(node, False)
        self._stack.append(node)
        try:
            yield
        finally:
            self._stack.pop()
            if node.output is None:  # a sub-agent returns its last message
                node.output = next((c.output for c in reversed(node.children) if c.kind == "step"), None)

    def reply(self, output: Any) -> None:
        """The output of the current sub-agent run (nested shape); no-op in the flat shape."""
        if not self.flat:
            self._stack[-1].output = output


@dataclass
class Scenario:
    """One generated run: its script, its verdict and, for a failing run, the ground truth."""

    system: str
    family: str
    category: str | None
    """The failure kind, ``None`` for a passing run."""
    shape: str
    seed: int
    script: Script
    outcome: Outcome | None
    """``None`` when the run raises instead (the exception is the verdict)."""

    @property
    def failing(self) -> bool:
        return self.category is not None

    @property
    def root(self) -> Node:
        return self.script.root

    @property
    def agents(self) -> tuple[str, ...]:
        return tuple(self.script.agents)

    @property
    def responsible_agent(self) -> str | None:
        node = self.script.decisive
        return node.agent if node is not None else None

    @property
    def decisive_key(self) -> tuple[str, int] | None:
        """The decisive span as (span name, occurrence among spans of that name in start order)."""
        target = self.script.decisive
        if target is None:
            return None
        seen = 0
        for node in self.root.walk():
            if node is target:
                return target.span_name, seen
            if node.span_name == target.span_name:
                seen += 1
        raise ValueError("decisive node is not in the script")

    @property
    def raises(self) -> bool:
        return self.outcome is None

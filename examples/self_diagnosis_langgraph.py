"""A LangGraph agent that diagnoses its own failure with ``otel_agent_trace.diagnose()`` and recovers.

The agent converts a 160 EUR budget to USD: the model calls the ``convert_currency`` tool and states its result.
On the first try the rates service behind the tool answers in the wrong unit (0.0108 instead of 1.08 per EUR), so
the tool returns 1.73 USD and the model repeats it. The agent's check sees that the answer is wrong, records the
verdict, and asks ``diagnose()``, which names the tool call (as the root cause, or next to the model call that
relayed its value) and gives the rollback point: the LangGraph checkpoint taken before the root cause ran. The
handler switches the tool to the backup rates service and resumes the graph from that checkpoint
(``graph.invoke(None, config=checkpoint.config())``): only what ran after that checkpoint runs again.

Runs offline: ChatOpenAI talks to a tiny OpenAI-compatible server started here on 127.0.0.1. Run it with::

    python examples/self_diagnosis_langgraph.py
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import otel_agent_trace as oat

EXPECTED_USD = 172.80
"""160 EUR at 1.08."""


class RatesService:
    """The tool's upstream: the primary answers in the wrong unit until the agent switches to the backup."""

    def __init__(self) -> None:
        self.use_backup = False

    def convert(self, amount: float, base: str, quote: str) -> float:
        """``amount`` of ``base`` in ``quote``, at the service's rate."""
        rate = 1.08 if self.use_backup else 0.0108  # the fault: the primary answers in hundredths
        return round(amount * rate, 2)


RATES = RatesService()


class FakeOpenAI(BaseHTTPRequestHandler):
    """``POST /v1/chat/completions``: first a tool call, then an answer computed from the tool's result."""

    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_POST(self) -> None:
        """Answer one chat completion request."""
        body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
        last = body.get("messages", [{}])[-1]
        if last.get("role") == "tool":
            found = re.search(r'"amount":\s*([0-9.]+)', str(last.get("content")))
            amount = float(found.group(1)) if found else 0.0
            message: dict[str, Any] = {"role": "assistant", "content": f"Your budget is {amount:.2f} USD."}
            finish = "stop"
        else:
            call = {"id": "call_convert_1", "type": "function", "function": {"name": "convert_currency"}}
            call["function"]["arguments"] = json.dumps({"amount": 160, "base": "EUR", "quote": "USD"})
            message, finish = {"role": "assistant", "content": None, "tool_calls": [call]}, "tool_calls"
        answer = {
            "id": "chatcmpl-example",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": "gpt-4o-mini",
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
            "usage": {"prompt_tokens": 30, "completion_tokens": 12, "total_tokens": 42},
        }
        raw = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


def build_graph(base_url: str) -> Any:
    """The graph: agent -> (tools_condition) -> tools -> agent, with a MemorySaver checkpointer."""
    from langchain_core.tools import tool
    from langchain_openai import ChatOpenAI
    from langgraph.checkpoint.memory import MemorySaver
    from langgraph.graph import START, MessagesState, StateGraph
    from langgraph.prebuilt import ToolNode, tools_condition

    @tool
    def convert_currency(amount: float, base: str, quote: str) -> dict[str, Any]:
        """``amount`` in ``base`` converted to ``quote``."""
        return {"amount": RATES.convert(amount, base, quote), "currency": quote}

    model = ChatOpenAI(model="gpt-4o-mini", api_key="sk-example", base_url=base_url, max_retries=0)
    model = model.bind_tools([convert_currency])

    def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    graph = StateGraph(MessagesState)
    graph.add_node("agent", agent)
    graph.add_node("tools", ToolNode([convert_currency]))
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", tools_condition)
    graph.add_edge("tools", "agent")
    return graph.compile(checkpointer=MemorySaver(), name="budget_agent")


def answer_is_right(answer: str) -> bool:
    """The agent's own check: the answer states about 172.80 USD."""
    amounts = [float(x) for x in re.findall(r"([0-9]+\.[0-9]{2}) USD", answer)]
    return any(abs(a - EXPECTED_USD) < 0.5 for a in amounts)


def run(graph: Any, thread_id: str = "trip-1") -> dict[str, Any]:
    """One agent run that checks itself, diagnoses a wrong answer and resumes from the rollback checkpoint."""
    config = {"configurable": {"thread_id": thread_id}}
    with oat.agent_run("budget-agent"):
        state = graph.invoke({"messages": [("user", "How much is my 160 EUR budget in USD?")]}, config)
        first = str(state["messages"][-1].content)
        if answer_is_right(first):
            return {"first": first, "final": first, "diagnosis": None}
        oat.record_outcome(False, expected=f"{EXPECTED_USD:.2f} USD", actual=first, reason="wrong USD amount")
        diagnosis = oat.diagnose()
        if diagnosis is None or diagnosis.rollback is None or diagnosis.rollback.checkpoint is None:
            return {"first": first, "final": first, "diagnosis": diagnosis}
        suspects = (diagnosis.root_cause, *diagnosis.candidates)
        if any(s.kind == "tool" and s.name.endswith("convert_currency") for s in suspects[:2]):
            RATES.use_backup = True  # the correction the diagnosis points to
        checkpoint = diagnosis.rollback.checkpoint
        state = graph.invoke(None, config=checkpoint.config())
        return {"first": first, "final": str(state["messages"][-1].content), "diagnosis": diagnosis}


def main() -> int:
    """Run the agent against the built-in fake model; 0 when the recovered answer is right."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    store = tempfile.mkdtemp(prefix="self-diagnosis-")
    provider = oat.init("self-diagnosis-example", capture_content=True, store_dir=store, instrumentors="langchain")
    try:
        graph = build_graph(f"http://127.0.0.1:{server.server_address[1]}/v1")
        outcome = run(graph)
        diagnosis = outcome["diagnosis"]
        print(f"first answer: {outcome['first']}")  # noqa: T201 - the example reports what happened
        if diagnosis is not None:
            print("\n" + diagnosis.to_prompt() + "\n")  # noqa: T201 - the example reports what happened
            checkpoint = diagnosis.rollback.checkpoint if diagnosis.rollback else None
            if checkpoint is not None:
                print(f"resumed from checkpoint {checkpoint.checkpoint_id} (thread {checkpoint.thread_id})")  # noqa: T201 - the example reports what happened
        print(f"final answer: {outcome['final']}")  # noqa: T201 - the example reports what happened
        return 0 if answer_is_right(outcome["final"]) else 1
    finally:
        provider.shutdown()
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    sys.exit(main())

"""Zero-code: an unchanged AG2 Classic quick-start program under ``opentelemetry-instrument`` is traced.

The program is the shape of AG2's own quick start (an ``AssistantAgent`` and a ``UserProxyAgent`` that runs its
code, then a ``GroupChat``); its LLM is the local mock server; the spans go through our distro to the local store,
which the test loads back, and the RCA reads it.

The ``agent_ag2_classic`` entry point belongs in ``pyproject.toml``; until the installed package declares it, the
test declares it for the subprocess (a ``.dist-info`` with just that entry point on ``PYTHONPATH``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path

from otel_agent_trace.model import Span as ModelSpan
from otel_agent_trace.model import load_traces
from tests.autogen_env._mock_llm import Answer, Call, MockLLMServer

REPO = Path(__file__).resolve().parents[2]
ENTRY_POINT = "agent_ag2_classic = otel_agent_trace.instrumentation.ag2_classic:AG2ClassicInstrumentor"

APP = textwrap.dedent(
    """
    import os
    import tempfile

    import autogen
    from autogen.coding import LocalCommandLineCodeExecutor

    config = {"config_list": [{"model": "gpt-4o", "api_key": "test", "base_url": os.environ["MOCK_OPENAI_URL"]}],
              "cache_seed": None}
    assistant = autogen.AssistantAgent("assistant", llm_config=config, system_message="[agent:assistant] Code.")
    user_proxy = autogen.UserProxyAgent(
        "user_proxy",
        human_input_mode="NEVER",
        code_execution_config={"executor": LocalCommandLineCodeExecutor(work_dir=tempfile.mkdtemp())},
        is_termination_msg=lambda m: "TERMINATE" in (m.get("content") or ""),
    )
    user_proxy.initiate_chat(assistant, message="Print 6*7.", max_turns=3)

    researcher = autogen.AssistantAgent("researcher", llm_config=config, system_message="[agent:researcher] R.")
    writer = autogen.AssistantAgent("writer", llm_config=config, system_message="[agent:writer] W.")

    def lookup(city: str) -> str:
        return f"{city}: 2.1 million"

    autogen.register_function(lookup, caller=researcher, executor=user_proxy, description="Population")
    chat = autogen.GroupChat([user_proxy, researcher, writer], messages=[], max_round=8)
    manager = autogen.GroupChatManager(chat, llm_config=config, is_termination_msg=user_proxy._is_termination_msg)
    result = user_proxy.initiate_chat(manager, message="How many people live in Paris?")
    print("DONE", result.chat_history[-1]["content"])
    """
)


def _entry_point_dir(tmp_path: Path) -> str | None:
    if any(ep.name == "agent_ag2_classic" for ep in entry_points(group="opentelemetry_instrumentor")):
        return None
    info = tmp_path / "ep" / "otel_agent_trace_ag2_classic_ep-0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: otel-agent-trace-ag2-classic-ep\nVersion: 0\n")
    (info / "entry_points.txt").write_text(f"[opentelemetry_instrumentor]\n{ENTRY_POINT}\n")
    return str(info.parent)


def _run(tmp_path: Path, llm: MockLLMServer) -> tuple[str, list[ModelSpan]]:
    (tmp_path / "app.py").write_text(APP)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    extra = _entry_point_dir(tmp_path)
    env.update(
        OTEL_PYTHON_DISTRO="agent_trace",
        OTEL_PYTHON_CONFIGURATOR="agent_trace",
        OTEL_AGENT_TRACE_STORE_DIR=str(tmp_path / "store"),
        OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="true",
        OTEL_SERVICE_NAME="ag2-classic-app",
        MOCK_OPENAI_URL=llm.base_url,
        PYTHONPATH=os.pathsep.join(p for p in (extra, str(REPO)) if p),
    )
    command = [str(Path(sys.executable).parent / "opentelemetry-instrument"), sys.executable, str(tmp_path / "app.py")]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout, [span for trace in load_traces(tmp_path / "store") for span in trace.spans]


def test_quick_start_traced_under_opentelemetry_instrument(tmp_path: Path, llm: MockLLMServer) -> None:
    llm.script = {
        "assistant": [Answer("```python\nprint('hello', 6 * 7)\n```"), Answer("It printed 42. TERMINATE")],
        "researcher": [Call("lookup", {"city": "Paris"}), Answer("Paris has 2.1 million people.")],
        "writer": [Answer("Report: Paris has 2.1 million people. TERMINATE")],
        "selector": [Answer("researcher"), Answer("researcher"), Answer("writer")],
    }
    stdout, spans = _run(tmp_path, llm)
    assert "DONE Report: Paris has 2.1 million people." in stdout
    names = [s.name for s in spans]
    assert names.count("invoke_workflow user_proxy -> assistant") == 1
    assert names.count("invoke_workflow chat_manager") == 1
    assert names.count("execute_tool code_execution") == 1 and names.count("execute_tool lookup") == 1
    assert names.count("decision speaker_selection") == 4
    # LLM calls: 2 in the two-agent chat, 3 selector calls, 3 group turns; one span each, tokens once
    chats = [s for s in spans if s.name == "chat gpt-4o"]
    assert len(chats) == 8 and sum(int(s.attributes["gen_ai.usage.input_tokens"]) for s in chats) == 8 * 11
    steps = [
        s.attributes["gen_ai.agent.name"] for s in sorted(spans, key=lambda s: s.start_ns) if s.name.startswith("step ")
    ]
    assert steps[:3] == ["assistant", "user_proxy", "assistant"]
    assert [n for n in steps[3:] if n != "user_proxy"][:3] == ["researcher", "researcher", "writer"]
    (code,) = [s for s in spans if s.name == "execute_tool code_execution"]
    assert "hello 42" in str(code.attributes["gen_ai.tool.call.result"])

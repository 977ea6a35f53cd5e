"""Zero-code: ``init()`` alone traces a quick-start AutoGen team (the ``agent_autogen`` entry point), through the
whole pipeline (processor, exporter, local store); the stored trace loads and the RCA blames the right agent."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from otel_agent_trace.model import Trace, load_traces
from otel_agent_trace.rca import analyze
from otel_agent_trace.rca.message_links import message_sources
from otel_agent_trace.rca.view import TraceView
from tests.autogen_env._mock_llm import Answer, MockLLMServer

PROGRAM = Path(__file__).parent / "zero_code_team.py"
REPO = Path(__file__).resolve().parents[2]
WRONG = "Water boils at 50 degrees Celsius at sea level."


def _record(llm: MockLLMServer, store: Path, capture: bool) -> Trace:
    llm.script = {"researcher": [Answer(f"Fact: {WRONG}")], "writer": [Answer(f"Report: {WRONG} TERMINATE")]}
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(MOCK_OPENAI_URL=llm.base_url, STORE_DIR=str(store), PYTHONPATH=str(REPO), CAPTURE=str(int(capture)))
    done = subprocess.run(
        [sys.executable, str(PROGRAM)], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert "TERMINATE" in done.stdout
    traces = [t for t in load_traces(store) if any(s.name.startswith("invoke_workflow") for s in t.spans)]
    assert len(traces) == 1
    return traces[0]


def test_init_alone_traces_the_team_and_the_rca_reads_it(llm: MockLLMServer, tmp_path: Path) -> None:
    trace = _record(llm, tmp_path, capture=True)
    names = [s.name for s in trace.spans]
    assert names.count("step researcher") == 1 and names.count("step writer") == 1
    assert names.count("decision speaker_selection") == 2 and names.count("chat gpt-4o") == 2
    report = analyze(trace, failed=True, expected="Water boils at 100 degrees Celsius at sea level.")
    assert report.agents[0].name == "researcher", [(a.name, a.score) for a in report.agents]


def test_without_content_capture_the_stored_steps_still_link_by_message_id(llm: MockLLMServer, tmp_path: Path) -> None:
    trace = _record(llm, tmp_path, capture=False)
    ours = [s.attributes for s in trace.spans if s.scope.startswith("otel_agent_trace")]
    assert len(ours) >= 7 and WRONG not in str(ours)  # (AutoGen's runtime spans carry it: docs/autogen.md)
    steps = {s.name: s.span_id for s in trace.spans if s.name.startswith("step ")}
    sources = message_sources(TraceView(trace))
    assert [writer for writer, _ in sources[steps["step writer"]]] == [steps["step researcher"]]

from __future__ import annotations

from otel_agent_trace.cli import main
from otel_agent_trace.model import load_traces


def test_demo_names_the_faulty_tool_call(tmp_path, capsys):
    store = tmp_path / "store"
    html = tmp_path / "rca.html"
    assert main(["demo", "--store", str(store), "--html", str(html)]) == 0
    out = capsys.readouterr().out
    traces = load_traces(store)
    assert len(traces) == 4
    failing = [t for t in traces if t.has_error]
    assert len(failing) == 1
    tool = next(s for s in failing[0].spans if s.name == "execute_tool get_exchange_rate")
    report = out[out.index("Root-cause analysis") :]
    first = report.splitlines()[2]
    assert first.startswith("ROOT CAUSE")
    assert tool.span_id in first
    assert "execute_tool get_exchange_rate" in first
    # the LLM calls were traced by the real openai instrumentor, nested under the agent's steps
    chats = [s for s in failing[0].spans if s.name.startswith("chat ")]
    assert chats
    assert all(s.attributes.get("gen_ai.provider.name") == "openai" for s in chats)
    text = html.read_text()
    assert text.startswith("<!DOCTYPE html>") or text.lower().startswith("<!doctype html>")
    assert tool.span_id in text


def test_demo_verify_confirms_the_tool_call_by_replay(tmp_path, capsys):
    html = tmp_path / "rca.html"
    assert main(["demo", "--store", str(tmp_path / "store"), "--verify", "--html", str(html)]) == 0
    out = capsys.readouterr().out
    report = out[out.index("Root-cause analysis") :].splitlines()
    assert report[2].startswith("ROOT CAUSE") and "execute_tool get_exchange_rate" in report[2]
    assert report[2].endswith("[confirmed by replay]")
    assert (
        report[3] == "  why: confirmed by replay: replacing its output with the passing runs' value makes the run pass"
    )
    assert "Verified: counterfactual replay, 1 control + 1 replay: 1 confirmed, 2 refuted" in report
    section = out[out.index("Counterfactual verification") :]
    assert "confirmed    execute_tool get_exchange_rate" in section
    assert "refuted      step convert_budget" in section
    assert "refuted      step compose_answer" in section
    assert "replay: passed, 3 served from the recording, 0 live" in section
    page = html.read_text()
    assert "class='vbadge confirmed'>confirmed by replay</span>" in page
    assert "<h2>Counterfactual verification</h2>" in page

"""``rca --verify --program`` end to end: the real demo store, the real `rca.replay` (a subprocess per replay)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from otel_agent_trace.cli import main
from otel_agent_trace.demo import PROGRAM, DemoResult, run_demo

_TOOL = "execute_tool get_exchange_rate"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    return run_demo(tmp_path_factory.mktemp("demo-store"))


def _rca(demo: DemoResult, *extra: str) -> list[str]:
    return ["rca", demo.trace.trace_id[:12], "--source", str(demo.store_dir), *extra]


def _verify_args(*extra: str) -> list[str]:
    return ["--verify", "--program", PROGRAM, *extra]


def test_verify_needs_a_program(demo: DemoResult, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_rca(demo, "--verify")) == 2
    assert "--verify needs --program" in capsys.readouterr().err


def test_json_confirms_the_rate_tool_and_refutes_the_other_top_3(
    demo: DemoResult, capsys: pytest.CaptureFixture[str]
) -> None:
    top3 = [c.name for c in demo.report.candidates[:3]]
    assert top3[0] == _TOOL
    assert main(_rca(demo, "--format", "json", *_verify_args())) == 0
    data = json.loads(capsys.readouterr().out)
    verification = data["verification"]
    assert verification["control"]["reproduced"], verification["control"]
    verdicts = {v["name"]: v for v in verification["verdicts"]}
    assert list(verdicts) == top3
    assert verdicts[_TOOL]["verdict"] == "confirmed", verdicts[_TOOL]
    assert json.loads(verdicts[_TOOL]["value"])["rate"] == 1.08
    # the corrected run's new calls (hotel search for 172.8 USD, the answer) come from the passing 160 EUR run
    assert verdicts[_TOOL]["live"] == 0 and verdicts[_TOOL]["served"] > 0
    for name in top3[1:]:
        assert verdicts[name]["verdict"] == "refuted", verdicts[name]
    assert verification["replays"] <= 1 + 3
    assert data["root_cause"]["name"] == _TOOL
    assert data["root_cause"]["why"][0].startswith("confirmed by replay")


def test_without_the_passing_recordings_the_corrected_run_diverges_unless_live(
    demo: DemoResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a store without the passing 160 EUR run: nothing recorded the hotel search the corrected run makes
    store = tmp_path / "store"
    store.mkdir()
    same_task = max(demo.passing, key=lambda t: t.start_ns).trace_id  # the last passing run asked for 160 EUR
    with (store / "runs.jsonl").open("w", encoding="utf-8") as out:
        for path in sorted(Path(demo.store_dir).glob("*.jsonl")):
            for line in path.read_text(encoding="utf-8").splitlines():
                document = json.loads(line)
                for resource in document["resourceSpans"]:
                    for scope in resource["scopeSpans"]:
                        scope["spans"] = [s for s in scope["spans"] if s["traceId"] != same_task]
                out.write(json.dumps(document) + "\n")
    args = ["rca", demo.trace.trace_id[:12], "--source", str(store), "--format", "json", *_verify_args()]
    assert main([*args, "--verify-k", "1"]) == 0
    tool = json.loads(capsys.readouterr().out)["verification"]["verdicts"][0]
    assert tool["verdict"] == "diverged", tool
    assert "execute_tool search_hotels" in tool["diverged_at"] and "172.8" in tool["diverged_at"]
    assert main([*args, "--verify-k", "1", "--allow-live"]) == 0
    tool = json.loads(capsys.readouterr().out)["verification"]["verdicts"][0]
    assert tool["verdict"] == "confirmed" and tool["live"] >= 1, tool


def test_a_program_that_does_not_reproduce_the_run_is_inconclusive(
    demo: DemoResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "other_app.py"
    script.write_text("print('an unrelated program')\n", encoding="utf-8")
    assert main(_rca(demo, "--format", "json", "--verify", "--program", str(script))) == 0
    data = json.loads(capsys.readouterr().out)["verification"]
    assert not data["control"]["reproduced"]
    assert data["replays"] == 1
    assert {v["verdict"] for v in data["verdicts"]} == {"inconclusive"}
    assert all(data["control"]["detail"] in v["reason"] for v in data["verdicts"])

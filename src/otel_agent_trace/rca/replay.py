"""Replay a recorded run: re-run the program with the recorded LLM responses and tool results served back.

`replay` writes a cassette (rca/_replay_cassette.py) to a temporary directory and runs
``python -m otel_agent_trace.replay CASSETTE PROGRAM --store DIR`` in a subprocess bounded by ``timeout``: there
our instrumentation serves every httpx request and every decorated ``tool_call`` from the recording (or from an
override), and the replayed run's spans go to ``DIR``. The replayed trace is then loaded from there and judged
with `outcome.find_failure`. Nothing here imports OpenTelemetry: the subprocess does. See docs/replay.md.

Recording needs ``init(record_replay=True, capture_content=True)`` in the recorded run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from otel_agent_trace.model import Trace, TraceFormatError, load_traces

from ._replay_cassette import OverrideError, build_cassette
from .outcome import find_failure
from .view import TraceView

__all__ = ["ReplayResult", "replay", "resolve_program"]

STATUSES = ("passed", "failed", "diverged", "error", "timeout")
_TAIL = 600


@dataclass(frozen=True)
class ReplayResult:
    """The outcome of one replay."""

    status: str
    """``passed`` | ``failed`` | ``diverged`` | ``error`` | ``timeout``."""
    trace: Trace | None
    """The replayed run, loaded from the replay's own store (``None`` if it recorded nothing)."""
    failure: str | None
    """What failed (`find_failure`'s summary, or the program's exit) when ``status == "failed"``."""
    diverged_at: str | None
    """``span <name> (#n): expected <recorded request>, got <request>`` when the run left the recording."""
    served: int
    """Recorded responses and tool results served."""
    live: int
    """Calls that ran for real because they were not in the recording (only with ``allow_live``)."""
    overridden: tuple[str, ...]
    """Ids (in the original trace) of the spans whose output was replaced."""
    detail: str
    """One human line (the stderr tail on error or timeout)."""

    def to_dict(self) -> dict[str, object]:
        """JSON-serializable form (the trace by its id and span count)."""
        return {
            "status": self.status,
            "trace_id": self.trace.trace_id if self.trace is not None else None,
            "spans": len(self.trace.spans) if self.trace is not None else 0,
            "failure": self.failure,
            "diverged_at": self.diverged_at,
            "served": self.served,
            "live": self.live,
            "overridden": list(self.overridden),
            "detail": self.detail,
        }


def _error(detail: str) -> ReplayResult:
    return ReplayResult("error", None, None, None, 0, 0, (), detail)


def resolve_program(program: str | Callable[[], object]) -> str:
    """The program as the subprocess takes it: an absolute script path or ``module:function``.

    Raises:
        ValueError: a callable that cannot be imported by name (a lambda, a local function, one from ``__main__``),
            or a string that is neither an existing ``.py`` file nor ``module:function``.
    """
    if callable(program) and not isinstance(program, str):
        module = getattr(program, "__module__", None)
        qualname = getattr(program, "__qualname__", None)
        if not module or not qualname or module == "__main__" or "<" in qualname:
            raise ValueError(
                f"{program!r} cannot be re-run in a subprocess: give a top-level function of an importable module, "
                "a 'module:function' string or a script path"
            )
        return f"{module}:{qualname}"
    text = str(program)
    path = Path(text)
    if path.suffix == ".py" or path.is_file():
        if not path.is_file():
            raise ValueError(f"{text}: no such script")
        return str(path.resolve())
    module, sep, func = text.partition(":")
    if not (sep and module and func):
        raise ValueError(f"{text!r} is neither a script path nor 'module:function'")
    return text


def _tail(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-4:])[-_TAIL:]


def _env(python: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("OTEL_AGENT_TRACE_RECORD_REPLAY", None)
    if python is None:  # the same interpreter: let it import what this process can
        paths = [p for p in sys.path if p and Path(p).is_dir()]
        if env.get("PYTHONPATH"):
            paths.append(env["PYTHONPATH"])
        env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys([os.getcwd(), *paths]))
    return env


def _pick(traces: list[Trace], root: str | None) -> Trace | None:
    if not traces:
        return None
    same = [t for t in traces if any(s.name == root for s in t.roots)]
    return max(same or traces, key=lambda t: len(t.spans))


def _run(command: list[str], env: dict[str, str], timeout: float) -> tuple[int | None, str]:
    """Run the subprocess in its own process group; on timeout kill the group. Returns (exit code, stderr)."""
    with subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True
    ) as proc:
        try:
            _, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                proc.kill()
            _, stderr = proc.communicate()
            return None, stderr or ""
        return proc.returncode, stderr or ""


def _judge(report: dict[str, Any], trace: Trace | None, code: int, stderr: str) -> tuple[str, str | None, str]:
    """(status, failure, detail) from the runner's report, the replayed trace and the exit code."""
    if report.get("diverged_at"):
        return "diverged", None, str(report.get("detail") or "the run left the recording")
    if report.get("problem"):
        return "error", None, str(report["problem"])
    if report.get("internal_error"):
        return "error", None, f"replay runner failed: {report['internal_error']}"
    if trace is None:
        return (
            "error",
            None,
            str(report.get("detail") or "the replay recorded no trace")
            + (f"; stderr: {_tail(stderr)}" if stderr.strip() else ""),
        )
    info = find_failure(TraceView(trace))
    if info is not None:
        return "failed", info.detail, f"the replayed run failed ({info.kind})"
    exception = report.get("exception")
    if exception or code != 0:
        what = exception or f"the program exited with code {code}"
        return "failed", str(what), f"the replayed program failed: {what}"
    return "passed", None, "the replayed run passed"


def replay(
    trace: Trace,
    program: str | Callable[[], object],
    *,
    override: Mapping[str, object] | None = None,
    allow_live: bool = False,
    timeout: float = 60.0,
    python: str | None = None,
    baseline: Iterable[Trace] = (),
) -> ReplayResult:
    """Re-run ``program`` with ``trace``'s recorded responses and tool results served back; never raises.

    Args:
        trace: A run recorded with ``init(record_replay=True, capture_content=True)``.
        program: The program that produced it: a script path (run as ``__main__``), ``"module:function"``, or a
            top-level importable callable. It sets up tracing with ``otel_agent_trace.init()`` as usual (the
            replay redirects that to its own store) and should make one run.
        override: Outputs to replace, by span id of ``trace``: the decorated ``tool_call`` (or ``agent_step``)
            returns this value (JSON) instead of its recorded result.
        allow_live: Run calls that are not in the recording for real instead of stopping with ``diverged``.
        timeout: Seconds the replay may take; beyond it the subprocess is killed (``timeout``).
        python: Interpreter to run the program with (default: this one, with this process's ``sys.path``).
        baseline: Other recorded runs (passing ones) whose responses may serve a request that is not the next one
            recorded but matches one of theirs exactly (same fingerprint).

    Returns:
        A `ReplayResult`; ``error`` with the reason in ``detail`` for a bad argument or an unusable recording.
    """
    try:
        target = resolve_program(program)
        cassette = build_cassette(trace, override=override, baseline=baseline, allow_live=allow_live)
    except (ValueError, OverrideError) as exc:
        return _error(str(exc))
    except Exception as exc:  # noqa: BLE001 - a malformed trace object: report it, never raise
        return _error(f"cannot build the replay cassette: {type(exc).__name__}: {exc}")
    if not cassette["http"] and not cassette["tools"] and not cassette["overrides"]:
        return _error(
            f"trace {trace.trace_id} has no replay recording: record it with init(record_replay=True, "
            "capture_content=True)"
        )
    try:
        with tempfile.TemporaryDirectory(prefix="otel-agent-trace-replay-") as tmp:
            return _replay_in(Path(tmp), cassette, target, trace, timeout, python)
    except Exception as exc:  # noqa: BLE001 - an unexpected failure around the subprocess: report it
        return _error(f"replay failed: {type(exc).__name__}: {exc}")


def _replay_in(
    tmp: Path, cassette: dict[str, Any], target: str, trace: Trace, timeout: float, python: str | None
) -> ReplayResult:
    path, store, report_path = tmp / "cassette.json", tmp / "store", tmp / "report.json"
    path.write_text(json.dumps(cassette), encoding="utf-8")
    command = [python or sys.executable, "-m", "otel_agent_trace.replay", str(path), target, "--store", str(store)]
    command += ["--report", str(report_path)]
    code, stderr = _run(command, _env(python), timeout)
    report: dict[str, Any] = {}
    if report_path.is_file():
        try:
            report = json.loads(report_path.read_text(encoding="utf-8"))
        except ValueError:
            report = {}
    replayed: Trace | None = None
    if store.is_dir():
        try:
            replayed = _pick(load_traces(store), cassette.get("root"))
        except TraceFormatError:
            replayed = None
    served, live = int(report.get("served", 0)), int(report.get("live", 0))
    overridden = tuple(str(s) for s in report.get("overridden", ()))
    if code is None:
        detail = f"the replay took longer than {timeout:g} s and was stopped"
        if stderr.strip():
            detail += f"; stderr: {_tail(stderr)}"
        return ReplayResult("timeout", replayed, None, None, served, live, overridden, detail)
    status, failure, detail = _judge(report, replayed, code, stderr)
    if status == "error" and stderr.strip() and "stderr" not in detail:
        detail += f"; stderr: {_tail(stderr)}"
    notes = [str(n) for n in report.get("notes", ())]
    if notes and status != "error":
        detail += "; " + "; ".join(notes)
    diverged = str(report["diverged_at"]) if report.get("diverged_at") else None
    return ReplayResult(status, replayed, failure, diverged, served, live, overridden, detail)

"""Run one replay in this process: install the cassette server, redirect ``init()``, run the program, report."""

from __future__ import annotations

import argparse
import asyncio
import functools
import importlib
import inspect
import json
import os
import runpy
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from otel_agent_trace._internal.replay import ReplayStop, set_replay_server

from ._crewai import install_crewai
from ._http import install_http
from ._langchain import install_langchain
from ._llama_index import install_llama_index
from ._net import guard_sockets
from ._openai_agents import install_openai_agents
from ._server import CassetteServer
from ._smolagents import install_smolagents

__all__ = ["main", "run_replay"]

EXIT_STOPPED = 3
"""Exit code of a replay stopped by the server (diverged, or a recording it cannot serve)."""


def _redirect_init(store: Path, providers: list[Any]) -> None:
    """Make every ``otel_agent_trace.init()`` of the program write to ``store``, with content capture on."""
    from otel_agent_trace import configuration
    from otel_agent_trace.configuration import _init

    real: Callable[..., Any] = _init.init

    @functools.wraps(real)
    def init(*args: Any, **kwargs: Any) -> Any:
        kwargs.update(exporters="file", store_dir=store, capture_content=True, record_replay=False)
        provider = real(*args, **kwargs)
        if all(provider is not p for p in providers):
            providers.append(provider)
        return provider

    configuration.init = init
    _init.init = init


def _run_program(program: str) -> None:
    if program.endswith(".py") or os.path.isfile(program):
        sys.argv = [program]
        sys.path.insert(0, str(Path(program).parent))
        runpy.run_path(program, run_name="__main__")
        return
    module, _, qualname = program.partition(":")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    result = obj()
    if inspect.iscoroutine(result):
        asyncio.run(result)


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    return exc.code if isinstance(exc.code, int) else 1


def run_replay(cassette: dict[str, Any], program: str, store: Path) -> tuple[int, dict[str, Any]]:
    """Replay ``program`` against ``cassette`` here (the subprocess side); returns (exit code, report)."""
    server = CassetteServer(cassette)
    set_replay_server(server)
    install_http(server)
    install_langchain(server)
    install_openai_agents(server)
    install_llama_index(server)
    install_smolagents(server)
    install_crewai(server)
    guard_sockets(server)
    providers: list[Any] = []
    _redirect_init(store, providers)
    report: dict[str, Any] = {}
    code = 0
    try:
        _run_program(program)
    except ReplayStop:
        code = EXIT_STOPPED
    except SystemExit as exc:
        code = _exit_code(exc)
    except BaseException as exc:  # noqa: BLE001 - the program's own failure: it is the replay's result
        traceback.print_exc()
        report["exception"] = f"{type(exc).__name__}: {exc}"
        code = 1
    finally:
        for provider in providers:
            try:
                provider.shutdown()
            except Exception as exc:  # noqa: BLE001 - a flush failure is reported, not raised
                report["internal_error"] = f"flushing the replayed spans failed: {type(exc).__name__}: {exc}"
        set_replay_server(None)
    report.update(server.report())
    if not providers:
        report["detail"] = "the program never called otel_agent_trace.init(), so the replay recorded no spans"
    return code, report


def main(argv: list[str] | None = None) -> None:
    """Command line of the runner (see the package docstring); exits with the program's exit code."""
    parser = argparse.ArgumentParser(prog="python -m otel_agent_trace.replay")
    parser.add_argument("cassette")
    parser.add_argument("program")
    parser.add_argument("--store", required=True)
    parser.add_argument("--report", required=True)
    args = parser.parse_args(argv)
    report: dict[str, Any] = {}
    code = 1
    try:
        cassette = json.loads(Path(args.cassette).read_text(encoding="utf-8"))
        code, report = run_replay(cassette, args.program, Path(args.store))
    except Exception as exc:  # noqa: BLE001 - a bad cassette or a runner fault: reported to rca.replay
        traceback.print_exc()
        report = {"internal_error": f"{type(exc).__name__}: {exc}"}
    try:
        Path(args.report).write_text(json.dumps(report), encoding="utf-8")
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)  # the program's leftover non-daemon threads must not hold the replay open

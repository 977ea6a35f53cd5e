"""Bounded exit: a collector that accepts connections and never answers must not hold the process.

A real TCP listener on 127.0.0.1 accepts every connection, reads what it is sent and never replies. A real
subprocess runs a 200-span script with ``init()`` and exits normally (the SDK's atexit shutdown); the wall time
must stay within the shutdown budget plus interpreter start-up, and every span must be counted as dropped.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator

import pytest

from otel_agent_trace._internal import drops
from otel_agent_trace.configuration import init


class HungCollector:
    """Accepts TCP connections on 127.0.0.1, reads and discards everything, never writes a byte."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._server.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.connections = 0
        self._clients: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        self._server.settimeout(0.1)
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            self._clients.append(client)
            threading.Thread(target=self._drain, args=(client,), daemon=True).start()

    def _drain(self, client: socket.socket) -> None:
        try:
            while client.recv(65536):
                pass
        except OSError:
            pass

    def __enter__(self) -> HungCollector:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2)
        for client in self._clients:
            client.close()
        self._server.close()


@pytest.fixture
def hung_collector() -> Iterator[HungCollector]:
    with HungCollector() as collector:
        yield collector


_SCRIPT = textwrap.dedent(
    """
    import atexit, json, sys
    from otel_agent_trace._internal.drops import dropped_spans

    # Registered before init(): atexit runs it after the provider's own shutdown handler.
    atexit.register(lambda: print("DROPS " + json.dumps(dropped_spans()), flush=True))

    from otel_agent_trace import step
    from otel_agent_trace.configuration import init

    init("exit-test", exporters=sys.argv[1], endpoint=sys.argv[2], instrumentors="none")
    for i in range(200):
        with step(f"s{i}"):
            pass
    print("SPANS DONE", flush=True)
    """
)


def _run_script(exporter: str, endpoint: str, env: dict[str, str] | None = None) -> tuple[float, dict[str, int]]:
    environment = {**os.environ, **(env or {})}
    environment.pop("PYTEST_CURRENT_TEST", None)
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT, exporter, endpoint],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
    )
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    assert "SPANS DONE" in proc.stdout, proc.stderr
    line = next(x for x in proc.stdout.splitlines() if x.startswith("DROPS "))
    return elapsed, json.loads(line.removeprefix("DROPS "))


def _startup_seconds() -> float:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-c", "import otel_agent_trace.configuration, opentelemetry.exporter.otlp.proto.grpc"],
        check=True,
        timeout=60,
    )
    return time.monotonic() - started


@pytest.mark.parametrize("exporter", ["otlp_grpc", "otlp_http"])
def test_exit_is_bounded_against_a_collector_that_never_answers(hung_collector: HungCollector, exporter: str) -> None:
    elapsed, counts = _run_script(exporter, hung_collector.endpoint)
    assert hung_collector.connections >= 1  # the exporter really reached the listener
    assert sum(counts.values()) == 200, counts  # nothing exported, every span counted
    # the default budget is 4 s so that the process is held at most 5 s past start-up, exporters' shutdown included
    assert elapsed <= _startup_seconds() + 5.0, elapsed


def test_shutdown_budget_is_configurable(hung_collector: HungCollector) -> None:
    elapsed, counts = _run_script("otlp_http", hung_collector.endpoint, {"OTEL_AGENT_TRACE_SHUTDOWN_TIMEOUT": "1000"})
    assert sum(counts.values()) == 200, counts
    assert elapsed <= 1.0 + _startup_seconds() + 1.5, elapsed


def test_force_flush_is_bounded_and_false_when_the_export_fails(hung_collector: HungCollector) -> None:
    drops._reset_for_tests()
    provider = init(
        exporters="otlp_http",
        endpoint=hung_collector.endpoint,
        instrumentors="none",
        set_global=False,
        export_timeout_millis=800,
        shutdown_timeout_millis=2000,
    )
    tracer = provider.get_tracer("t")
    for i in range(20):
        with tracer.start_as_current_span(f"s{i}"):
            pass
    started = time.monotonic()
    assert provider.force_flush(30000) is False  # capped at the 2 s budget; the export timed out
    assert time.monotonic() - started <= 2.0 + 0.5
    started = time.monotonic()
    provider.shutdown()
    assert time.monotonic() - started <= 2.0 + 0.5
    assert sum(drops.dropped_spans().values()) == 20

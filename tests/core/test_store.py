"""The local store survives crashes, full disks and concurrent writers; readers skip what is torn or corrupt."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_agent_trace._internal import drops
from otel_agent_trace.configuration import init
from otel_agent_trace.exporters import FileSpanExporter
from otel_agent_trace.model import LoadReport, load_any
from otel_agent_trace.processor._batch import BoundedBatchSpanProcessor
from otel_agent_trace.rca.corpus import generate_run

_WRITER = textwrap.dedent(
    """
    import sys
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from otel_agent_trace.exporters import FileSpanExporter

    store, tag = sys.argv[1], sys.argv[2]
    batches, per_batch, size = map(int, sys.argv[3:6])
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("writer")
    exporter = FileSpanExporter(store)
    for b in range(batches):
        for i in range(per_batch):
            with tracer.start_as_current_span(f"{tag}-{b}-{i}") as span:
                span.set_attribute("payload", "x" * size)
        batch = memory.get_finished_spans()
        memory.clear()
        assert exporter.export(batch).name == "SUCCESS"
        print(f"OK {b}", flush=True)
    """
)


def _writer(store: Path, tag: str, batches: int, per_batch: int, size: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(store), tag, str(batches), str(per_batch), str(size)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _names(store: Path, report: LoadReport | None = None) -> set[str]:
    return {s.name for t in load_any(store, report=report) for s in t.spans}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "otel_agent_trace.cli", *args], capture_output=True, text=True, timeout=60
    )


def test_writer_killed_mid_write_then_show_lists_every_other_span(tmp_path: Path) -> None:
    store = tmp_path / "store"
    proc = _writer(store, "w", 10_000, 20, 20_000)  # ~400 KB lines, written until killed
    done: list[int] = []
    assert proc.stdout is not None
    while len(done) < 8:
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else ""
        done.append(int(line.split()[1]))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    (file,) = store.glob("*.jsonl")
    data = file.read_bytes()
    # Whatever the kill left, make the crash certain: cut the last line in the middle, as a crash mid-write does.
    last_start = data.rstrip(b"\n").rfind(b"\n") + 1
    with file.open("r+b") as handle:
        handle.truncate(last_start + (len(data) - last_start) // 2)
    torn_batch = data[:last_start].count(b"\n")  # lines before the torn one: batches 0 .. torn_batch - 1
    after = _writer(store, "after", 1, 5, 10)  # the next writer starts on a fresh line
    assert after.wait(30) == 0
    report = LoadReport()
    names = _names(store, report)
    expected = {f"w-{b}-{i}" for b in range(torn_batch) for i in range(20)} | {f"after-0-{i}" for i in range(5)}
    assert expected <= names
    assert len(report.bad_lines) == 1 and report.bad_lines[0].line == torn_batch + 1
    shown = _cli("show", "--source", str(store), "--limit", "100000")
    assert shown.returncode == 0, shown.stderr
    assert f"skipped 1 bad line ({file}:{torn_batch + 1})" in shown.stderr
    assert len(shown.stdout.splitlines()) - 1 == len(load_any(store))


def test_non_utf8_byte_and_torn_last_line_are_skipped_by_show_and_rca(tmp_path: Path) -> None:
    runs = [generate_run("wrong_tool_output", seed=s) for s in range(3)]
    lines = [json.dumps(r.document).encode() for r in runs]
    file = tmp_path / "traces.jsonl"
    file.write_bytes(lines[0] + b"\n" + lines[1][:50] + b"\xff\xfe" + lines[1][50:] + b"\n" + lines[2][:-40])
    file2 = tmp_path / "more.jsonl"
    file2.write_bytes(lines[2] + b"\n")
    shown = _cli("show", "--source", str(tmp_path))
    assert shown.returncode == 0, shown.stderr
    assert "Traceback" not in shown.stderr
    assert f"skipped 2 bad lines ({file}:2, {file}:3)" in shown.stderr
    assert runs[0].trace_id in shown.stdout and runs[2].trace_id in shown.stdout
    rca = _cli("rca", runs[0].trace_id, "--source", str(tmp_path))
    assert rca.returncode == 0, rca.stderr
    assert "skipped 2 bad lines" in rca.stderr
    broken = tmp_path / "only-bad.jsonl"
    broken.write_bytes(b"\xff\xfe garbage\n{torn")
    for command in ("show", "rca"):
        result = _cli(command, "--source", str(broken))
        assert result.returncode == 2
        assert "Traceback" not in result.stderr and "only-bad.jsonl:1" in result.stderr


def test_concurrent_writer_processes_lose_and_interleave_nothing(tmp_path: Path) -> None:
    store = tmp_path / "store"
    procs = [_writer(store, f"p{n}", 60, 10, 3000 + 1000 * n) for n in range(4)]
    for proc in procs:
        assert proc.wait(120) == 0, proc.stderr.read() if proc.stderr else ""
    report = LoadReport()
    names = _names(store, report)
    assert report.bad_lines == []
    assert names == {f"p{n}-{b}-{i}" for n in range(4) for b in range(60) for i in range(10)}


def _spans(n: int, size: int, prefix: str) -> list[ReadableSpan]:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    for i in range(n):
        with provider.get_tracer("t").start_as_current_span(f"{prefix}{i}") as span:
            span.set_attribute("payload", "y" * size)
    return list(memory.get_finished_spans())


@pytest.fixture
def tiny_fs(tmp_path: Path):  # type: ignore[no-untyped-def]
    mount = tmp_path / "tiny"
    mount.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {result.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_disk_is_a_counted_drop_and_writing_resumes(tiny_fs: Path) -> None:
    drops._reset_for_tests()
    store = tiny_fs / "store"
    filler = tiny_fs / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:  # fill the filesystem, then give back only a few KB
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    filler_size = filler.stat().st_size
    os.truncate(filler, max(0, filler_size - 12 * 1024))
    batch = BoundedBatchSpanProcessor(FileSpanExporter(store), max_export_batch_size=5, schedule_delay_millis=50)
    sent = _spans(40, 1500, "full")  # 8 batches of ~8 KB: the first fits, the others do not
    for span in sent:
        batch.on_end(span)
    assert batch.force_flush(5000) is False
    counts = drops.dropped_spans()
    assert counts["store_unwritable"] > 0 and batch.exported > 0, (counts, batch.exported)
    assert batch.exported + counts["store_unwritable"] == len(sent)
    report = LoadReport()
    kept = _names(store, report) if any(store.glob("*.jsonl")) else set()
    assert report.bad_lines == []  # failed writes were rolled back, not left as torn lines
    assert len(kept) == batch.exported

    filler.unlink()  # space returns
    later = _spans(10, 1500, "later")
    for span in later:
        batch.on_end(span)
    assert batch.force_flush(5000) is True
    assert {s.name for s in later} <= _names(store)
    batch.shutdown()


def test_init_with_an_unwritable_store_warns_and_falls_back(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with caplog.at_level("WARNING", logger="otel_agent_trace"):
        provider = init(exporters="file", store_dir=blocker / "store", instrumentors="none", set_global=False)
    assert "is not writable" in caplog.text and "writing to" in caplog.text
    exporter = provider._active_span_processor._span_processors[0].delegate.exporter
    while not isinstance(exporter, FileSpanExporter):  # the processor may wrap it (redaction on the export thread)
        exporter = exporter.exporter
    assert exporter.directory != blocker / "store"
    with provider.get_tracer("t").start_as_current_span("fallback-span"):
        pass
    assert provider.force_flush(5000) is True
    assert "fallback-span" in _names(exporter.directory)
    provider.shutdown()


def test_store_turning_read_only_is_counted_and_writing_resumes(
    tiny_fs: Path, caplog: pytest.LogCaptureFixture
) -> None:
    drops._reset_for_tests()
    store = tiny_fs / "store"
    batch = BoundedBatchSpanProcessor(FileSpanExporter(store), max_export_batch_size=5, schedule_delay_millis=50)
    for span in _spans(5, 10, "rw"):
        batch.on_end(span)
    assert batch.force_flush(5000) is True
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_fs)], check=True)
    try:
        for span in _spans(10, 10, "ro"):
            batch.on_end(span)
        assert batch.force_flush(5000) is False
        assert drops.dropped_spans()["store_unwritable"] == 10
        with caplog.at_level("WARNING", logger="otel_agent_trace"):
            init(exporters="file", store_dir=store, instrumentors="none", set_global=False).shutdown()
        assert f"trace store {store} is not writable (cannot write in {store}: Read-only file system)" in caplog.text
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(tiny_fs)], check=True)
    for span in _spans(5, 10, "again"):
        batch.on_end(span)
    assert batch.force_flush(5000) is True
    assert _names(store) == {f"rw{i}" for i in range(5)} | {f"again{i}" for i in range(5)}
    assert batch.exported + drops.total_dropped() == 20
    batch.shutdown()

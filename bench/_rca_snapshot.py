"""Snapshot of every RCA result, to prove a speed change left the analysis output unchanged.

Dumps ``analyze(...).to_dict()`` of: the internal corpus (``rca/corpus.py``, each failing run without and with a
baseline of the passing runs), the realistic corpus (``tests/rca/realistic``, each failing run without and with the
baseline of its passing siblings, as ``bench/rca_realistic.py`` runs it), the benchmark's long nested run and chat
log (``bench/bench_rca.py``) at 2,500 and 10,000 spans, and a spectrum analysis. Run from the repository root::

    python bench/_rca_snapshot.py OUT.json                # write a snapshot
    python bench/_rca_snapshot.py OUT.json --compare OLD.json   # write, then list every result that differs
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_rca import chat_log

from otel_agent_trace.model import Trace, group_traces, spans_from_otlp
from otel_agent_trace.rca import analyze, baseline_profile, spectrum_analysis
from otel_agent_trace.rca.corpus import generate_corpus, generate_long_run, iter_spectrum_runs


def _trace(document: dict[str, Any]) -> Trace:
    return group_traces(spans_from_otlp(document))[0]


def internal() -> dict[str, Any]:
    runs = generate_corpus(runs_per_category=5, passing=10, seed=11)
    passing = [_trace(r.document) for r in runs if not r.failed]
    profile = baseline_profile(passing)
    out: dict[str, Any] = {}
    for index, run in enumerate(runs):
        trace = _trace(run.document)
        out[f"internal/{index}/{run.category}"] = analyze(trace).to_dict()
        if run.failed:
            out[f"internal/{index}/{run.category}/baseline"] = analyze(trace, baseline=profile).to_dict()
    return out


def realistic() -> dict[str, Any]:
    from tests.rca.realistic import build_corpus

    out: dict[str, Any] = {}
    for case in build_corpus(seed=0):
        trace = case.failing.trace
        name = f"realistic/{case.spec.index}/{case.spec.system}/{case.spec.category}"
        out[name] = analyze(trace).to_dict()
        profile = baseline_profile([p.trace for p in case.passing])
        out[name + "/baseline"] = analyze(trace, baseline=profile).to_dict()
    return out


def bench_shapes() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for size in (2_500, 10_000):
        out[f"bench/nested/{size}"] = analyze(_trace(generate_long_run(size, seed=1).document)).to_dict()
        out[f"bench/chat/{size}"] = analyze(_trace(chat_log(size, seed=3))).to_dict()
    return out


def spectrum() -> dict[str, Any]:
    runs = [_trace(r.document) for r in iter_spectrum_runs(200, seed=2, categories=("bad_decision", "timeout"))]
    result = spectrum_analysis(runs)
    return {"spectrum/200": result.to_dict()}


def snapshot() -> dict[str, Any]:
    """Every result, by a stable name."""
    return {**internal(), **realistic(), **bench_shapes(), **spectrum()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--compare", type=Path, default=None, help="an earlier snapshot to compare with")
    args = parser.parse_args(argv)
    data = snapshot()
    args.out.write_text(json.dumps(data, sort_keys=True, indent=1))
    print(f"{len(data)} results written to {args.out}")
    if args.compare is None:
        return 0
    old = json.loads(args.compare.read_text())
    new = json.loads(args.out.read_text())
    differ = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    for key in differ[:20]:
        print(f"  differs: {key}")
    print(f"{len(differ)} of {len(set(old) | set(new))} results differ")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Accuracy of the RCA on the realistic corpus (``tests/rca/realistic``): agent and decisive step, top-1 and top-3.

Every failing run is analysed twice, with no baseline and with the profile of its passing siblings, and the
labelled agent and span are looked up in the ranking. Random choice's expectation is computed exactly from the
number of agents and spans of each run. Run from the repository root::

    python bench/rca_realistic.py [--by category|system|shape] [--json results.json] [--write-jsonl DIR]

See docs/rca_benchmark.md for how the corpus is built and what the figures mean (and do not mean).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.rca.realistic import (
    CaseResult,
    as_json,
    build_corpus,
    score_case,
    summarize,
    write_jsonl,
)

_COLUMNS = (
    ("agent@1", "agent_top1"),
    ("rand", "agent_random_top1"),
    ("agent@3", "agent_top3"),
    ("rand", "agent_random_top3"),
    ("step@1", "step_top1"),
    ("rand", "step_random_top1"),
    ("step@3", "step_top3"),
    ("rand", "step_random_top3"),
    ("failed?", "detected"),
)
_POSITION = (
    ("agent@1", "agent_top1"),
    ("first", "agent_first_step"),
    ("last", "agent_last_step"),
    ("step@1", "step_top1"),
    ("first", "step_first_step"),
    ("last", "step_last_step"),
)


def _table(title: str, rows: dict[str, dict[str, float]], columns: tuple[tuple[str, str], ...] = _COLUMNS) -> str:
    width = max(len(name) for name in rows) + 2
    head = f"{'':<{width}}{'runs':>5} " + " ".join(f"{label:>8}" for label, _ in columns)
    lines = [title, head]
    for name, row in rows.items():
        cells = " ".join(f"{row[key] * 100:7.0f}%" for _, key in columns)
        lines.append(f"{name:<{width}}{int(row['runs']):>5} {cells}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    parser.add_argument("--by", choices=("category", "system", "shape"), default="category")
    parser.add_argument("--limit", type=int, default=None, help="only the first N cases of each system")
    parser.add_argument("--json", type=Path, default=None, help="write per-run results and summaries here")
    parser.add_argument("--write-jsonl", type=Path, default=None, help="write every run as OTLP-JSON lines here")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    cases = build_corpus(seed=args.seed, limit=args.limit)
    generated = time.perf_counter()
    results: dict[str, list[CaseResult]] = {"no_baseline": [], "baseline": []}
    for case in cases:
        results["no_baseline"].append(score_case(case, with_baseline=False))
        results["baseline"].append(score_case(case, with_baseline=True))
    scored = time.perf_counter()

    passing = sum(len(c.passing) for c in cases)
    raising = sum(c.failing.scenario.raises for c in cases)
    print(
        f"{len(cases)} failing runs ({raising} raise, {len(cases) - raising} fail by their outcome only), "
        f"{passing} passing siblings; generated and recorded in {generated - started:.1f} s, "
        f"analysed twice in {scored - generated:.1f} s"
    )
    summaries = {}
    for mode, rows in results.items():
        summaries[mode] = summarize(rows, group=args.by)
        print()
        print(
            _table(
                f"{mode.replace('_', ' ')} (per {args.by}; 'rand' = random choice's exact expectation)", summaries[mode]
            )
        )
    print()
    print(
        _table(
            f"position rules at top-1 vs the RCA without baseline (per {args.by}; first / last non-agent span)",
            summaries["no_baseline"],
            _POSITION,
        )
    )
    if args.json is not None:
        args.json.write_text(
            json.dumps({"summaries": summaries, "runs": {m: as_json(r) for m, r in results.items()}}, indent=1)
        )
    if args.write_jsonl is not None:
        args.write_jsonl.mkdir(parents=True, exist_ok=True)
        write_jsonl([c.failing for c in cases], args.write_jsonl / "failing.jsonl")
        write_jsonl([p for c in cases for p in c.passing], args.write_jsonl / "passing.jsonl")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

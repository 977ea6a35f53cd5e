"""The corpus: which failing runs exist (system, failure kind, whether it raises), their passing siblings, and
their recording.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from . import groupchat, magentic, planner_executor, rag, react
from ._emit import EmittedRun, Recorder, recorder
from ._script import FLAT, NESTED, Outcome, Scenario, Script

Generator = Callable[[random.Random, "str | None", str, bool], "tuple[Script, Outcome | None]"]

SYSTEMS: dict[str, tuple[str, Generator, tuple[str, ...]]] = {
    "magentic_one": ("purchase_order_total", magentic.generate, magentic.CATEGORIES),
    "planner_executor": ("revenue_in_currency", planner_executor.generate, planner_executor.CATEGORIES),
    "rag": ("travel_policy_qa", rag.generate, rag.CATEGORIES),
    "react_tools": ("retail_return", react.generate, react.CATEGORIES),
    "group_chat": ("tram_ridership_sum", groupchat.generate, groupchat.CATEGORIES),
}
"""System shape → (task family, generator, failure kinds it can make)."""

CATEGORIES = (
    "wrong_fact",
    "hallucinated_value",
    "wrong_plan",
    "code_bug",
    "misread_output",
    "premature_stop",
    "ignored_instruction",
    "wrong_tool_argument",
    "loop",
)
SHAPES = (NESTED, FLAT)

_PER_CATEGORY = {"magentic_one": 2, "planner_executor": 2, "rag": 3, "react_tools": 2, "group_chat": 2}
_RAISING = {
    ("magentic_one", "code_bug"),
    ("planner_executor", "wrong_tool_argument"),
    ("planner_executor", "loop"),
    ("rag", "ignored_instruction"),
    ("react_tools", "wrong_tool_argument"),
    ("group_chat", "code_bug"),
}
"""Kinds whose first instance raises (the exception surfaces where the run broke, not where the mistake was)."""


@dataclass(frozen=True)
class CaseSpec:
    """One failing run to generate, with how many passing siblings."""

    index: int
    system: str
    category: str
    raises: bool
    shape: str
    seed: int
    siblings: int


def case_specs(seed: int = 0) -> list[CaseSpec]:
    """The corpus plan: every (system, kind) pair a few times, shapes and sibling counts drawn from ``seed``."""
    rng = random.Random(f"realistic-plan:{seed}")
    specs: list[CaseSpec] = []
    for system, (_, _, kinds) in SYSTEMS.items():
        for category in kinds:
            for n in range(_PER_CATEGORY[system]):
                raises = n == 0 and (system, category) in _RAISING
                shape = FLAT if (system == "group_chat" and rng.random() < 0.7) or rng.random() < 0.4 else NESTED
                specs.append(CaseSpec(len(specs), system, category, raises, shape, rng.randrange(10**9),
                                      rng.randint(1, 3)))  # fmt: skip
    return specs


def scenario(system: str, category: str | None, shape: str, seed: int, raises: bool = False) -> Scenario:
    """Generate one run's script (deterministic from its arguments)."""
    family, generate, _ = SYSTEMS[system]
    rng = random.Random(f"{system}:{category}:{shape}:{seed}")
    script, outcome = generate(rng, category, shape, raises)
    return Scenario(system, family, category, shape, seed, script, outcome)


def scenarios(spec: CaseSpec) -> tuple[Scenario, list[Scenario]]:
    """The failing run of ``spec`` and its passing siblings (same system and shape, other entities)."""
    failing = scenario(spec.system, spec.category, spec.shape, spec.seed, spec.raises)
    siblings = [scenario(spec.system, None, spec.shape, spec.seed * 7 + k + 1) for k in range(spec.siblings)]
    return failing, siblings


@dataclass
class Case:
    """A recorded failing run with its recorded passing siblings."""

    spec: CaseSpec
    failing: EmittedRun
    passing: list[EmittedRun]


def record_cases(specs: list[CaseSpec], rec: Recorder) -> Iterator[Case]:
    """Record each spec's runs through ``rec``."""
    for spec in specs:
        failing, siblings = scenarios(spec)
        yield Case(spec, rec.record(failing), [rec.record(s) for s in siblings])


def build_corpus(seed: int = 0, limit: int | None = None) -> list[Case]:
    """Generate and record the corpus (or its first ``limit`` cases of each system)."""
    specs = case_specs(seed)
    if limit is not None:
        per_system: dict[str, int] = {}
        kept = []
        for spec in specs:
            per_system[spec.system] = per_system.get(spec.system, 0) + 1
            if per_system[spec.system] <= limit:
                kept.append(spec)
        specs = kept
    with recorder() as rec:
        return list(record_cases(specs, rec))

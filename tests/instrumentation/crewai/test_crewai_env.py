"""Run the CrewAI tests (``tests/crewai_env``) in their own virtualenv, ``<repo>/.venv-crewai``.

CrewAI pins ``openai<3`` and ``mcp<2``; the project's environment has openai 3 and mcp 2, so CrewAI cannot be
installed beside them. This test makes (or reuses) a virtualenv with CrewAI, this package (editable, with its
dependencies) and pytest, then runs ``python -m pytest tests/crewai_env`` in it. The virtualenv is reused while the
CrewAI requirement, the test requirements and ``pyproject.toml`` are unchanged (a hash of them is kept in the venv).
A failed install (the package registry out of reach included) fails the test: CI reaches the registry.
"""

from __future__ import annotations

from tests.instrumentation._side_venv import SideVenv

REQUIREMENTS = ("crewai>=0.100", "pytest>=8", "pytest-asyncio>=0.23")
VENV = SideVenv(
    ".venv-crewai",
    REQUIREMENTS,
    (("pip install crewai", REQUIREMENTS), ("pip install -e .", ("-e", "{repo}"))),
)


def test_crewai_suite_passes_in_its_own_venv() -> None:
    VENV.pytest("tests/crewai_env", ("-W", "ignore::DeprecationWarning"))

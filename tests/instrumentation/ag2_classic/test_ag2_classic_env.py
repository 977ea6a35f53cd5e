"""Run the AG2 Classic tests (``tests/ag2_classic_env``) in their own virtualenv, ``<repo>/.venv-ag2-classic``.

The classic framework (``import autogen``, PyPI distribution ``autogen`` 0.14, the same code as ``ag2`` 0.9-0.14)
needs ``openai<3`` for its ``[openai]`` extra; the project's environment has openai 3, so it cannot be installed
beside it. This test makes (or reuses) a virtualenv with ``autogen[openai]``, this package (editable) and pytest,
then runs ``python -m pytest tests/ag2_classic_env`` in it. The virtualenv is reused while the requirements and
``pyproject.toml`` are unchanged. A failed install (the package registry out of reach included) fails the test.
"""

from __future__ import annotations

from tests.instrumentation._side_venv import SideVenv

REQUIREMENTS = (
    "autogen[openai]>=0.14,<0.15",
    "pytest>=8",
    "pytest-asyncio>=0.23",
)
VENV = SideVenv(
    ".venv-ag2-classic",
    REQUIREMENTS,
    (("pip install autogen", REQUIREMENTS), ("pip install -e .", ("-e", "{repo}"))),
)


def test_ag2_classic_suite_passes_in_its_own_venv() -> None:
    VENV.pytest("tests/ag2_classic_env", ("-W", "ignore::DeprecationWarning"))
